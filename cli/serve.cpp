// kvmem serve: runs a store and serves it until SIGINT or SIGTERM.
#include <csignal>

#include <caf/send.hpp>
#include <cstdio>

#include <fmt/format.h>
#include <kvmem/remote.hpp>

#include "commands.hpp"

namespace kvmem::cli {

inline constexpr std::uint16_t default_port = 7470;

int serve(const std::vector<std::string>& args) {
  std::uint16_t port = default_port;
  serve_options sopts;
  store_options opts;
  tls_options tls;
  // Only remote clients reach this store, through the middleman's brokers,
  // which are scheduled actors: the store is best on the scheduler too (no
  // thread of its own to wake; see docs/remote.md).
  opts.detached = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    const std::string* v = nullptr;
    try {
      if (args[i] == "--port" && (v = value()))
        port = static_cast<std::uint16_t>(std::stoul(*v));
      else if (args[i] == "--bind" && (v = value()))
        sopts.bind = *v;
      else if (args[i] == "--capacity" && (v = value()))
        opts.capacity = std::stoull(*v);
      else if (args[i] == "--tls-cert" && (v = value()))
        tls.certificate = *v;
      else if (args[i] == "--tls-key" && (v = value()))
        tls.key = *v;
      else if (args[i] == "--tls-ca" && (v = value()))
        tls.cafile = *v;
      else if (args[i] == "--insecure-nonlocal")
        sopts.allow_nonlocal_bind = true;
      else {
        fmt::print(stderr, "kvmem serve: unknown or incomplete option {:?}\n", args[i]);
        return usage_error;
      }
    } catch (const std::exception&) {
      fmt::print(stderr, "kvmem serve: bad value {:?} for {}\n", v ? *v : "", args[i]);
      return usage_error;
    }
  }
  // Block the stop signals before any thread starts, then wait for them. A
  // background job of a non-interactive shell starts with SIGINT ignored,
  // and an ignored signal never becomes pending: restore the default first.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  int rc = ok;
  {
    caf::actor_system_config cfg;
    if (auto r = enable_remote(cfg, tls); !r) {
      fmt::print(stderr, "kvmem serve: {}\n", r.error().message());
      return usage_error;
    }
    // A dedicated process: workers that sleep on a condition variable halve
    // the middleman's latency (docs/remote.md).
    cfg.set("scheduler.policy", caf::atom("sharing"));
    caf::actor_system sys{cfg};
    auto s = spawn_store(sys, system_clock{}, opts);
    auto bound = publish(sys, s, port, sopts);
    if (!bound) {
      fmt::print(stderr, "kvmem serve: {}\n", bound.error().message());
      rc = bound.error().code == errc::invalid_argument ? usage_error : connection_error;
    } else {
      fmt::print("kvmem: serving on {}:{}{}\n", sopts.bind, *bound,
                 tls.enabled() ? " (TLS, peers need a certificate from the CA)" : "");
      std::fflush(stdout);
      int sig = 0;
      sigwait(&stop, &sig);
      fmt::print("kvmem: {} received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
      std::fflush(stdout);
      unpublish(sys, s, *bound);
    }
    caf::anon_send_exit(s.actor(), caf::exit_reason::user_shutdown);
    s = {};
  }
  return rc;
}

} // namespace kvmem::cli
