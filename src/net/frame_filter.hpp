// Cuts a peer's byte stream into checked BASP frames (internal, CAF-free).
//
// The filter holds at most one frame: a header, then its payload, which
// grows only as the peer's bytes arrive (never sized from the declared
// length, so a lying header costs nothing). A frame is handed out only when
// complete, which is what keeps CAF from allocating for a payload that never
// comes. Payload bytes held by all filters that share a byte_budget are
// bounded by it. Not thread-safe: one connection, one thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "net/basp_frame.hpp"

namespace kvmem::detail::net {

/// Bytes of incomplete payloads held across connections (single-threaded).
struct byte_budget {
  std::size_t limit = 0;
  std::size_t used = 0;
  bool take(std::size_t n) noexcept {
    if (n > limit - used)
      return false;
    used += n;
    return true;
  }
  void give(std::size_t n) noexcept { used -= n; }
};

class frame_filter {
public:
  enum class status { need_more, frame, reject };

  /// budget may be null (then only the frame limit bounds the payload).
  frame_filter(sender from, frame_limits limits, byte_budget* budget)
    : rules_(from, limits), budget_(budget) {}
  ~frame_filter() { release(); }
  frame_filter(const frame_filter&) = delete;
  frame_filter& operator=(const frame_filter&) = delete;

  /// Consumes bytes from [p, end) until a frame is complete (status::frame:
  /// read it with header_bytes() and payload(), then call next()), the input
  /// is exhausted (need_more), or the peer broke the rules (reject: see
  /// reason(); the filter is then dead). Advances p past what it consumed.
  status feed(const char*& p, const char* end);

  /// The complete frame's 32 header bytes and decoded header.
  const char* header_bytes() const noexcept { return hdr_; }
  const basp_header& header() const noexcept { return header_; }
  /// The complete frame's payload; the caller may swap it out.
  std::vector<char>& payload() noexcept { return payload_; }
  /// Forgets the delivered frame and gets ready for the next header.
  void next();

  const std::string& reason() const noexcept { return reason_; }
  /// True while part of a frame has arrived but not all of it.
  bool mid_frame() const noexcept { return have_ > 0 && !complete_; }
  bool handshaken() const noexcept { return rules_.handshaken(); }
  /// The first bytes the peer sent (up to 32), for describing non-BASP peers.
  std::string first_bytes() const { return std::string(first_, first_len_); }
  std::size_t first_len() const noexcept { return first_len_; }

private:
  status reject(std::string why);
  void release() noexcept;

  frame_rules rules_;
  byte_budget* budget_;
  char hdr_[basp_header_size] = {};
  char first_[basp_header_size] = {};
  std::size_t first_len_ = 0;
  basp_header header_;
  std::size_t have_ = 0; // bytes of the current frame so far (header included)
  bool complete_ = false;
  std::vector<char> payload_;
  std::size_t charged_ = 0; // payload bytes charged to budget_
  std::string reason_;
};

} // namespace kvmem::detail::net
