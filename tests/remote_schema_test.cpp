// The guard's schema on the wire (src/net/basp_payload.hpp), on loopback:
// the attacks of issue 15 that the type-name check let through. A server
// drops a client that sends a lone caf::error, a @charbuf declaring 4 GiB,
// or a key of millions of empty segments or too many segments, before CAF
// decodes (or allocates for) any of it, and keeps serving its other clients
// with their data intact; a client drops a server that replies with a
// nested message, a @charbuf or a bad @config_value, and sees `unavailable`
// instead of crashing, bloating or losing its broker.
#include <catch2/catch.hpp>

#include <fstream>
#include <mutex>
#include <thread>

#include <caf/binary_serializer.hpp>
#include <caf/node_id.hpp>
#include <caf/scoped_actor.hpp>

#include "eventually.hpp"
#include "net/basp_frame.hpp"
#include "net_fixture.hpp"

using kvmem::detail::net::basp_header;
using kvmem::detail::net::basp_op;
using kvmem::detail::net::decode_header;
using kvmem::detail::net::encode_header;
using kvmem::detail::net::make_header;
using namespace std::chrono_literals;

namespace {

using test::K;
using test::node;

// The peak resident memory of this process since the last reset, in bytes
// (VmHWM; reset by writing 5 to clear_refs).
void schema_reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }
std::size_t schema_peak_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stoull(line.substr(6)) * 1024;
  return 0;
}

// A client handshake as CAF writes it, from a node of its own.
std::string schema_handshake(caf::actor_system& sys, std::uint32_t pid) {
  caf::node_id::default_data::host_id_type host{};
  host[0] = 0x5c;
  auto nid = caf::make_node_id(pid, host);
  std::vector<char> payload;
  caf::binary_serializer sink{sys, payload};
  REQUIRE(!sink(nid));
  return encode_header(make_header(basp_op::client_handshake, static_cast<std::uint32_t>(payload.size()))) +
         std::string(payload.begin(), payload.end());
}

// A message's type number and type list, as CAF writes them.
std::string schema_msg_header(const std::string& names) {
  REQUIRE(names.size() < 128);
  return std::string(2, '\0') + static_cast<char>(names.size()) + names;
}

// A direct message frame: a request (or a response) with `payload`.
std::string schema_frame(const std::string& payload, std::uint64_t src, std::uint64_t dest,
                         std::uint64_t id = 0x1000000000000001) {
  return encode_header(make_header(basp_op::direct_message, static_cast<std::uint32_t>(payload.size()), id, src,
                                   dest)) +
         payload;
}

// The payloads of issue 15: a message holding only a caf::error, one
// holding a @charbuf that declares 4 GiB, a message nested 40,000 deep, a
// @config_value with an unknown variant index (each after an empty
// forwarding stack).
std::string schema_lone_error(caf::actor_system& sys) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  std::vector<caf::strong_actor_ptr> stages;
  auto m = caf::make_message(caf::make_error(caf::sec::runtime_error, "forged"));
  REQUIRE(!sink(stages, m));
  return {buf.begin(), buf.end()};
}
std::string schema_huge_charbuf() {
  return std::string(1, '\0') + schema_msg_header("@<>+@charbuf") + "\xff\xff\xff\xff\x0f" + "xyz";
}
std::string schema_nested() {
  std::string p(1, '\0');
  for (int i = 0; i < 40'000; ++i)
    p += schema_msg_header("@<>+@message");
  return p + schema_msg_header("@<>");
}
std::string schema_bad_config_value() { return std::string(1, '\0') + schema_msg_header("@<>+@config_value") + "c"; }

// A raw connection to a port, closed on destruction.
struct schema_raw {
  int fd = -1;
  schema_raw(std::uint16_t port, const std::string& bytes) {
    fd = test::tcp_to(port);
    REQUIRE(fd >= 0);
    test::send_all(fd, bytes);
  }
  ~schema_raw() {
    if (fd >= 0)
      ::close(fd);
  }
};

struct schema_fixture : test::logged_server {
  std::uint64_t store_id = st.actor()->id();

  schema_fixture() {
    for (int i = 0; i < 20; ++i)
      REQUIRE(c.set(K("/data/k" + std::to_string(i)), std::string(i * 10, 'v')));
  }
  // The client is still served, the data intact; so is a new client.
  void still_serving() {
    REQUIRE(c.set(K("/alive"), "1"));
    REQUIRE(c.get(K("/data/k19")).value() == std::string(190, 'v'));
    node other;
    auto r = kvmem::remote_store(other.sys, "127.0.0.1", port).value();
    kvmem::client oc{other.sys, r};
    REQUIRE(oc.list(K("/data")).value().size() == 20);
  }
};

} // namespace

