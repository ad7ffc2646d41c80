// connect_guarded: a TCP connect and CAF's handshake, each under the caller's
// deadline, over a guarded connection; and error messages that say what
// happened. CAF's remote_actor has no deadline at all (its TCP connect and
// its wait for the handshake both block), so this replaces it for plain TCP:
// the broker is handed an already connected, guarded scribe, as CAF's
// middleman actor hands it one of its own.
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/make_counted.hpp>
#include <caf/scoped_actor.hpp>

#include <fmt/format.h>

#include "net/guard.hpp"
#include "net/guarded_scribe.hpp"

namespace kvmem::detail::net {

namespace {

using clock = std::chrono::steady_clock;

// Milliseconds left before `until` (at least 0), or -1 for no deadline.
int remaining_ms(deadline until) {
  if (!until)
    return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(*until - clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

struct resolved {
  std::vector<sockaddr_storage> addrs;
  std::vector<socklen_t> lens;
  std::string error;
};

resolved to_resolved(addrinfo* found) {
  resolved out;
  for (auto* ai = found; ai != nullptr; ai = ai->ai_next) {
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    out.addrs.push_back(ss);
    out.lens.push_back(ai->ai_addrlen);
  }
  return out;
}

// getaddrinfo has no deadline: a numeric address is resolved here, a name on
// a helper thread that this one stops waiting for at the deadline (the
// helper then finishes on its own, bounded by the resolver's timeouts).
resolved resolve(const std::string& host, std::uint16_t port, deadline until) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
  auto service = std::to_string(port);
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) == 0) {
    auto out = to_resolved(found);
    ::freeaddrinfo(found);
    return out;
  }
  struct shared {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    resolved result;
  };
  auto st = std::make_shared<shared>();
  hints.ai_flags = AI_NUMERICSERV;
  std::thread([st, host, service, hints] {
    addrinfo* res = nullptr;
    resolved out;
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
      out.error = ::gai_strerror(rc);
    else
      out = to_resolved(res);
    if (res != nullptr)
      ::freeaddrinfo(res);
    std::lock_guard g{st->m};
    st->result = std::move(out);
    st->done = true;
    st->cv.notify_all();
  }).detach();
  std::unique_lock g{st->m};
  if (until)
    st->cv.wait_until(g, *until, [&] { return st->done; });
  else
    st->cv.wait(g, [&] { return st->done; });
  if (!st->done) {
    resolved late;
    late.error = "no answer from the name resolver in time";
    return late;
  }
  return std::move(st->result);
}

std::string connect_error(int e) {
  switch (e) {
    case ECONNREFUSED:
      return "connection refused (nothing listens on that port)";
    case EHOSTUNREACH:
    case ENETUNREACH:
      return "host unreachable";
    case ETIMEDOUT:
      return "the host did not answer";
    default:
      return std::strerror(e);
  }
}

} // namespace

result<int> tcp_connect(const std::string& host, std::uint16_t port, deadline until) {
  auto fail = [&](const std::string& why) {
    return error::make(errc::unavailable, fmt::format("cannot connect to {}:{}: {}", host, port, why));
  };
  auto found = resolve(host, port, until);
  if (!found.error.empty())
    return fail(fmt::format("cannot resolve {}: {}", host, found.error));
  std::string why = "no address";
  for (std::size_t i = 0; i < found.addrs.size(); ++i) {
    auto* sa = reinterpret_cast<sockaddr*>(&found.addrs[i]);
    int fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, sa, found.lens[i]);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      do
        rc = ::poll(&p, 1, remaining_ms(until));
      while (rc < 0 && errno == EINTR);
      if (rc == 0) {
        ::close(fd);
        return fail("the host did not answer within the connect timeout");
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc == 0)
      return fd;
    why = connect_error(errno);
    ::close(fd);
  }
  return fail(why);
}

result<caf::strong_actor_ptr> connect_guarded(caf::actor_system& sys, const std::string& host,
                                              std::uint16_t port,
                                              const std::set<std::string>& sigs,
                                              std::uint32_t max_frame, deadline until) {
  auto where = fmt::format("{}:{}", host, port);
  auto fail = [&](const std::string& why) {
    return error::make(errc::unavailable, fmt::format("cannot connect to {}: {}", where, why));
  };
  auto fd = tcp_connect(host, port, until);
  if (!fd)
    return fd.error();
  guard_limits limits;
  limits.frames.max_frame = max_frame;
  limits.frames.max_control = 1 << 20; // a server handshake lists the interface
  limits.max_buffered = max_frame;
  limits.max_pending_output = 0;
  limits.handshake_timeout = {};
  limits.stall_timeout = {};
  auto state = std::make_shared<guard_state>(nullptr, node_ref_of(sys.node()), sender::server, limits,
                                             guard_state::log_fn{}, where);
  auto& mm = sys.middleman();
  auto& mx = static_cast<caf::io::network::default_multiplexer&>(mm.backend());
  // Kept until the handshake is over: the descriptor stays ours to shut down
  // if the peer never completes it.
  auto scribe = caf::make_counted<guarded_scribe>(mx, *fd, state);
  auto broker = mm.named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  caf::scoped_actor self{sys, true};
  auto wait = until ? caf::duration{std::chrono::milliseconds(remaining_ms(until))} : caf::infinite;
  caf::strong_actor_ptr found;
  std::set<std::string> found_sigs;
  caf::error failed;
  self->request(broker, wait, caf::connect_atom::value, caf::io::scribe_ptr{scribe}, port)
      .receive(
          [&](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>& ifs) {
            found = std::move(ptr);
            found_sigs = std::move(ifs);
          },
          [&](caf::error& e) { failed = std::move(e); });
  if (failed) {
    // Whatever the broker still waits for on this connection ends here.
    ::shutdown(scribe->fd(), SHUT_RDWR);
    auto [reason, first] = state->last_drop();
    if (!reason.empty()) {
      if (reason == not_basp)
        return fail(fmt::format("the peer does not speak CAF's protocol (it sent {}): not a kvmem "
                                "server",
                                first));
      return fail(fmt::format("the peer broke CAF's protocol ({}); connection dropped", reason));
    }
    if (failed == caf::sec::request_timeout)
      return fail("connected, but no CAF handshake came within the connect timeout (a silent "
                  "peer: not a kvmem server, or one that is stuck)");
    if (failed == caf::sec::disconnect_during_handshake) {
      if (!first.empty())
        return fail(fmt::format("the peer sent {} and closed the connection: not a kvmem server",
                                first));
      return fail("the peer closed the connection during the handshake (a server at its "
                  "connection limit, one that expects TLS, or not a kvmem server)");
    }
    return fail(sys.render(failed));
  }
  if (!found)
    return fail("nothing is published on that port");
  if (!sys.assignable(found_sigs, sigs))
    return fail("the actor there is not a kvmem store (or is a different kvmem version)");
  return found;
}

} // namespace kvmem::detail::net
