// The guard's limits: what a server does at its file-descriptor limit and
// its connection limit, with peers that never finish a handshake or a frame,
// with peers whose frames outgrow the buffer budget, and with a peer that
// asks for replies and never reads them. Each time it keeps serving others.
#include <catch2/catch.hpp>

#include <cerrno>
#include <fstream>
#include <mutex>
#include <thread>

#include <caf/binary_serializer.hpp>
#include <caf/node_id.hpp>

#include "eventually.hpp"
#include "net/basp_frame.hpp"
#include "net_fixture.hpp"

using kvmem::detail::net::basp_header;
using kvmem::detail::net::basp_header_size;
using kvmem::detail::net::basp_op;
using kvmem::detail::net::encode_header;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

using test::K;

// True if the peer has closed fd (end of stream or reset), reading away
// whatever it sent first; false while it is open. Does not wait.
bool closed_now(int fd) {
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0)
      continue;
    if (n == 0)
      return true;
    if (errno == EINTR)
      continue;
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

std::string handshake(caf::actor_system& sys, std::uint32_t pid) {
  caf::node_id::default_data::host_id_type host;
  host.fill(static_cast<std::uint8_t>(pid));
  auto nid = caf::make_node_id(pid, host);
  std::vector<char> payload;
  caf::binary_serializer sink{sys, payload};
  REQUIRE(!sink(nid));
  basp_header h;
  h.operation = static_cast<std::uint8_t>(basp_op::client_handshake);
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  return encode_header(h) + std::string(payload.begin(), payload.end());
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// A server in this process whose guard logs into `log`.
struct guarded_server {
  test::node n;
  kvmem::store st = kvmem::spawn_store(n.sys, kvmem::system_clock{}, test::served);
  std::mutex m;
  std::vector<std::string> lines;
  std::uint16_t port = 0;
  explicit guarded_server(kvmem::serve_options opts) {
    opts.log = [this](const std::string& line) {
      std::lock_guard g{m};
      lines.push_back(line);
    };
    port = kvmem::publish(n.sys, st, 0, opts).value();
    kvmem::client{n.sys, st}.set(K("/a"), "hello").value();
  }
  ~guarded_server() {
    kvmem::unpublish(n.sys, st, port);
    caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
  }
  bool logged(const std::string& what) {
    std::lock_guard g{m};
    for (auto& l : lines)
      if (l.find(what) != std::string::npos)
        return true;
    for (auto& l : lines)
      UNSCOPED_INFO("logged: " << l);
    return false;
  }
  // A fresh client node gets /a (and so makes the guard sweep).
  bool serves() {
    test::node c;
    auto r = kvmem::remote_store(c.sys, "127.0.0.1", port);
    return r && kvmem::client{c.sys, *r}.get(K("/a")).value_or(kvmem::bytes{}).str() == "hello";
  }
  // serves(), tried for up to 10 s: the server releases a closed peer's
  // connection on its own loop turn, which on a loaded machine may come after
  // our next connection (refused meanwhile). A server that never releases it
  // refuses every try.
  bool serves_again() { return test::eventually([&] { return serves(); }); }
};

} // namespace

#ifdef KVMEM_REMOTE_HELPER
namespace {
// CPU seconds a process has used (user + system).
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(s.substr(s.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i)
    if (i == 14 || i == 15)
      ticks += std::stod(f);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}
} // namespace

