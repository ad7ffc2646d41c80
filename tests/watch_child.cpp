// A client process for remote_watch_test: connects to a served store on
// 127.0.0.1:PORT, watches /p, owns /svc/child through its client's owner
// handle, prints "ready", then waits until it is killed.
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "kvmem/client.hpp"
#include "kvmem/remote.hpp"

int main(int argc, char** argv) {
  if (argc != 2)
    return 2;
  caf::actor_system_config cfg;
  kvmem::enable_remote(cfg).value();
  caf::actor_system sys{cfg};
  auto st = kvmem::remote_store(sys, "127.0.0.1", static_cast<std::uint16_t>(std::atoi(argv[1])));
  if (!st)
    return 1;
  kvmem::client c{sys, *st};
  auto w = c.watch(kvmem::key::v("/p"));
  if (!w || !c.set_owned(kvmem::key::v("/svc/child"), "alive", c.owner_handle()))
    return 1;
  std::puts("ready");
  std::fflush(stdout);
  for (;;)
    std::this_thread::sleep_for(std::chrono::seconds(1)); // until SIGKILL
}
