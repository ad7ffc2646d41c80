// A separate process for the remote tests: a server to push to its limits,
// and one-shot clients (each a fresh CAF node, as a `kvmem get` is).
//
//   remote_helper serve [--no-guard] [--fds N] [--workers N]
//                                               prints "port P", serves a store
//                                               holding /a = "hello" until stdin
//                                               closes; the guard logs to stderr
//   remote_helper get PORT                      connects, prints /a, exits 0;
//                                               exit 1 and a line on stderr if not
//   remote_helper churn PORT N                  N times: a new actor system
//                                               connects, gets /a, leaves
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include <caf/send.hpp>

#include "kvmem/client.hpp"
#include "kvmem/remote.hpp"

namespace {

caf::actor_system_config& init(caf::actor_system_config& cfg) {
  kvmem::enable_remote(cfg).value();
  return cfg;
}

// One client node: connect, read /a, leave. Returns "" or why it failed.
std::string one_get(std::uint16_t port) {
  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
  auto st = kvmem::remote_store(sys, "127.0.0.1", port);
  if (!st)
    return st.error().message();
  kvmem::client c{sys, *st};
  auto v = c.get(kvmem::key::v("/a"));
  if (!v)
    return v.error().message();
  if (v->str() != "hello")
    return "wrong value " + v->str();
  return {};
}

int serve(int argc, char** argv) {
  kvmem::serve_options opts;
  caf::actor_system_config cfg;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
      cfg.set("middleman.workers", std::size_t{std::strtoul(argv[++i], nullptr, 10)});
    } else if (std::strcmp(argv[i], "--no-guard") == 0) {
      opts.guard = false;
    } else if (std::strcmp(argv[i], "--fds") == 0 && i + 1 < argc) {
      rlimit lim{};
      getrlimit(RLIMIT_NOFILE, &lim);
      lim.rlim_cur = std::strtoul(argv[++i], nullptr, 10);
      if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 2;
    }
  }
  caf::actor_system sys{init(cfg)};
  auto st = kvmem::spawn_store(sys, kvmem::system_clock{}, {.detached = false});
  kvmem::client{sys, st}.set(kvmem::key::v("/a"), "hello").value();
  auto port = kvmem::publish(sys, st, 0, opts);
  if (!port) {
    std::fprintf(stderr, "%s\n", port.error().message().c_str());
    return 1;
  }
  std::printf("port %u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  char c;
  while (::read(STDIN_FILENO, &c, 1) > 0) {
  }
  kvmem::unpublish(sys, st, *port);
  caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve")
    return serve(argc, argv);
  if ((mode == "get" && argc == 3) || (mode == "churn" && argc == 4)) {
    auto port = static_cast<std::uint16_t>(std::atoi(argv[2]));
    int n = mode == "get" ? 1 : std::atoi(argv[3]);
    int failed = 0;
    for (int i = 0; i < n; ++i) {
      auto why = one_get(port);
      if (!why.empty()) {
        ++failed;
        std::fprintf(stderr, "%s\n", why.c_str());
      }
    }
    if (mode == "get" && failed == 0)
      std::printf("hello\n");
    return failed == 0 ? 0 : 1;
  }
  std::fprintf(stderr, "usage: remote_helper serve|get PORT|churn PORT N\n");
  return 2;
}
