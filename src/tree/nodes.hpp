// The node layout of the persistent tree (internal).
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
//               (include/kvmem/detail/value_node.hpp)
//
// A child's last-modified time and versions live in the entry that names it
// (the root's in the tree handle), so a value_node is a pure immutable buffer
// that can be shared by several entries, snapshots and clients without
// copying, and a dictionary moved by a rename keeps its node: the rename
// stamps only the entry at its new place. A dict_node's `subtree` is the
// greatest version stamped at or below it; see tree.hpp for how versions are
// read along a key's path.
//
// Out of memory: copying an entry or a dictionary never allocates anything
// but the node itself (a name is inline or shared, see seg_name), and every
// write takes the nodes it may create from a node_reserve filled before it
// changes anything (node_reserve.hpp). Freeing never allocates (release_slow
// chains its work list through the dying nodes).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "kvmem/detail/value_node.hpp"
#include "kvmem/time.hpp"
#include "kvmem/version.hpp"

namespace kvmem::detail {

/// A segment name: inline up to 16 bytes, else a shared immutable buffer.
/// Copying one never allocates (an atomic increment for a long name), so an
/// entry can be copied with no allocation but its own node. Making one from
/// a long string allocates (std::bad_alloc).
class seg_name {
public:
  seg_name() noexcept = default;
  explicit seg_name(std::string_view s);
  seg_name(const seg_name& x) noexcept : size_(x.size_) {
    std::memcpy(&u_, &x.u_, sizeof u_);
    if (!is_inline())
      u_.shared->rc.fetch_add(1, std::memory_order_relaxed);
  }
  seg_name(seg_name&& x) noexcept : size_(x.size_) {
    std::memcpy(&u_, &x.u_, sizeof u_);
    x.size_ = 0;
  }
  seg_name& operator=(seg_name x) noexcept {
    swap(x);
    return *this;
  }
  ~seg_name() {
    if (!is_inline())
      drop();
  }
  void swap(seg_name& x) noexcept {
    std::swap(size_, x.size_);
    decltype(u_) t;
    std::memcpy(&t, &u_, sizeof u_);
    std::memcpy(&u_, &x.u_, sizeof u_);
    std::memcpy(&x.u_, &t, sizeof u_);
  }

  std::string_view view() const noexcept {
    return {is_inline() ? u_.chars : u_.shared->data(), static_cast<std::size_t>(size_)};
  }
  operator std::string_view() const noexcept { return view(); }
  const char* data() const noexcept { return view().data(); }
  std::size_t size() const noexcept { return static_cast<std::size_t>(size_); }
  bool empty() const noexcept { return size_ == 0; }
  int compare(const seg_name& x) const noexcept { return view().compare(x.view()); }
  /// Bytes held on the heap for this name (0 if inline; shared by copies).
  std::size_t heap_bytes() const noexcept { return is_inline() ? 0 : sizeof(shared_chars) + size(); }
  friend bool operator==(const seg_name& a, const seg_name& b) noexcept { return a.view() == b.view(); }
  friend bool operator==(const seg_name& a, std::string_view b) noexcept { return a.view() == b; }

  static constexpr std::size_t inline_capacity = 16;

private:
  struct shared_chars {
    std::atomic<std::uint32_t> rc{1};
    char* data() noexcept { return reinterpret_cast<char*>(this + 1); }
  };
  bool is_inline() const noexcept { return size_ <= inline_capacity; }
  void drop() noexcept;

  std::uint64_t size_ = 0;
  union {
    char chars[inline_capacity];
    shared_chars* shared;
  } u_{};
};

struct entry;

struct dict_node : node_header {
  dict_node() noexcept : node_header(node_type::dict) {}
  entry* root = nullptr;     // AVL tree of the direct entries
  std::uint64_t count = 0;   // number of direct entries (while dying: the next dying node)
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
  version_t created = 0;        // the version that created the child here (while dying: the next)
  version_t modified = 0;       // the version that last wrote it (see tree.hpp)
  seg_name name;
};

/// A new reference to the one shared empty dictionary (never freed, never
/// edited in place since its count never drops to 1).
dict_node* empty_dict() noexcept;

} // namespace kvmem::detail