TEST_CASE("at its file-descriptor limit a server refuses new clients and does not spin") {
  test::child server{{KVMEM_REMOTE_HELPER, "serve", "--fds", "64"}};
  auto line = server.line();
  REQUIRE(line.rfind("port ", 0) == 0);
  auto port = static_cast<std::uint16_t>(std::stoi(line.substr(5)));
  {
    // Warm-up while descriptors are free. UBSan checks a type's vptr the
    // first time a call site meets it and validates the memory with a pipe:
    // at the limit that fails and reports an "invalid vptr" (seen under load:
    // the server died in the sweep's routing-table lookup). So every path the
    // server takes at the limit runs once here: a client is served; a peer
    // breaking the rules is dropped; then, past the sweep's 100 ms interval,
    // a second client's arrival sweeps with a connection open (`held`) and a
    // node that has handshaken (the first client's).
    int held = test::tcp_to(port);
    REQUIRE(held >= 0);
    int bad = test::tcp_to(port);
    REQUIRE(bad >= 0);
    test::send_all(bad, std::string(basp_header_size, 'x'));
    REQUIRE(test::closed_by_peer(bad, 10s));
    ::close(bad);
    for (int i = 0; i < 2; ++i) {
      std::this_thread::sleep_for(150ms);
      test::child get{{KVMEM_REMOTE_HELPER, "get", std::to_string(port)}};
      auto status = get.wait();
      INFO(get.stderr_text());
      REQUIRE(status == 0);
    }
    ::close(held);
  }
  std::vector<int> conns;
  for (int i = 0; i < 100; ++i) {
    int fd = test::tcp_to(port);
    REQUIRE(fd >= 0);
    conns.push_back(fd);
  }
  // The server works through its backlog at its own pace (slowly under
  // sanitizers on a loaded machine): count the connections it closed until
  // there is one, for up to 20 s.
  int refused = 0;
  CHECK(test::eventually(
      [&] {
        refused = 0;
        for (int fd : conns)
          refused += closed_now(fd) ? 1 : 0;
        return refused > 0;
      },
      20s));
  CHECK(refused < 100);
  // Idle at the limit: no busy loop (CAF's own acceptor spins at ~1 core).
  // One window may still hold the end of the backlog's work, or be skewed by
  // a loaded machine; a busy loop fills every window, so up to three are
  // measured (CPU time per second of wall time) and one must be quiet.
  double busy = 1.0;
  for (int window = 0; window < 3 && busy >= 0.25; ++window) {
    auto cpu0 = cpu_seconds(server.pid);
    auto t0 = steady::now();
    std::this_thread::sleep_for(1s);
    std::chrono::duration<double> wall = steady::now() - t0;
    busy = (cpu_seconds(server.pid) - cpu0) / wall.count();
  }
  CHECK(busy < 0.25);
  CHECK_THAT(server.stderr_text(), Catch::Contains("out of file descriptors"));
  // Descriptors come back: the server serves again. It notices the closed
  // connections on its own loop turns; until then a client may still be
  // refused, so a client is tried for up to 20 s (each is a process).
  for (int fd : conns)
    ::close(fd);
  std::string why;
  bool served = test::eventually(
      [&] {
        test::child get{{KVMEM_REMOTE_HELPER, "get", std::to_string(port)}};
        auto status = get.wait();
        why += get.stderr_text();
        return status == 0;
      },
      20s);
  INFO(why << server.stderr_text());
  CHECK(served);
  server.close_stdin();
  CHECK(server.wait() == 0);
}
#endif

TEST_CASE("beyond max_connections new clients are closed at once and the event is logged") {
  kvmem::serve_options opts;
  opts.max_connections = 4;
  guarded_server s{opts};
  std::vector<int> held;
  for (int i = 0; i < 4; ++i)
    held.push_back(test::tcp_to(s.port));
  // The server greets each connection as it accepts it (BASP's server
  // handshake, written at once): once all four are greeted, it counts four
  // open connections, and the next one it accepts is one too many.
  for (int fd : held) {
    REQUIRE(fd >= 0);
    REQUIRE(test::readable(fd, 10s));
  }
  int extra = test::tcp_to(s.port);
  CHECK(test::closed_by_peer(extra, 10s));
  ::close(extra);
  CHECK(s.logged("refused a connection: 4 connections are open"));
  for (int fd : held)
    ::close(fd);
  CHECK(s.serves_again());
}

TEST_CASE("peers that never finish a handshake or a frame are dropped when room is needed") {
  kvmem::serve_options opts;
  opts.handshake_timeout = 200ms;
  opts.stall_timeout = 200ms;
  guarded_server s{opts};
  int peer = test::tcp_to(s.port);
  std::string expected;
  SECTION("a silent peer") {
    expected = "no handshake within 200 ms";
  }
  SECTION("a peer that stops in the middle of a message") {
    basp_header h;
    h.operation = static_cast<std::uint8_t>(basp_op::direct_message);
    h.payload_len = 1000;
    h.dest_actor = 6;
    test::send_all(peer, handshake(s.n.sys, 4242) + encode_header(h) + "0123456789");
    expected = "a message stalled for 200 ms";
  }
  // A new connection makes the guard sweep (at most every 100 ms). The
  // peer's deadline counts from when the server accepted it or last read from
  // it, which a loaded machine may delay: connect again until the peer is
  // dropped, for up to 10 s. A guard that never drops it fails.
  bool served = true, dropped = false;
  for (auto until = steady::now() + 10s; !dropped && steady::now() < until;) {
    served = s.serves() && served;
    dropped = test::closed_by_peer(peer, 500ms);
  }
  CHECK(served);
  CHECK(dropped);
  CHECK(s.logged(expected));
  ::close(peer);
}

