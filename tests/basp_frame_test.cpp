// The guard's BASP rules and framing, without sockets: which headers pass
// from which side, and that a stream cut anywhere yields the same frames
// while a lying header costs no memory.
#include <catch2/catch.hpp>

#include <random>

#include "net/frame_filter.hpp"

using kvmem::detail::net::basp_header;
using kvmem::detail::net::basp_op;
using kvmem::detail::net::make_header;
using kvmem::detail::net::frame_filter;
using kvmem::detail::net::frame_limits;
using kvmem::detail::net::frame_rules;
using kvmem::detail::net::sender;

namespace {

const basp_header client_hs = make_header(basp_op::client_handshake, 32);
const basp_header request = make_header(basp_op::direct_message, 100, 0x1000000000000001, 9, 6);

std::string rejected(frame_rules& r, const basp_header& h) {
  auto why = r.check(h);
  return why ? *why : std::string{};
}

} // namespace

TEST_CASE("headers decode as CAF 0.17.6 writes them: 32 big-endian bytes") {
  std::mt19937_64 rng(Catch::rngSeed() + 1);
  for (int i = 0; i < 1000; ++i) {
    basp_header h;
    h.operation = static_cast<std::uint8_t>(rng());
    h.padding1 = static_cast<std::uint8_t>(rng());
    h.padding2 = static_cast<std::uint8_t>(rng());
    h.flags = static_cast<std::uint8_t>(rng());
    h.payload_len = static_cast<std::uint32_t>(rng());
    h.operation_data = rng();
    h.source_actor = rng();
    h.dest_actor = rng();
    auto bytes = kvmem::detail::net::encode_header(h);
    REQUIRE(bytes.size() == 32);
    auto back = kvmem::detail::net::decode_header(bytes.data());
    CHECK(back.operation == h.operation);
    CHECK(back.flags == h.flags);
    CHECK(back.payload_len == h.payload_len);
    CHECK(back.operation_data == h.operation_data);
    CHECK(back.source_actor == h.source_actor);
    CHECK(back.dest_actor == h.dest_actor);
  }
  // A header captured on the wire from a kvmem client (get request).
  const unsigned char wire[32] = {2, 0, 0, 0, 0, 0, 0, 35, 0x10, 0, 0, 0, 0, 0, 0, 1,
                                  0, 0, 0, 0, 0, 0, 0, 9, 0,    0, 0, 0, 0, 0, 0, 6};
  auto h = kvmem::detail::net::decode_header(reinterpret_cast<const char*>(wire));
  CHECK(h.operation == 2);
  CHECK(h.payload_len == 35);
  CHECK(h.operation_data == 0x1000000000000001);
  CHECK(h.source_actor == 9);
  CHECK(h.dest_actor == 6);
}

TEST_CASE("a server accepts what kvmem's clients send in the order they send it") {
  frame_rules r{sender::client, {}};
  CHECK(rejected(r, client_hs).empty());
  CHECK(rejected(r, make_header(basp_op::client_handshake, 32, 0, 0, 0, 2)).empty()); // select-connection
  CHECK(rejected(r, make_header(basp_op::direct_message, 45, 1, 7, 0x3de8a7d3b35f8fb, 1)).empty());
  CHECK(rejected(r, make_header(basp_op::monitor_message, 64, 0, 0, 6)).empty());
  CHECK(rejected(r, request).empty());
  CHECK(rejected(r, make_header(basp_op::down_message, 79, 0, 8, 0)).empty());
  CHECK(rejected(r, make_header(basp_op::heartbeat, 0)).empty());
}

