// Where a write gets its new nodes (internal): reserved before the write
// changes anything, so that the change itself cannot run out of memory.
//
// A write first works out an upper bound on the entries and dictionaries it
// may create (path copies of shared nodes, new entries, AVL rotations of
// shared siblings; see the *_bound functions of entry_map.hpp) and reserves
// that many blocks — the only step that may throw std::bad_alloc. Then it
// edits, taking nodes from the reserve (noexcept), and the unused blocks go
// back to a small per-thread cache when the reserve is destroyed. The cache
// (at most max_cached blocks of each size, returned to the allocator when
// the thread ends) also takes the blocks of freed nodes, so a reservation is
// usually a few pointer moves and a run of writes reuses the blocks of the
// path copies it retired.
#pragma once

#include <cstddef>

#include "tree/nodes.hpp"

namespace kvmem::detail {

class node_reserve {
public:
  node_reserve() noexcept = default;
  ~node_reserve();
  node_reserve(const node_reserve&) = delete;
  node_reserve& operator=(const node_reserve&) = delete;

  /// Makes sure at least `entries` entry blocks and `dicts` dictionary
  /// blocks are held. Throws std::bad_alloc (what was reserved stays held).
  void reserve(std::size_t entries, std::size_t dicts);

  /// A new entry or dictionary (count 1) in a reserved block. Never
  /// allocates; taking more than was reserved is a bug (asserted).
  entry* make_entry() noexcept;
  dict_node* make_dict() noexcept;

  std::size_t entries_held() const noexcept { return entries_.n; }
  std::size_t dicts_held() const noexcept { return dicts_.n; }

  struct block {
    block* next;
  };
  struct block_list {
    block* head = nullptr;
    std::size_t n = 0;
    void push(block* b) noexcept {
      b->next = head;
      head = b;
      ++n;
    }
    block* pop() noexcept {
      block* b = head;
      head = b->next;
      --n;
      return b;
    }
  };

private:
  block_list entries_;
  block_list dicts_;
};

/// Frees a dead entry's or dictionary's block (to this thread's cache while
/// it has room). The node must already be destroyed.
void free_entry_block(entry* e) noexcept;
void free_dict_block(dict_node* d) noexcept;

/// Returns this thread's cached blocks to the allocator (tests use it to
/// make every reservation allocate).
void drain_node_cache() noexcept;

/// Most blocks of each size a thread keeps cached.
inline constexpr std::size_t max_cached_entries = 1024;
inline constexpr std::size_t max_cached_dicts = 256;

} // namespace kvmem::detail
