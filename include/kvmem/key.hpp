// kvmem::key — a path of segments naming an entry in the store (Mirage_kv.Key).
//
// A key is a list of non-empty segments without '/'; the empty list is the
// root dictionary. Keys are plain values: copyable, comparable, hashable,
// and safe to share between threads once built (no hidden mutation).
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "kvmem/detail/format.hpp"

namespace kvmem {

class key {
public:
  /// The root key (no segments).
  key() = default;

  /// Parses a path: segments are separated by '/', empty segments are
  /// dropped, so "/a/b", "a/b" and "//a//b/" are all {a, b}; "" and "/"
  /// are the root. Never fails. O(length); allocates one string per segment.
  static key v(std::string_view path);

  /// Builds a key from segments; throws std::invalid_argument if a segment
  /// is empty or contains '/'.
  static key of(std::initializer_list<std::string_view> segments);

  /// Builds a key from segments, or returns false (leaving *out alone) if a
  /// segment is empty or contains '/'. For decoding untrusted input.
  static bool from_segments(std::vector<std::string> segments, key* out);

  /// This key with one more segment. Throws std::invalid_argument if `seg`
  /// is empty or contains '/'; every other byte (NUL, UTF-8, ' ') is valid.
  key operator/(std::string_view seg) const&;
  key operator/(std::string_view seg) &&;

  /// The segments of `x` followed by those of `y`.
  friend key append(const key& x, const key& y);

  const std::vector<std::string>& segments() const noexcept { return segs_; }
  std::size_t depth() const noexcept { return segs_.size(); }
  bool is_root() const noexcept { return segs_.empty(); }

  /// The last segment, "" for the root. The view lives as long as *this.
  std::string_view basename() const noexcept;

  /// All segments but the last; the root's parent is the root.
  key parent() const;

  /// True if every segment of *this starts `other` (segment-wise: /a is a
  /// prefix of /a and of /a/b, not of /ab). The root prefixes every key.
  bool is_prefix_of(const key& other) const noexcept;

  /// "/" followed by the segments joined with "/"; the root is "/".
  std::string to_string() const;

  friend bool operator==(const key&, const key&) = default;
  /// Lexicographic on segments: /a < /a/b < /b.
  friend std::strong_ordering operator<=>(const key& x, const key& y) noexcept {
    return x.segs_ <=> y.segs_;
  }

private:
  explicit key(std::vector<std::string> segs) : segs_(std::move(segs)) {}
  static void check_segment(std::string_view seg);
  std::vector<std::string> segs_;
};

/// Hash of a key, consistent with ==.
std::size_t hash_value(const key& k) noexcept;

/// k.to_string(), for fmt and generic code.
inline std::string to_string(const key& k) { return k.to_string(); }

} // namespace kvmem

template <>
struct std::hash<kvmem::key> {
  std::size_t operator()(const kvmem::key& k) const noexcept { return kvmem::hash_value(k); }
};

template <>
struct fmt::formatter<kvmem::key> : kvmem::detail::to_string_formatter<kvmem::key> {};