TEST_CASE_METHOD(schema_fixture, "a lone caf::error is refused; the store lives and keeps its data") {
  schema_raw evil{port, schema_handshake(server.sys, 71) + schema_frame(schema_lone_error(server.sys), 5, store_id)};
  CHECK(test::closed_by_peer(evil.fd, 10s));
  still_serving();
  CHECK_THAT(last_log(), Catch::Contains("@<>+@error"));
}

TEST_CASE_METHOD(schema_fixture, "a @charbuf declaring 4 GiB is refused before CAF allocates it") {
  schema_reset_peak();
  auto before = schema_peak_bytes();
  schema_raw evil{port, schema_handshake(server.sys, 72) + schema_frame(schema_huge_charbuf(), 5, store_id)};
  CHECK(test::closed_by_peer(evil.fd, 10s));
  still_serving();
  CHECK(schema_peak_bytes() < before + (256u << 20));
  CHECK_THAT(last_log(), Catch::Contains("@charbuf"));
}

TEST_CASE_METHOD(schema_fixture, "keys of millions of empty segments or too many segments are refused unread") {
  // (kv_set, key, bytes) with the key's bytes as given.
  std::string atom;
  for (int i = 7; i >= 0; --i)
    atom.push_back(static_cast<char>(static_cast<std::uint64_t>(caf::atom_value{kvmem::set_atom::value}) >> (8 * i)));
  auto set_with = [&](const std::string& key_bytes) {
    return std::string(1, '\0') + schema_msg_header("@<>+@atom+kvmem::key+kvmem::bytes") + atom + key_bytes +
           "\x01v";
  };
  // A valid key there is served.
  {
    schema_raw ok{port, schema_handshake(server.sys, 73) + schema_frame(set_with("\x01\x01k"), 5, store_id)};
    CHECK_FALSE(test::closed_by_peer(ok.fd, 500ms));
  }
  std::string key, what;
  SECTION("10 million empty segments (CAF held 54 times their bytes)") {
    key = "\x80\xad\xe2\x04" + std::string(10'000'000, '\0'); // varbyte 10,000,000
    what = "segments";
  }
  SECTION("5,000 segments of one byte") {
    key = "\x88\x27"; // varbyte 5,000
    for (int i = 0; i < 5000; ++i)
      key += "\x01k";
    what = "too many segments";
  }
  schema_reset_peak();
  auto before = schema_peak_bytes();
  schema_raw evil{port, schema_handshake(server.sys, 74) + schema_frame(set_with(key), 5, store_id)};
  CHECK(test::closed_by_peer(evil.fd, 10s));
  still_serving();
  // The frame itself is held once or twice while it arrives.
  CHECK(schema_peak_bytes() < before + 3 * key.size() + (64u << 20));
  CHECK_THAT(last_log(), Catch::Contains(what));
}