TEST_CASE("a server drops the frames that crash or bloat CAF 0.17.6 and other misfits") {
  frame_limits limits;
  limits.max_frame = 1 << 20;
  auto first = [&](const basp_header& h) {
    frame_rules r{sender::client, limits};
    return rejected(r, h);
  };
  auto after_handshake = [&](const basp_header& h) {
    frame_rules r{sender::client, limits};
    REQUIRE(!r.check(client_hs));
    return rejected(r, h);
  };
  // The 32-byte crashes: handshakes that declare no payload.
  CHECK_THAT(first(make_header(basp_op::client_handshake, 0)), Catch::Contains("without payload"));
  CHECK_THAT(first(make_header(basp_op::server_handshake, 0, 3)), Catch::Contains("without payload"));
  // The 4 GB allocation, and anything above the frame limit.
  CHECK_THAT(after_handshake(make_header(basp_op::direct_message, 0xffffffff, 0, 1, 6)),
             Catch::Contains("above the limit"));
  CHECK_THAT(after_handshake(make_header(basp_op::direct_message, (1 << 20) + 1, 0, 1, 6)),
             Catch::Contains("above the limit"));
  CHECK(after_handshake(make_header(basp_op::direct_message, 1 << 20, 0, 1, 6)).empty());
  CHECK_THAT(first(make_header(basp_op::client_handshake, 0xffffffff)), Catch::Contains("handshake"));
  // Order: the handshake comes first, at most twice, and never from a server.
  CHECK_THAT(first(request), Catch::Contains("not a CAF handshake"));
  CHECK_THAT(first(make_header(basp_op::server_handshake, 100, 3)), Catch::Contains("server handshake"));
  {
    frame_rules r{sender::client, limits};
    REQUIRE(!r.check(client_hs));
    REQUIRE(!r.check(client_hs));
    CHECK_THAT(rejected(r, client_hs), Catch::Contains("repeated"));
  }
  {
    frame_rules r{sender::client, limits};
    REQUIRE(!r.check(client_hs));
    REQUIRE(!r.check(request));
    CHECK_THAT(rejected(r, client_hs), Catch::Contains("repeated"));
  }
  // Header fields CAF checks, and some it does not.
  CHECK(!first(make_header(basp_op::client_handshake, 32, 0, 1, 0)).empty());
  CHECK(!after_handshake(make_header(basp_op::direct_message, 10, 0, 1, 0)).empty()); // no receiver
  CHECK(!after_handshake(make_header(basp_op::direct_message, 0, 0, 1, 6)).empty());  // no payload
  CHECK_THAT(after_handshake(make_header(basp_op::routed_message, 100, 0, 1, 6)), Catch::Contains("routed"));
  CHECK(!after_handshake(make_header(basp_op::monitor_message, 64, 1, 0, 6)).empty());
  CHECK(!after_handshake(make_header(basp_op::monitor_message, 0, 0, 0, 6)).empty());
  CHECK(!after_handshake(make_header(basp_op::down_message, 79, 0, 8, 1)).empty());
  CHECK(!after_handshake(make_header(basp_op::down_message, 79, 0, 0, 0)).empty());
  CHECK_THAT(after_handshake(make_header(basp_op::heartbeat, 16)), Catch::Contains("heartbeat"));
  CHECK(!after_handshake(make_header(basp_op::heartbeat, 0, 1)).empty());
  CHECK_THAT(after_handshake(make_header(basp_op::direct_message, 10, 0, 1, 6, 0x04)),
             Catch::Contains("flags"));
  auto padded = request;
  padded.padding2 = 1;
  CHECK_THAT(after_handshake(padded), Catch::Contains("padding"));
  for (int op = 7; op < 256; ++op)
    CHECK_THAT(after_handshake(make_header(static_cast<basp_op>(op), 10, 0, 1, 6)),
               Catch::Contains("unknown BASP operation"));
}

TEST_CASE("a client accepts only a server handshake of BASP version 3 first") {
  auto first = [](const basp_header& h) {
    frame_rules r{sender::server, {}};
    return rejected(r, h);
  };
  CHECK(first(make_header(basp_op::server_handshake, 1642, 3)).empty());
  CHECK_THAT(first(make_header(basp_op::server_handshake, 1642, 2)), Catch::Contains("version"));
  CHECK_THAT(first(make_header(basp_op::server_handshake, 0, 3)), Catch::Contains("without payload"));
  CHECK_THAT(first(client_hs), Catch::Contains("client handshake"));
  CHECK_THAT(first(request), Catch::Contains("not a CAF handshake"));
  // "HTTP/1.1 400 Bad Request" read as a header.
  std::string http = "HTTP/1.1 400 Bad Request\r\nContent";
  CHECK_THAT(first(kvmem::detail::net::decode_header(http.data())), Catch::Contains("not a CAF handshake"));
  CHECK(kvmem::detail::net::describe_bytes(http.data(), http.size()) == "\"HTTP/1.1 400 Bad\"...");
  CHECK(kvmem::detail::net::describe_bytes("\x16\x03\x01", 3) == "16 03 01");
}

