// A client process for remote_watch_test: connects to a served store on
// 127.0.0.1:PORT, watches /p (N times: `watch_child PORT [N]`), owns
// /svc/child through its client's owner handle, prints "ready", then waits
// until it is killed.
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "kvmem/client.hpp"
#include "kvmem/remote.hpp"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3)
    return 2;
  int n = argc == 3 ? std::atoi(argv[2]) : 1;
  caf::actor_system_config cfg;
  kvmem::enable_remote(cfg).value();
  caf::actor_system sys{cfg};
  auto st = kvmem::remote_store(sys, "127.0.0.1", static_cast<std::uint16_t>(std::atoi(argv[1])));
  if (!st)
    return 1;
  kvmem::client c{sys, *st};
  std::vector<kvmem::watcher> watchers;
  for (int i = 0; i < n; ++i) {
    auto w = c.watch(kvmem::key::v("/p"));
    if (!w)
      return 1;
    watchers.push_back(std::move(*w));
  }
  if (!c.set_owned(kvmem::key::v("/svc/child"), "alive", c.owner_handle()))
    return 1;
  std::puts("ready");
  std::fflush(stdout);
  for (;;)
    std::this_thread::sleep_for(std::chrono::seconds(1)); // until SIGKILL
}
