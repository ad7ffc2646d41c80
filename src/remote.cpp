#include "kvmem/remote.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/publish.hpp>
#include <caf/io/remote_actor.hpp>
#include <caf/io/unpublish.hpp>

namespace kvmem {

namespace {

bool loopback(const std::string& addr) {
  return addr == "127.0.0.1" || addr == "::1" || addr == "localhost" ||
         addr.rfind("127.", 0) == 0;
}

} // namespace

void enable_remote(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  register_types(cfg);
}

result<std::uint16_t> publish(caf::actor_system& sys, const store& s, std::uint16_t port,
                              serve_options opts) {
  if (!loopback(opts.bind) && !opts.allow_nonlocal_bind)
    return error::make(errc::invalid_argument,
                       fmt::format("refusing to listen on {}: CAF's transport has no "
                                   "authentication; set allow_nonlocal_bind (--bind with "
                                   "--insecure-nonlocal) only on a trusted network",
                                   opts.bind));
  if (!sys.has_middleman())
    return error::make(errc::invalid_argument,
                       "the actor system has no middleman: call kvmem::enable_remote(cfg)");
  auto r = caf::io::publish(s.actor, port, opts.bind.c_str(), opts.reuse_address);
  if (!r)
    return error::make(errc::unavailable, fmt::format("cannot listen on {}:{}: {}", opts.bind,
                                                      port, sys.render(r.error())));
  return *r;
}

void unpublish(caf::actor_system&, const store& s, std::uint16_t port) {
  (void)caf::io::unpublish(s.actor, port);
}

result<store> remote_store(caf::actor_system& sys, const std::string& host, std::uint16_t port,
                           connect_options opts) {
  if (!sys.has_middleman())
    return error::make(errc::invalid_argument,
                       "the actor system has no middleman: call kvmem::enable_remote(cfg)");
  auto h = caf::io::remote_actor<store_actor>(sys, host, port);
  if (!h) {
    auto why = h.error() == caf::sec::cannot_connect_to_node
                   ? std::string("connection refused or host unreachable")
               : h.error() == caf::sec::unexpected_actor_messaging_interface
                   ? std::string("the actor there is not a kvmem store")
                   : sys.render(h.error());
    return error::make(errc::unavailable, fmt::format("cannot connect to {}:{}: {}", host, port, why));
  }
  store s;
  s.actor = std::move(*h);
  s.call_timeout = opts.call_timeout;
  return s;
}

} // namespace kvmem
