// Fuzz target: kvmem's BASP frame filter (src/net/frame_filter.hpp), the
// first code that reads a peer's bytes.
//
// Input: a 4-byte prologue (who sends, the limits, the budget, and a seed
// for how the stream is cut into reads), then the byte stream. The stream is
// fed once in one piece and once in reads of varying sizes; both must cut
// the same frames and reject at the same header for the same reason. Every
// frame handed out must be exactly the next bytes of the stream, with a
// header that decodes and re-encodes to itself and a payload of the declared
// length; the filter must never hold more than 64 KiB plus twice the payload
// bytes that arrived, nor charge a shared budget beyond its limit, and must
// return every charged byte. describe_bytes must describe any prefix briefly.
// Each frame then goes through the guard's next steps (handshake_node, the
// payload checks as the peer the handshake named): no crash, and no down or
// monitor message about a node other than the peer's passes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <string>
#include <string_view>
#include <vector>

#include "net/basp_frame.hpp"
#include "net/basp_payload.hpp"
#include "net/frame_filter.hpp"

#include "fuzz_check.hpp"

namespace {

using namespace kvmem::detail::net;

struct outcome {
  std::vector<std::string> frames; // header bytes + payload, in order
  std::optional<std::string> rejected;
  std::size_t consumed = 0;
  friend bool operator==(const outcome&, const outcome&) = default;
};

// xorshift: how long each read is, independent of the stream's bytes so that
// mutating the stream does not change the cuts.
struct cuts {
  std::uint32_t s;
  std::size_t next() {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    switch (s % 4) {
      case 0: return 1 + (s >> 8) % 4;
      case 1: return 1 + (s >> 8) % 40;
      case 2: return 1 + (s >> 8) % 400;
      default: return 1 + (s >> 8) % 5000;
    }
  }
};

outcome run(std::string_view stream, sender from, frame_limits limits, byte_budget* budget,
            std::optional<cuts> cut) {
  outcome out;
  frame_filter f{from, limits, budget};
  const kvmem::detail::wire::node_ref self_node{true, 8, {}};
  std::vector<std::uint64_t> named;
  kvmem::detail::wire::speaker who{{}, self_node, &named};
  bool identified = false;
  const char* p = stream.data();
  const char* const end = p + stream.size();
  std::size_t steps = 0;
  while (!out.rejected && p < end) {
    const char* chunk_end = cut ? p + std::min<std::size_t>(cut->next(), static_cast<std::size_t>(end - p)) : end;
    const char* const before = p;
    while (p < chunk_end) {
      KVMEM_FUZZ_CHECK(++steps <= 2 * stream.size() + 2, "the filter makes no progress at offset {}",
                       p - stream.data());
      auto st = f.feed(p, chunk_end);
      KVMEM_FUZZ_CHECK(p >= before && p <= chunk_end, "feed moved p outside its input");
      if (st == frame_filter::status::reject) {
        KVMEM_FUZZ_CHECK(!f.reason().empty(), "a rejection without a reason");
        out.rejected = f.reason();
        break;
      }
      if (st == frame_filter::status::need_more) {
        KVMEM_FUZZ_CHECK(p == chunk_end, "need_more with {} bytes left", chunk_end - p);
        KVMEM_FUZZ_CHECK(f.mid_frame() == (out.consumed < static_cast<std::size_t>(p - stream.data())),
                         "mid_frame() is wrong");
        break;
      }
      // A frame: its bytes are the next bytes of the stream.
      const basp_header& h = f.header();
      std::string hb(f.header_bytes(), basp_header_size);
      KVMEM_FUZZ_CHECK(encode_header(decode_header(hb.data())) == hb, "a header does not re-encode to itself");
      KVMEM_FUZZ_CHECK(encode_header(h) == hb, "header() is not the header's bytes");
      KVMEM_FUZZ_CHECK(f.payload().size() == h.payload_len, "a payload of {} bytes, declared {}",
                       f.payload().size(), h.payload_len);
      std::string frame = hb + std::string(f.payload().begin(), f.payload().end());
      KVMEM_FUZZ_CHECK(stream.substr(out.consumed, frame.size()) == frame,
                       "frame {} is not the stream's bytes at offset {}", out.frames.size(), out.consumed);
      KVMEM_FUZZ_CHECK(h.payload_len <= std::max(limits.max_frame, limits.max_control),
                       "a frame above the limits");
      // What the guard does next with the frame: a handshake names the
      // peer, every later payload is checked as that peer's (issue 15's
      // identity rules); none of it may crash or pass a foreign node.
      const auto op = static_cast<basp_op>(h.operation);
      if (op == basp_op::client_handshake || op == basp_op::server_handshake) {
        auto claimed = handshake_node(h, f.payload().data(), f.payload().size(), self_node);
        if (auto* node = std::get_if<kvmem::detail::wire::node_ref>(&claimed); node && !identified) {
          who.peer = *node;
          identified = true;
        }
      } else {
        named.clear();
        auto check = from == sender::client
                         ? check_client_payload(h, f.payload().data(), f.payload().size(), identified ? &who : nullptr)
                         : check_server_payload(h, f.payload().data(), f.payload().size(), identified ? &who : nullptr);
        if (check.action == verdict::deliver && identified &&
            (op == basp_op::down_message || op == basp_op::monitor_message)) {
          kvmem::detail::wire::cursor c{f.payload().data(), f.payload().size()};
          auto first = kvmem::detail::wire::read_node(c);
          auto second = kvmem::detail::wire::read_node(c);
          KVMEM_FUZZ_CHECK(first == who.peer && second == who.self,
                           "a down or monitor message about another node passed");
        }
      }
      out.consumed += frame.size();
      KVMEM_FUZZ_CHECK(static_cast<std::size_t>(p - stream.data()) == out.consumed,
                       "the filter consumed bytes beyond its frame");
      out.frames.push_back(std::move(frame));
      f.next();
    }
    // What the filter holds: bounded by what arrived, never by what a header
    // declares (payload growth doubles at most; 64 KiB stay between frames).
    const std::size_t held = f.payload().size();
    KVMEM_FUZZ_CHECK(f.payload().capacity() <= std::max<std::size_t>(64 * 1024, 2 * held),
                     "the filter holds {} bytes for a payload of {} so far", f.payload().capacity(), held);
    if (budget != nullptr)
      KVMEM_FUZZ_CHECK(budget->used <= budget->limit, "budget used {} above its limit {}", budget->used,
                       budget->limit);
  }
  const std::size_t first = std::min<std::size_t>(basp_header_size, static_cast<std::size_t>(p - stream.data()));
  KVMEM_FUZZ_CHECK(f.first_bytes().substr(0, first) == stream.substr(0, first), "first_bytes() is wrong");
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kvmem_fuzz::reader in(data, size);
  const std::uint8_t mode = in.byte(), lim = in.byte();
  const std::uint32_t seed = 1u + in.byte() * 256u + in.byte();
  const std::string_view stream = in.take(in.left());
  const sender from = mode & 1 ? sender::server : sender::client;
  frame_limits limits;
  if (mode & 2) // small limits, reachable by small inputs
    limits = frame_limits{16u + lim * 8u, 16u + (lim >> 4) * 16u};
  // Chunked and whole, without a budget: the same outcome.
  const outcome whole = run(stream, from, limits, nullptr, std::nullopt);
  const outcome chunked = run(stream, from, limits, nullptr, cuts{seed});
  KVMEM_FUZZ_CHECK(whole == chunked, "cutting the stream into reads changed the outcome: {} frames, {} vs {} "
                   "frames, {}", whole.frames.size(), whole.rejected.value_or("-"), chunked.frames.size(),
                   chunked.rejected.value_or("-"));
  // With a small shared budget: only fewer frames (a prefix), and every
  // charged byte comes back.
  byte_budget budget{static_cast<std::size_t>(1 + (mode >> 2)) * 1024, 0};
  const outcome tight = run(stream, from, limits, &budget, cuts{seed});
  KVMEM_FUZZ_CHECK(budget.used == 0, "{} budget bytes not returned", budget.used);
  KVMEM_FUZZ_CHECK(tight.frames.size() <= whole.frames.size() &&
                     std::equal(tight.frames.begin(), tight.frames.end(), whole.frames.begin()),
                   "a budget changed the frames");
  const bool over_budget = tight.rejected && tight.rejected->find("incomplete messages") != std::string::npos;
  if (!over_budget)
    KVMEM_FUZZ_CHECK(tight == whole, "a budget changed the outcome without exceeding the budget");
  // describe_bytes: brief, whatever the bytes.
  const std::string d = describe_bytes(stream.data(), std::min<std::size_t>(stream.size(), 64));
  KVMEM_FUZZ_CHECK(d.size() <= 16 * 4 + 8, "describe_bytes gave {} characters", d.size());
  return 0;
}
