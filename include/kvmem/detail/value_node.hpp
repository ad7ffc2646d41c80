// The reference-counted node behind a kvmem::bytes value (internal; in a
// public header only because kvmem::bytes retains and releases it inline).
//
// Every node of the persistent tree starts with a node_header: an atomic
// count and the node's type. A node is never modified once shared (count
// above 1); the tree's own node types (dictionaries and the entries of their
// AVL trees) are private to src/tree/nodes.hpp. A value_node is an immutable
// buffer: its size, a lazily memoised SHA-256, then the bytes inline, so one
// value can be shared by several entries, snapshots and clients.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "kvmem/kind.hpp"

namespace kvmem::detail {

enum class node_type : std::uint8_t { value, dict, entry };

struct node_header {
  explicit node_header(node_type t) noexcept : type(t) {}
  mutable std::atomic<std::uint32_t> rc{1};
  node_type type;
  std::uint8_t height = 1; // entries: AVL height
  kind k = kind::value;    // entries: kind of the child
};

using sha256_bytes = std::array<std::uint8_t, 32>;

struct value_node : node_header {
  value_node(std::uint64_t n) noexcept : node_header(node_type::value), size(n) {}
  std::uint64_t size;
  mutable std::atomic<sha256_bytes*> memo{nullptr};
  char* data() noexcept { return reinterpret_cast<char*>(this + 1); }
  const char* data() const noexcept { return reinterpret_cast<const char*>(this + 1); }
};

/// Frees a node whose count reached zero, and everything it alone owned,
/// without recursion and without allocating (src/tree/nodes.cpp).
/// When that freed many nodes (65,536 or more: a large subtree), it also
/// hands free memory back to the operating system (glibc's malloc_trim),
/// which glibc would otherwise keep in its arenas for good.
void release_slow(const node_header* n) noexcept;

inline void retain(const node_header* n) noexcept {
  if (n)
    n->rc.fetch_add(1, std::memory_order_relaxed);
}

inline void release(const node_header* n) noexcept {
  if (n && n->rc.fetch_sub(1, std::memory_order_acq_rel) == 1)
    release_slow(n);
}

/// True if the caller's reference is the only one: the node may be edited.
inline bool unique(const node_header* n) noexcept {
  return n->rc.load(std::memory_order_acquire) == 1;
}

} // namespace kvmem::detail