namespace {

// A handshake and n frames with random payloads, as one byte stream.
std::string session(std::mt19937& rng, int n, std::vector<std::string>& payloads) {
  auto frame = [&](const basp_header& h) {
    std::string p(h.payload_len, '\0');
    for (auto& c : p)
      c = static_cast<char>(rng());
    payloads.push_back(p);
    return kvmem::detail::net::encode_header(h) + p;
  };
  std::string out = frame(client_hs);
  for (int i = 0; i < n; ++i) {
    auto len = static_cast<std::uint32_t>(rng() % 3 == 0 ? 0 : 1 + rng() % 9000);
    out += frame(len == 0 ? make_header(basp_op::heartbeat, 0) : make_header(basp_op::direct_message, len, i, 1, 6));
  }
  return out;
}

} // namespace

TEST_CASE("a stream cut anywhere yields the same frames") {
  const auto seed = Catch::rngSeed();
  for (unsigned run = 0; run < 50; ++run) {
    INFO("seed " << seed << " run " << run);
    std::mt19937 rng(seed + run);
    std::vector<std::string> payloads;
    auto bytes = session(rng, 40, payloads);
    kvmem::detail::net::byte_budget budget{1 << 20, 0};
    frame_filter f{sender::client, {}, &budget};
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < bytes.size()) {
      auto n = std::min<std::size_t>(bytes.size() - at, 1 + rng() % 700);
      const char* p = bytes.data() + at;
      const char* end = p + n;
      for (;;) {
        auto st = f.feed(p, end);
        REQUIRE(st != frame_filter::status::reject);
        if (st == frame_filter::status::need_more)
          break;
        auto& pl = f.payload();
        out.emplace_back(pl.begin(), pl.end());
        CHECK(f.header().payload_len == pl.size());
        f.next();
      }
      CHECK(p == end);
      at += n;
    }
    CHECK(out == payloads);
    CHECK(budget.used == 0);
    CHECK(!f.mid_frame());
  }
}

TEST_CASE("a header's declared length costs nothing until the bytes arrive") {
  kvmem::detail::net::byte_budget budget{std::size_t{1} << 32, 0};
  frame_filter f{sender::client, {}, &budget};
  auto bytes = kvmem::detail::net::encode_header(client_hs) + std::string(32, 'n') +
               kvmem::detail::net::encode_header(make_header(basp_op::direct_message, 1'000'000'000, 0, 1, 6)) +
               std::string(100, 'x');
  const char* p = bytes.data();
  REQUIRE(f.feed(p, bytes.data() + bytes.size()) == frame_filter::status::frame);
  f.next();
  CHECK(f.feed(p, bytes.data() + bytes.size()) == frame_filter::status::need_more);
  CHECK(f.mid_frame());
  CHECK(f.payload().capacity() <= 4096);
  CHECK(budget.used <= 4096);
}

TEST_CASE("incomplete frames of all connections share one budget") {
  kvmem::detail::net::byte_budget budget{100'000, 0};
  frame_filter a{sender::client, {}, &budget};
  frame_filter b{sender::client, {}, &budget};
  auto start = kvmem::detail::net::encode_header(client_hs) + std::string(32, 'n') +
               kvmem::detail::net::encode_header(make_header(basp_op::direct_message, 90'000, 0, 1, 6));
  auto feed = [](frame_filter& f, const std::string& s) {
    const char* p = s.data();
    frame_filter::status st;
    while ((st = f.feed(p, s.data() + s.size())) == frame_filter::status::frame)
      f.next();
    return st;
  };
  REQUIRE(feed(a, start + std::string(80'000, 'a')) == frame_filter::status::need_more);
  REQUIRE(feed(b, start) == frame_filter::status::need_more);
  CHECK(feed(b, std::string(30'000, 'b')) == frame_filter::status::reject);
  CHECK_THAT(b.reason(), Catch::Contains("incomplete messages"));
  CHECK(feed(b, "more") == frame_filter::status::reject); // dead for good
  auto held = budget.used;
  CHECK(held >= 80'000);
  // a's frame completes (and is handed out by feed): its bytes come back.
  CHECK(feed(a, std::string(10'000, 'a')) == frame_filter::status::need_more);
  CHECK(!a.mid_frame());
  CHECK(budget.used == 0);
}
