// A bounded cursor over bytes in CAF 0.17.6's binary format (internal,
// CAF-free; header-only), for reading a peer's message before CAF decodes
// it (wire_fields.hpp).
//
// Format (caf::binary_serializer, verified on its output by
// tests/message_schema_test.cpp): integers big-endian at their size, a bool
// one byte, sizes varbyte (7 bits a byte, low first, high bit = more; CAF
// writes at most five bytes: 32 bits), a string or a sequence its size then
// its bytes or elements.
//
// Every read fails past the end, and once a read failed every later one
// fails too (and returns zero): a caller checks ok() once after a group of
// reads. A failed cursor says why in a short static string.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kvmem::detail::wire {

/// A node id as it travels: its kind (atom("default") or none), process id
/// and host id. Read so that a caller can compare it with a peer's.
struct node_ref {
  bool valid = false; // false: the invalid (none) node id
  std::uint32_t process = 0;
  std::array<unsigned char, 20> host{};
  friend bool operator==(const node_ref&, const node_ref&) = default;
};

/// Who sent the bytes a cursor reads, for readers that check identities: a
/// peer may name only its own node, the receiver's, or none (a node id it
/// made up would make CAF create proxies and routes for it), and the ids of
/// its own actors it names are collected in `actors` (if set), because CAF
/// keeps a proxy for each until the peer says it is gone.
struct speaker {
  node_ref peer, self;
  std::vector<std::uint64_t>* actors = nullptr;
};

class cursor {
public:
  cursor(const char* p, std::size_t n, const speaker* who = nullptr) noexcept
    : p_(reinterpret_cast<const unsigned char*>(p)), end_(p_ + n), who_(who) {}

  /// Who sent the bytes, or null (identities unchecked).
  const speaker* who() const noexcept { return who_; }

  bool ok() const noexcept { return why_ == nullptr; }
  /// Why the bytes were refused (the first failure), or null.
  const char* why() const noexcept { return why_; }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  bool at_end() const noexcept { return p_ == end_; }

  /// Marks the input refused (if it is not already), with a static reason.
  /// Returns false, for `return c.fail("...")`.
  bool fail(const char* why) noexcept {
    if (why_ == nullptr)
      why_ = why;
    p_ = end_;
    return false;
  }

  /// An unsigned big-endian integer of n <= 8 bytes.
  std::uint64_t be(std::size_t n) noexcept {
    if (!ok() || remaining() < n) {
      fail("a truncated field");
      return 0;
    }
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < n; ++i)
      x = (x << 8) | *p_++;
    return x;
  }
  std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(be(1)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(be(4)); }
  std::uint64_t u64() noexcept { return be(8); }

  /// A bool: CAF writes 0 or 1 (and reads any byte as one); others refused.
  bool flag() noexcept {
    auto b = u8();
    if (b > 1)
      fail("a bool that is neither 0 nor 1");
    return b == 1;
  }

  /// A varbyte size, as CAF writes one: at most five bytes and 32 bits
  /// (CAF reads more bytes, truncating to 32 bits: such sizes are refused).
  std::uint64_t size() noexcept {
    std::uint64_t x = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      auto b = u8();
      if (!ok())
        return 0;
      x |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (x > 0xffffffffu)
          break;
        return x;
      }
    }
    fail("a malformed size");
    return 0;
  }

  /// The size of a sequence of at most `limit` elements, each taking at
  /// least `min_bytes` (>= 1) of what follows: a longer one cannot be there.
  std::uint64_t count(std::uint64_t limit, std::size_t min_bytes, const char* too_many) noexcept {
    auto n = size();
    if (!ok())
      return 0;
    if (n > limit)
      return fail(too_many), 0;
    if (n > remaining() / min_bytes)
      return fail("a sequence longer than the message"), 0;
    return n;
  }

  /// A string of at most `limit` bytes.
  std::string_view string(std::uint64_t limit, const char* too_long) noexcept {
    auto n = size();
    if (!ok())
      return {};
    if (n > limit)
      return fail(too_long), std::string_view{};
    return raw(static_cast<std::size_t>(n));
  }

  /// The next n bytes.
  std::string_view raw(std::size_t n) noexcept {
    if (!ok() || remaining() < n) {
      fail("a length beyond the message");
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

private:
  const unsigned char* p_;
  const unsigned char* end_;
  const speaker* who_;
  const char* why_ = nullptr;
};

} // namespace kvmem::detail::wire
