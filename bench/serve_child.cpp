// kvmem_bench --serve-child: the NET and RESP rows' server process. It
// serves an empty store exactly as `kvmem serve` does (cli/serve.cpp:
// enable_remote, the sharing scheduler, the store on the scheduler,
// 127.0.0.1), the same store without the guard on a second port, and the
// same store over RESP (kvmem::serve_resp, default resp_options) on a third;
// prints "port <P> <U> <R>" on stdout (R is 0 if the RESP server could not
// start; readers of the first two numbers ignore the third), and exits when
// its stdin closes (the benchmark closes it, or dies: the child also has
// PR_SET_PDEATHSIG).
#include <unistd.h>

#include <cstdio>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>
#include <kvmem/remote.hpp>
#include <kvmem/resp.hpp>

namespace bench {

int serve_child() {
  caf::actor_system_config cfg;
  if (auto r = kvmem::enable_remote(cfg); !r) {
    fmt::print(stderr, "serve child: {}\n", r.error().message());
    return 1;
  }
  cfg.set("scheduler.policy", caf::atom("sharing"));
  caf::actor_system sys{cfg};
  kvmem::store_options opts; // on the scheduler, as `kvmem serve`
  auto s = kvmem::spawn_store(sys, kvmem::system_clock{}, opts);
  auto port = kvmem::publish(sys, s, 0);
  if (!port) {
    fmt::print(stderr, "serve child: {}\n", port.error().message());
    std::fflush(stderr);
    std::_Exit(1);
  }
  kvmem::serve_options bare;
  bare.guard = false;
  auto unguarded = kvmem::publish(sys, s, 0, bare);
  auto resp = kvmem::serve_resp(sys, s); // 127.0.0.1, a free port
  if (!resp)
    fmt::print(stderr, "serve child: RESP: {}\n", resp.error().message());
  fmt::print("port {} {} {}\n", *port, unguarded ? *unguarded : 0, resp ? resp->port() : 0);
  std::fflush(stdout);
  char buf[64];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  // No orderly shutdown: the process ends here, and nothing it holds needs
  // more than the kernel's cleanup.
  std::_Exit(0);
}

} // namespace bench
