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

namespace kvmem::detail::net {

namespace {

// A listening socket on bind:port, or why not.
result<int> listen_on(const std::string& bind, std::uint16_t port, bool reuse) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(bind.c_str(), service.c_str(), &hints, &found); rc != 0)
    return error::make(errc::unavailable,
                       fmt::format("cannot listen on {}:{}: {}", bind, port, ::gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard{found, &::freeaddrinfo};
  std::string why = "no address";
  for (auto* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int one = 1;
    if (reuse)
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0)
      return fd;
    why = std::strerror(errno);
    ::close(fd);
  }
  return error::make(errc::unavailable, fmt::format("cannot listen on {}:{}: {}", bind, port, why));
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return 0;
  if (ss.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

} // namespace

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
