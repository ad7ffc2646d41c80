// Making value nodes, and the tree's access to the node behind a bytes
// handle (internal).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "kvmem/bytes.hpp"

namespace kvmem::detail {

/// The largest value kvmem will try to allocate (2^48 bytes); anything
/// larger is refused as no_space without asking the allocator.
inline constexpr std::uint64_t max_value_size = std::uint64_t{1} << 48;

/// A new node of `n` uninitialised bytes, count 1. Throws std::bad_alloc.
value_node* alloc_value(std::uint64_t n);
/// A new node holding a copy of `s`, count 1. Throws std::bad_alloc.
value_node* make_value(std::string_view s);

/// The node behind a bytes handle, for src/tree.
struct bytes_access {
  /// Wraps a node reference the caller owns (no increment).
  static bytes adopt(value_node* n) noexcept {
    bytes b;
    b.n_ = n;
    return b;
  }
  /// Takes the node reference out of `b` (null for the empty value).
  static value_node* release(bytes& b) noexcept { return std::exchange(b.n_, nullptr); }
  /// The node of `b` (null for the empty value); `b` keeps its reference.
  static const value_node* node(const bytes& b) noexcept { return b.n_; }
};

} // namespace kvmem::detail
