#include "kvmem/remote.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/publish.hpp>
#include <caf/io/unpublish.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>

#include <caf/scoped_actor.hpp>

#include <fstream>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net/guard.hpp"
#include "net/listening.hpp"
#include "store/store_access.hpp"

namespace kvmem {


result<void> enable_remote(caf::actor_system_config& cfg, const tls_options& tls) {
  if (tls.enabled()) {
    for (auto [what, path] : {std::pair{"certificate", &tls.certificate}, {"key", &tls.key},
                              {"CA file", &tls.cafile}}) {
      if (path->empty())
        return error::make(errc::invalid_argument,
                           fmt::format("TLS needs a certificate, a key and a CA file; the {} is "
                                       "missing",
                                       what));
      if (!std::ifstream(*path))
        return error::make(errc::invalid_argument,
                           fmt::format("cannot read the TLS {} {}", what, *path));
    }
  }
  // CAF's defaults are not the best for a store served over the network
  // (docs/remote.md has the measurements): workers that sleep on a condition
  // variable (`sharing`) halve a remote round trip against work stealing's
  // polling with sleeps, and deserializing in the broker (no BASP worker
  // threads) saves another 20-30%. Set only what the user has not set.
  if (!caf::get_if<caf::atom_value>(&cfg, "scheduler.policy"))
    cfg.set("scheduler.policy", caf::atom("sharing"));
  if (!caf::get_if<std::size_t>(&cfg, "middleman.workers"))
    cfg.set("middleman.workers", std::size_t{0});
  cfg.load<caf::io::middleman>();
  if (tls.enabled()) {
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = tls.certificate;
    cfg.openssl_key = tls.key;
    cfg.openssl_cafile = tls.cafile;
    cfg.openssl_passphrase = tls.passphrase;
  }
  register_types(cfg);
  return {};
}

result<std::uint16_t> publish(caf::actor_system& sys, const store& s, std::uint16_t port,
                              serve_options opts) {
  const bool tls = sys.has_openssl_manager();
  if (!opts.allow_nonlocal_bind && !tls && !detail::net::resolves_to_loopback(opts.bind))
    return error::make(errc::invalid_argument,
                       fmt::format("refusing to listen on {}: CAF's transport has no "
                                   "authentication; set allow_nonlocal_bind (--bind with "
                                   "--insecure-nonlocal) only on a trusted network",
                                   opts.bind));
  if (!sys.has_middleman())
    return error::make(errc::invalid_argument,
                       "the actor system has no middleman: call kvmem::enable_remote(cfg)");
  if (tls && !opts.allow_unguarded_tls)
    return error::make(errc::invalid_argument,
                       "refusing to serve over TLS: CAF 0.17.6's TLS transport cannot be "
                       "guarded, so any peer holding a certificate from the CA could crash "
                       "the server with one malformed frame; set allow_unguarded_tls "
                       "(serve --insecure-unguarded-tls) only if every certificate holder "
                       "is trusted");
  if (!tls && opts.guard)
    return detail::net::publish_guarded(sys, caf::actor_cast<caf::strong_actor_ptr>(s.actor()),
                                sys.message_types(s.actor()), port, opts);
  auto r = tls ? caf::openssl::publish(s.actor(), port, opts.bind.c_str(), opts.reuse_address)
               : caf::io::publish(s.actor(), port, opts.bind.c_str(), opts.reuse_address);
  if (!r)
    return error::make(errc::unavailable, fmt::format("cannot listen on {}:{}: {}", opts.bind,
                                                      port, sys.render(r.error())));
  return *r;
}

void unpublish(caf::actor_system&, const store& s, std::uint16_t port) {
  (void)caf::io::unpublish(s.actor(), port);
}

namespace {

// CAF's own connect (TLS): a request to the openssl manager's middleman actor
// under the deadline. Its TCP connect blocks that actor with no bound of its
// own, and a connection that outlives the deadline stays until the peer
// closes it: the guard does not cover TLS (see remote.hpp).
result<caf::strong_actor_ptr> connect_tls(caf::actor_system& sys, const std::string& host,
                                          std::uint16_t port, detail::net::deadline until) {
  caf::scoped_actor self{sys, true};
  auto wait = caf::duration{caf::infinite};
  if (until)
    wait = caf::duration{std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(*until - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration{}))};
  caf::strong_actor_ptr found;
  std::set<std::string> sigs;
  caf::error failed;
  self->request(sys.openssl_manager().actor_handle(), wait, caf::connect_atom::value, host, port)
      .receive(
          [&](const caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>& ifs) {
            found = std::move(ptr);
            sigs = std::move(ifs);
          },
          [&](caf::error& e) { failed = std::move(e); });
  auto fail = [&](const std::string& why) {
    return error::make(errc::unavailable, fmt::format("cannot connect to {}:{}: {}", host, port, why));
  };
  if (failed == caf::sec::request_timeout)
    return fail("no TLS handshake within the connect timeout");
  if (failed == caf::sec::cannot_connect_to_node)
    return fail("connection refused or host unreachable");
  if (failed == caf::sec::disconnect_during_handshake)
    return fail("the peer closed the connection during the handshake (TLS on one side only, or "
                "a certificate it does not accept?)");
  if (failed)
    return fail(sys.render(failed));
  if (!found)
    return fail("nothing is published on that port");
  if (!sys.assignable(sigs, sys.message_types<store_actor>()))
    return fail("the actor there is not a kvmem store (or is a different kvmem version)");
  return found;
}

} // namespace

result<store> remote_store(caf::actor_system& sys, const std::string& host, std::uint16_t port,
                           connect_options opts) {
  if (!sys.has_middleman())
    return error::make(errc::invalid_argument,
                       "the actor system has no middleman: call kvmem::enable_remote(cfg)");
  detail::net::deadline until;
  if (opts.connect_timeout.count() > 0)
    until = std::chrono::steady_clock::now() + opts.connect_timeout;
  auto ptr = sys.has_openssl_manager()
                 ? connect_tls(sys, host, port, until)
                 : detail::net::connect_guarded(sys, host, port, sys.message_types<store_actor>(),
                                        opts.max_frame_bytes, until);
  if (!ptr)
    return ptr.error();
  auto handle = caf::actor_cast<store_actor>(std::move(*ptr));
  // The server's limits, so that batches are checked against them as they
  // are built (the server checks again at commit). This first exchange is
  // part of connecting, under the same deadline.
  store_options limits;
  {
    caf::scoped_actor self{sys, true};
    auto wait = caf::duration{caf::infinite};
    if (until)
      wait = caf::duration{std::chrono::duration_cast<std::chrono::milliseconds>(std::max(
          *until - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration{}))};
    std::optional<error> failed;
    self->request(handle, wait, info_atom::value)
        .receive(
            [&](const store_info& info) {
              limits.capacity = info.capacity;
              limits.max_batch_writes = static_cast<std::size_t>(info.max_batch_writes);
              limits.max_batch_bytes = info.max_batch_bytes;
            },
            [&](caf::error& e) {
              failed = e == caf::sec::request_timeout
                           ? error::make(errc::unavailable,
                                         "the store did not answer within the connect timeout")
                           : from_caf(e);
            });
    if (failed)
      return error::make(errc::unavailable, fmt::format("cannot connect to {}:{}: {}", host, port,
                                                        failed->detail));
  }
  return detail::store_access::make(std::move(handle), nullptr, limits, opts.call_timeout);
}

} // namespace kvmem
