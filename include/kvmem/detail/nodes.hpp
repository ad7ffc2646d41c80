// Node layout of the persistent tree (internal; in a public header only so
// that kvmem::bytes and kvmem::tree can retain and release nodes inline).
//
// Three node types, all reference-counted intrusively and atomically, and
// never modified once shared (rc > 1); a node whose count is 1 belongs to the
// one handle holding it and may be edited in place (the transient fast path):
//
//   dict_node   --root-->  entry (AVL tree ordered by name)
//   | count, bytes,          | l, r: entries;  child: dict_node | value_node
//   | subtree version,      | name, kind, and the child's mtime, created
//   | memoised digest       | and modified versions
//   value_node  size, lazily memoised SHA-256, then the bytes inline
//
// A child's last-modified time and versions live in the entry that names it
// (the root's in the tree handle), so a value_node is a pure immutable buffer
// that can be shared by several entries, snapshots and clients without
// copying, and a dictionary moved by a rename keeps its node: the rename
// stamps only the entry at its new place. A dict_node's `subtree` is the
// greatest version stamped at or below it; see tree.hpp for how versions are
// read along a key's path.
// Destruction is iterative (see release_slow) so deep or wide trees never
// recurse without bound.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "kvmem/kind.hpp"
#include "kvmem/time.hpp"
#include "kvmem/version.hpp"

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

struct entry;

struct dict_node : node_header {
  dict_node() noexcept : node_header(node_type::dict) {}
  entry* root = nullptr;     // AVL tree of the direct entries
  std::uint64_t count = 0;   // number of direct entries
  std::uint64_t bytes = 0;   // names + values of everything below
  version_t subtree = 0;     // greatest version stamped at or below this dictionary
  mutable std::atomic<sha256_bytes*> memo{nullptr};
};

struct entry : node_header {
  entry() noexcept : node_header(node_type::entry) {}
  entry* l = nullptr;
  entry* r = nullptr;
  node_header* child = nullptr; // value_node or dict_node (owned reference)
  ptime mtime;                  // the child's last-modified time
  version_t created = 0;        // the version that created the child here
  version_t modified = 0;       // the version that last wrote it (see tree.hpp)
  std::string name;
};

/// Frees a node whose count reached zero, and everything it alone owned,
/// without recursion.
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