// One-way messages are not held back by replies: a peer could queue any
// amount of them, decoded, in the store's mailbox. Small ones (what kvmem's
// clients send one way: acknowledgements, unpin, unwatch) pass; above
// 64 KiB the peer is dropped.
TEST_CASE_METHOD(schema_fixture, "one-way messages above 64 KiB are refused and small ones served") {
  std::string atom;
  for (int i = 7; i >= 0; --i)
    atom.push_back(static_cast<char>(static_cast<std::uint64_t>(caf::atom_value{kvmem::set_atom::value}) >> (8 * i)));
  auto set_of = [&](const std::string& name, std::size_t size) {
    std::vector<char> v;
    caf::binary_serializer sink{server.sys, v};
    REQUIRE(!sink(test::K(name), kvmem::bytes{std::string(size, 'o')}));
    return std::string(1, '\0') + schema_msg_header("@<>+@atom+kvmem::key+kvmem::bytes") + atom +
           std::string(v.begin(), v.end());
  };
  const std::uint64_t one_way = 0x1000000000000000; // no request id: nothing waits
  schema_raw small{port, schema_handshake(server.sys, 75) + schema_frame(set_of("/oneway/small", 100), 5, store_id, one_way)};
  CHECK(test::eventually([&] { return c.exists(K("/oneway/small")).value().has_value(); }));
  schema_raw big{port, schema_handshake(server.sys, 76) +
                           schema_frame(set_of("/oneway/big", 100 * 1024), 5, store_id, one_way)};
  CHECK(test::closed_by_peer(big.fd, 10s));
  CHECK_THAT(last_log(), Catch::Contains("a one-way message of"));
  still_serving();
  CHECK(!c.exists(K("/oneway/big")).value());
}

namespace {

// Where a BASP stream is: inside a header (have < 32) or a payload.
struct schema_stream_position {
  std::size_t have = 0, payload_left = 0;
  char hdr[32];
  // Follows n bytes of the stream; calls f with each header.
  template <class F>
  void follow(const char* p, std::size_t n, F f) {
    for (std::size_t i = 0; i < n; ++i) {
      if (payload_left > 0) {
        --payload_left;
        continue;
      }
      hdr[have++] = p[i];
      if (have == 32) {
        auto h = decode_header(hdr);
        payload_left = h.payload_len;
        have = 0;
        f(h);
      }
    }
  }
  bool between_frames() const { return have == 0 && payload_left == 0; }
};

// Relays one client connection to a server and, when told, slips a
// response of its own to the client between two of the server's frames,
// addressed to the actor that sent the client's last request (CAF drops
// messages to unknown actors before decoding them): a hostile server as the
// client sees it.
struct schema_mitm {
  int lfd = -1;
  std::uint16_t port = 0;
  std::mutex m;
  std::string inject; // a payload
  basp_header last_request; // the client's last direct message
  bool injected = false;
  std::atomic<bool> stop{false};
  std::thread th;

  explicit schema_mitm(std::uint16_t target) {
    lfd = test::listen_loopback(port);
    REQUIRE(lfd >= 0);
    th = std::thread([this, target] { run(target); });
  }
  ~schema_mitm() {
    stop = true;
    th.join();
    ::close(lfd);
  }
  void send_to_client(std::string payload) {
    std::lock_guard g{m};
    inject = std::move(payload);
  }
  bool wait_injected(std::chrono::milliseconds wait) {
    auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard g{m};
        if (injected)
          return true;
      }
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

private:
  void run(std::uint16_t target) {
    pollfd lp{lfd, POLLIN, 0};
    while (!stop && ::poll(&lp, 1, 50) <= 0) {
    }
    if (stop)
      return;
    int c = ::accept(lfd, nullptr, nullptr);
    int s = test::tcp_to(target);
    schema_stream_position from_client, from_server;
    char buf[65536];
    while (!stop) {
      pollfd p[2] = {{c, POLLIN, 0}, {s, POLLIN, 0}};
      int rc = ::poll(p, 2, 10);
      if (rc < 0)
        break;
      if (p[0].revents != 0) {
        auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0)
          break;
        from_client.follow(buf, static_cast<std::size_t>(n), [&](const basp_header& h) {
          if (h.operation == static_cast<std::uint8_t>(basp_op::direct_message) && h.source_actor != 0) {
            std::lock_guard g{m};
            last_request = h;
          }
        });
        test::send_all(s, std::string(buf, static_cast<std::size_t>(n)));
      }
      if (p[1].revents != 0) {
        auto n = ::recv(s, buf, sizeof buf, 0);
        if (n <= 0)
          break;
        from_server.follow(buf, static_cast<std::size_t>(n), [](const basp_header&) {});
        test::send_all(c, std::string(buf, static_cast<std::size_t>(n)));
      }
      std::lock_guard g{m};
      if (!inject.empty() && from_server.between_frames() && last_request.source_actor != 0) {
        test::send_all(c, schema_frame(inject, last_request.dest_actor, last_request.source_actor,
                                       last_request.operation_data | (std::uint64_t{1} << 63)));
        inject.clear();
        injected = true;
      }
    }
    ::close(c);
    ::close(s);
  }
};

} // namespace

