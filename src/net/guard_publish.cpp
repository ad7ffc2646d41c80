// publish_guarded: our own listening socket, a guard_doorman on it, and the
// BASP broker told to serve the actor there (as CAF's middleman actor does
// with its own doorman).
#include <cerrno>
#include <cstring>
#include <memory>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/make_counted.hpp>
#include <caf/send.hpp>

#include <fmt/format.h>

#include "net/guard.hpp"
#include "net/guard_doorman.hpp"
#include "net/listening.hpp"

namespace kvmem::detail::net {

result<std::uint16_t> publish_guarded(caf::actor_system& sys, caf::strong_actor_ptr whom,
                                      std::set<std::string> sigs, std::uint16_t port,
                                      const serve_options& opts) {
  auto fd = listen_on(opts.bind, port, opts.reuse_address);
  if (!fd)
    return fd.error();
  auto actual = bound_port(*fd);
  guard_limits limits;
  limits.frames.max_frame = opts.max_frame_bytes;
  limits.max_buffered = static_cast<std::size_t>(opts.max_buffered_bytes);
  limits.max_pending_output = static_cast<std::size_t>(opts.max_pending_output);
  limits.max_owed_deliveries = static_cast<std::size_t>(opts.max_unread_deliveries);
  limits.max_connections = opts.max_connections;
  limits.handshake_timeout = opts.handshake_timeout;
  limits.stall_timeout = opts.stall_timeout;
  auto log = opts.log ? opts.log
                      : [](const std::string& line) { fmt::print(stderr, "kvmem: {}\n", line); };
  auto state = std::make_shared<guard_state>(&sys, node_ref_of(sys.node()), sender::client, limits, std::move(log),
                                             fmt::format("{}:{}", opts.bind, actual));
  auto& mm = sys.middleman();
  auto& mx = static_cast<caf::io::network::default_multiplexer&>(mm.backend());
  caf::io::doorman_ptr doorman = caf::make_counted<guard_doorman>(mx, *fd, state);
  // The broker adds the doorman (which starts accepting) and registers the
  // actor at this port in one step, so no connection sees the port without
  // its actor. Connections that arrive before then wait in the backlog.
  auto broker = mm.named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  caf::anon_send(broker, caf::publish_atom::value, std::move(doorman), actual, std::move(whom),
                 std::move(sigs));
  return actual;
}

} // namespace kvmem::detail::net