TEST_CASE("incomplete frames of all peers together stay within max_buffered_bytes") {
  kvmem::serve_options opts;
  opts.max_buffered_bytes = 1 << 20;
  guarded_server s{opts};
  basp_header h;
  h.operation = static_cast<std::uint8_t>(basp_op::direct_message);
  h.payload_len = 900'000;
  h.dest_actor = 6;
  int a = test::tcp_to(s.port), b = test::tcp_to(s.port);
  // Each peer's reservation grows by doubling up to its frame's 900,000
  // bytes: 800 KB of a frame hold 900,000 bytes, 300 KB hold 524,288, and
  // together they exceed the 1 MiB budget. Whichever peer asks for room last
  // is dropped, and that depends on how the server interleaves its reads of
  // the two (on a loaded machine a's bytes may still be unread when b's
  // come). Either alone fits, so exactly one is dropped and the other kept.
  test::send_all(a, handshake(s.n.sys, 7) + encode_header(h) + std::string(800'000, 'a'));
  test::send_all(b, handshake(s.n.sys, 8) + encode_header(h) + std::string(300'000, 'b'));
  bool a_closed = false, b_closed = false;
  for (auto until = steady::now() + 10s; !a_closed && !b_closed && steady::now() < until;) {
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    ::poll(p, 2, 100);
    a_closed = closed_now(a);
    b_closed = closed_now(b);
  }
  CHECK((a_closed || b_closed));
  CHECK_FALSE((a_closed && b_closed));
  // The other peer stays: deadlines are checked only when a connection
  // arrives, and none does until serves(). A guard that drops both (or more
  // than it must) fails here.
  if (a_closed != b_closed)
    CHECK_FALSE(test::closed_by_peer(a_closed ? b : a, 1s));
  CHECK(s.logged("bytes of incomplete messages"));
  CHECK(s.serves());
  ::close(a);
  ::close(b);
}

TEST_CASE("a peer that asks and never reads its replies cannot grow the server's memory") {
  guarded_server s{kvmem::serve_options{}};
  const std::string big(1 << 20, 'B');
  kvmem::client{s.n.sys, s.st}.set(K("/big"), big).value();
  // Record what a real client sends to get /big, through a relay.
  std::string session;
  {
    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::listen(lfd, 1);
    socklen_t len = sizeof addr;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::thread relay([&] {
      int c = ::accept(lfd, nullptr, nullptr);
      int up = test::tcp_to(s.port);
      char buf[65536];
      for (;;) {
        pollfd p[2] = {{c, POLLIN, 0}, {up, POLLIN, 0}};
        if (::poll(p, 2, 10'000) <= 0)
          break;
        ssize_t n;
        if (p[0].revents && (n = ::recv(c, buf, sizeof buf, 0)) > 0) {
          session.append(buf, static_cast<std::size_t>(n));
          test::send_all(up, std::string(buf, static_cast<std::size_t>(n)));
        } else if (p[0].revents) {
          break;
        }
        if (p[1].revents && (n = ::recv(up, buf, sizeof buf, 0)) > 0)
          test::send_all(c, std::string(buf, static_cast<std::size_t>(n)));
        else if (p[1].revents)
          break;
      }
      ::close(c);
      ::close(up);
    });
    {
      test::node c;
      auto r = kvmem::remote_store(c.sys, "127.0.0.1", ntohs(addr.sin_port)).value();
      REQUIRE(kvmem::client{c.sys, r}.get(K("/big")).value().size() == big.size());
    }
    relay.join();
    ::close(lfd);
  }
  // The frames up to and including the get of /big, then that get 300 times.
  std::string prefix, get;
  for (std::size_t at = 0; at + 32 <= session.size();) {
    auto h = kvmem::detail::net::decode_header(session.data() + at);
    auto frame = session.substr(at, 32 + h.payload_len);
    at += frame.size();
    prefix += frame;
    if (h.operation == static_cast<std::uint8_t>(basp_op::direct_message) &&
        frame.find("big") != std::string::npos) {
      get = frame;
      break;
    }
  }
  REQUIRE(!get.empty());
  auto before = rss_bytes();
  int greedy = test::tcp_to(s.port);
  int small = 4096;
  ::setsockopt(greedy, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  test::send_all(greedy, prefix);
  int flags = ::fcntl(greedy, F_GETFL);
  ::fcntl(greedy, F_SETFL, flags | O_NONBLOCK);
  std::string all;
  for (int i = 0; i < 300; ++i)
    all += get;
  std::size_t sent = 0;
  auto until = std::chrono::steady_clock::now() + 3s;
  while (sent < all.size() && std::chrono::steady_clock::now() < until) {
    auto n = ::send(greedy, all.data() + sent, all.size() - sent, MSG_NOSIGNAL);
    if (n > 0)
      sent += static_cast<std::size_t>(n);
    else
      std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(500ms);
  // 300 replies of 1 MiB would be 300 MiB; the server stopped reading after
  // a few (max_pending_output is 4 MiB).
  CHECK(rss_bytes() < before + (64u << 20));
  ::close(greedy); // its unsent replies fail now, not at shutdown
  CHECK(s.serves());
}

TEST_CASE("unpublishing a guarded port stops listening; connections already open stay") {
  test::node n;
  auto st = kvmem::spawn_store(n.sys, kvmem::system_clock{}, test::served);
  kvmem::client{n.sys, st}.set(K("/a"), "hello").value();
  auto port = kvmem::publish(n.sys, st, 0).value();
  test::node c;
  auto remote = kvmem::remote_store(c.sys, "127.0.0.1", port).value();
  kvmem::client rc{c.sys, remote};
  REQUIRE(rc.get(K("/a")));
  kvmem::unpublish(n.sys, st, port);
  // The listening socket closes on the multiplexer's next loop turn, which a
  // loaded machine may delay: try for up to 10 s.
  CHECK(test::eventually([&] {
    int fd = test::tcp_to(port);
    if (fd >= 0)
      ::close(fd);
    return fd < 0;
  }));
  CHECK(rc.get(K("/a")).value().str() == "hello");
  caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
}