TEST_CASE_METHOD(schema_fixture, "a hostile server's reply leaves a client alive, seeing unavailable") {
  std::string payload, what;
  SECTION("a message nested 40,000 deep (SIGSEGV in CAF's decoder)") { payload = schema_nested(); }
  SECTION("a @charbuf declaring 4 GiB (allocated and zeroed by CAF)") { payload = schema_huge_charbuf(); }
  SECTION("a bad @config_value (CAF's decoder throws in the broker)") { payload = schema_bad_config_value(); }
  schema_mitm mitm{port};
  node victim;
  auto r = kvmem::remote_store(victim.sys, "127.0.0.1", mitm.port).value();
  kvmem::client vc{victim.sys, r};
  REQUIRE(vc.get(K("/data/k3")).value() == std::string(30, 'v'));
  schema_reset_peak();
  auto before = schema_peak_bytes();
  mitm.send_to_client(payload);
  REQUIRE(mitm.wait_injected(5s));
  // The client's guard drops the connection: its calls fail as for a lost
  // server.
  auto until = std::chrono::steady_clock::now() + 10s;
  kvmem::result<kvmem::bytes> got = kvmem::bytes{};
  while (got && std::chrono::steady_clock::now() < until) {
    got = vc.get(K("/data/k3"));
    if (got)
      std::this_thread::sleep_for(10ms);
  }
  REQUIRE_FALSE(got);
  CHECK(got.error().code == kvmem::errc::unavailable);
  CHECK(schema_peak_bytes() < before + (256u << 20));
  // The client's node is intact: it reaches the server again (directly;
  // until CAF has forgotten the dropped connection's proxy, a new handle may
  // still be that dead proxy, which fails connecting's first exchange, the
  // store's limits, or the calls: then it tries again).
  kvmem::result<kvmem::bytes> reread = kvmem::bytes{};
  bool reached = test::eventually([&] {
    auto again = kvmem::remote_store(victim.sys, "127.0.0.1", port);
    if (!again) {
      reread = again.error();
      return false;
    }
    kvmem::client ac{victim.sys, *again};
    reread = ac.get(K("/data/k5"));
    return reread.has_value();
  }, 30s);
  INFO((reread ? std::string("read") : reread.error().message()));
  CHECK(reached);
  CHECK(reread.value() == std::string(50, 'v'));
}

TEST_CASE_METHOD(schema_fixture, "a request to a signature that replies nothing gets CAF's empty reply through") {
  // An actor client may ask (unpin_atom, pin) with request instead of send:
  // CAF then answers with an empty message, which the client's guard lets
  // through.
  caf::scoped_actor self{client_node.sys, true};
  bool answered = false;
  self->request(remote.actor(), 10s, kvmem::unpin_atom::value, kvmem::pin{12345})
      .receive([&] { answered = true; }, [&](caf::error&) {});
  CHECK(answered);
  REQUIRE(c.get(K("/data/k7")).value() == std::string(70, 'v'));
}
