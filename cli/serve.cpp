// kvmem serve: runs a store and serves it until SIGINT or SIGTERM.
#include <cstdio>

#include <caf/send.hpp>

#include <fmt/format.h>
#include <kvmem/remote.hpp>
#include <kvmem/resp.hpp>

#include "modes.hpp"
#include "signals.hpp"
#include "text.hpp"

namespace kvmem::cli {

int serve(const serve_args& args) {
  const std::uint16_t port = args.port;
  serve_options sopts;
  sopts.bind = args.bind;
  sopts.allow_nonlocal_bind = args.insecure_nonlocal;
  sopts.allow_unguarded_tls = args.insecure_unguarded_tls;
  store_options opts;
  opts.capacity = args.capacity;
  opts.max_batch_bytes = args.max_batch_bytes;
  const tls_options& tls = args.tls;
  // Only remote clients reach this store, through the middleman's brokers,
  // which are scheduled actors: the store is best on the scheduler too (no
  // thread of its own to wake; see docs/remote.md), which is the default.
  opts.history_versions = args.history_versions;
  opts.history_age = args.history_age;
  opts.persistence.dir = args.dir;
  opts.persistence.sync = args.sync;
  opts.persistence.interval = args.sync_interval;
  opts.persistence.checkpoint_bytes = args.checkpoint_bytes;
  opts.persistence.recover_to_damage = args.recover_to_damage;
  stop_signals stop; // before any thread starts
  int rc = ok;
  {
    caf::actor_system_config cfg;
    if (auto r = enable_remote(cfg, tls); !r) {
      fmt::print(stderr, "kvmem serve: {}\n", one_line(r.error().message()));
      return usage_error;
    }
    // A dedicated process: workers that sleep on a condition variable halve
    // the middleman's latency (docs/remote.md).
    cfg.set("scheduler.policy", caf::atom("sharing"));
    caf::actor_system sys{cfg};
    store s;
    if (args.dir.empty()) {
      s = spawn_store(sys, system_clock{}, opts);
    } else {
      recovery_report rep;
      auto opened = open_store(sys, system_clock{}, opts, &rep);
      if (!opened) {
        fmt::print(stderr, "kvmem serve: {}\n", one_line(opened.error().message()));
        return opened.error().code == errc::invalid_argument ? usage_error : store_error;
      }
      s = *opened;
      fmt::print("kvmem: {} in {} (sync {}): {}\n", rep.created ? "created" : "opened",
                 one_line(args.dir), to_string(args.sync), to_string(rep));
      if (rep.damage)
        fmt::print(stderr, "kvmem serve: recovered up to damage: {}\n",
                   one_line(rep.damage->message()));
      std::fflush(stdout);
    }
    std::optional<resp_server> resp;
    if (args.resp_port) {
      resp_options ropts;
      ropts.bind = args.bind;
      ropts.port = *args.resp_port;
      ropts.password = args.resp_password;
      ropts.allow_nonlocal_without_password = args.insecure_nonlocal;
      auto r = serve_resp(sys, s, ropts);
      if (!r) {
        fmt::print(stderr, "kvmem serve: RESP: {}\n", one_line(r.error().message()));
        rc = r.error().code == errc::invalid_argument ? usage_error : connection_error;
      } else {
        resp = *r;
        fmt::print("kvmem: serving RESP on {}:{}{}\n", one_line(ropts.bind), resp->port(),
                   ropts.password.empty() ? "" : " (AUTH required)");
        std::fflush(stdout);
      }
    }
    result<std::uint16_t> bound = std::uint16_t{0};
    if (rc == ok && !args.resp_only) {
      bound = publish(sys, s, port, sopts);
      if (!bound) {
        fmt::print(stderr, "kvmem serve: {}\n", one_line(bound.error().message()));
        rc = bound.error().code == errc::invalid_argument ? usage_error : connection_error;
      } else {
        fmt::print("kvmem: serving on {}:{}{}\n", one_line(sopts.bind), *bound,
                   tls.enabled() ? " (TLS, peers need a certificate from the CA)" : "");
        std::fflush(stdout);
      }
    }
    if (rc == ok) {
      int sig = stop.wait();
      fmt::print("kvmem: {} received, stopping\n", stop_signals::name(sig));
      std::fflush(stdout);
      if (!args.resp_only)
        unpublish(sys, s, *bound);
    }
    if (resp)
      resp->close();
    caf::anon_send_exit(s.actor(), caf::exit_reason::user_shutdown);
    s = {};
  }
  return rc;
}

} // namespace kvmem::cli
