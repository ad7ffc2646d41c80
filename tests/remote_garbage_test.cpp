// A served store survives hostile peers on loopback: random bytes, truncated
// and oversized frames, and well-formed CAF messages of the wrong type; its
// other clients keep being served throughout.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "net_fixture.hpp"

using kvmem::errc;

namespace {

using test::K;
using test::node;

// Connects a raw TCP socket to 127.0.0.1:port, writes `bytes`, optionally
// reads a little, and closes.
void raw_send(std::uint16_t port, const std::string& bytes, bool linger = false) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::size_t off = 0;
  while (off < bytes.size()) {
    auto n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0)
      break; // the server may close on us: that is fine
    off += static_cast<std::size_t>(n);
  }
  if (linger)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::close(fd);
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng() & 0xff);
  return s;
}

// A BASP-like header: operation, flags, payload length, ids (big endian).
std::string header(std::uint8_t op, std::uint32_t payload_len, std::size_t total = 64) {
  std::string h(total, '\0');
  h[0] = static_cast<char>(op);
  for (int i = 0; i < 4; ++i)
    h[4 + i] = static_cast<char>(payload_len >> (24 - 8 * i));
  return h;
}

} // namespace

TEST_CASE("the server survives garbage and keeps serving its other clients") {
  const auto seed = Catch::rngSeed() ? Catch::rngSeed() : 7u;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  node server;
  auto st = kvmem::spawn_store(server.sys, kvmem::system_clock{}, test::served);
  auto port = kvmem::publish(server.sys, st, 0).value();
  node client_node;
  auto remote = kvmem::remote_store(client_node.sys, "127.0.0.1", port).value();
  kvmem::client c{client_node.sys, remote};
  REQUIRE(c.set(K("/alive"), "0"));
  int round = 0;
  auto still_serving = [&] {
    ++round;
    INFO("after round " << round);
    REQUIRE(c.set(K("/alive"), std::to_string(round)));
    REQUIRE(c.get(K("/alive")).value() == std::to_string(round));
  };

  SECTION("random bytes") {
    for (int i = 0; i < 30; ++i) {
      raw_send(port, random_bytes(rng, 1 + rng() % 4096), i % 3 == 0);
      still_serving();
    }
  }
  SECTION("truncated and oversized frames") {
    for (std::uint8_t op = 0; op < 8; ++op) {
      raw_send(port, header(op, 1000).substr(0, 1 + rng() % 40));      // header cut short
      raw_send(port, header(op, 1000) + random_bytes(rng, 10));         // payload cut short
      raw_send(port, header(op, 0xffffffffu) + random_bytes(rng, 100)); // absurd length
      raw_send(port, header(op, 16) + random_bytes(rng, 16), true);     // garbage payload
      still_serving();
    }
  }
  SECTION("well-formed messages of the wrong type") {
    caf::scoped_actor self{client_node.sys, true};
    auto untyped = caf::actor_cast<caf::actor>(remote.actor());
    auto expect_error = [&](auto&&... xs) {
      bool got_error = false;
      self->request(untyped, std::chrono::seconds(10), std::forward<decltype(xs)>(xs)...)
          .receive([](caf::message&) {}, [&](caf::error&) { got_error = true; });
      CHECK(got_error);
    };
    expect_error(std::string("not a kvmem message"), 42);
    expect_error(kvmem::get_atom::value, 42);                      // wrong argument type
    expect_error(kvmem::get_atom::value, kvmem::pin{999}, K("/a")); // unknown pin
    expect_error(kvmem::commit_atom::value, std::string("x"));
    still_serving();
  }
  kvmem::unpublish(server.sys, st, port);
  caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
}
