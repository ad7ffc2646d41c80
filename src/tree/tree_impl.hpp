// Pieces shared by the tree's implementation files (internal).
#pragma once

#include <array>
#include <new>
#include <vector>

#include "kvmem/tree.hpp"
#include "tree/entry_map.hpp"

namespace kvmem {

/// Where a key leads. `node` is the found node (the root dict for the root
/// key) and `e` the entry naming it (nullptr for the root). For a hit,
/// `created` is the greatest `created` on the path (the key's own included):
/// the key's effective created version (see tree.hpp, "versions").
struct tree::found {
  enum status_t { hit, missing, through_value } status;
  const detail::node_header* node = nullptr;
  const detail::entry* e = nullptr;
  std::size_t missing_at = 0; // for `missing`: index of the first absent segment
  version_t created = 0;

  bool is_dict() const noexcept { return status == hit && node->type == detail::node_type::dict; }
  bool is_value() const noexcept { return status == hit && node->type == detail::node_type::value; }
  const detail::dict_node* dict() const noexcept {
    return static_cast<const detail::dict_node*>(node);
  }
  const detail::value_node* value() const noexcept {
    return static_cast<const detail::value_node*>(node);
  }
};

/// The editable dictionary that holds (or will hold) a key's last segment,
/// and the slots of that dictionary's own last-modified time and version.
struct tree::cursor {
  detail::dict_node* d;
  ptime* mtime;
  version_t* modified;

  /// Records a change to d's own set of entries.
  void touch(const stamp& at) const noexcept {
    *mtime = at.time;
    *modified = at.version;
  }
};

/// What descend() may take from a reserve: an upper bound on the entries
/// and dictionaries it copies or creates, and the dictionary that holds (or
/// will hold) the key's last segment if it exists already (null if descend
/// creates it), for the bound of the edit the write makes there.
struct tree::path_cost {
  std::size_t entries = 0;
  std::size_t dicts = 0;
  const detail::dict_node* last = nullptr;
};

namespace detail {

/// The names a write gives to the entries it creates, made before it changes
/// anything (a long name allocates): a few inline, more on the heap.
class fresh_names {
public:
  /// Makes the names of k's segments [from, to). Throws std::bad_alloc.
  void make(const key& k, std::size_t from, std::size_t to) {
    n_ = to > from ? to - from : 0;
    if (n_ > inline_.size())
      more_.resize(n_);
    for (std::size_t i = 0; i < n_; ++i)
      data()[i] = seg_name{k.segments()[from + i]};
  }
  seg_name* data() noexcept { return n_ > inline_.size() ? more_.data() : inline_.data(); }
  seg_name& operator[](std::size_t i) noexcept { return data()[i]; }

private:
  std::size_t n_ = 0;
  std::array<seg_name, 4> inline_;
  std::vector<seg_name> more_;
};

/// The node layout behind a tree handle, for the tree's own code and tests.
struct tree_access {
  static const dict_node* root(const tree& t) noexcept { return t.root_; }
  /// The node at k and its effective created and modified versions (see
  /// tree.hpp, "versions"); a null node if k is absent or under a value.
  struct node_at {
    const node_header* node = nullptr;
    version_t created = 0;
    version_t modified = 0;
  };
  static node_at lookup(const tree& t, const key& k) noexcept {
    auto f = t.lookup(k);
    if (f.status != tree::found::hit)
      return {};
    return {f.node, f.created, std::max(f.e ? f.e->modified : t.root_modified_, f.created)};
  }

  /// The root's own last-modified time and versions (its "entry" lives in
  /// the handle), for the checkpoint image (tree_image.cpp).
  static ptime root_mtime(const tree& t) noexcept { return t.root_mtime_; }
  static version_t root_created(const tree& t) noexcept { return t.root_created_; }
  static version_t root_modified(const tree& t) noexcept { return t.root_modified_; }
  /// Makes `root` (an owned reference, consumed) t's root dictionary, with
  /// the root's time and versions; the old root is released.
  static void install_root(tree& t, dict_node* root, ptime mtime, version_t created,
                           version_t modified) noexcept {
    release(t.root_);
    t.root_ = root;
    t.root_mtime_ = mtime;
    t.root_created_ = created;
    t.root_modified_ = modified;
  }
};

/// How many AVL entries diff() has opened on this thread so far (tests check
/// that shared subtrees are skipped).
std::uint64_t diff_entries_visited() noexcept;

/// Bytes a child accounts for below its entry (values: size; dicts: total).
inline std::uint64_t child_bytes(const node_header* n) noexcept {
  return n->type == node_type::value ? static_cast<const value_node*>(n)->size
                                     : static_cast<const dict_node*>(n)->bytes;
}

/// Sum of the sizes of segments [from, k.depth()).
inline std::uint64_t names_from(const key& k, std::size_t from) noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = from; i < k.depth(); ++i)
    n += k.segments()[i].size();
  return n;
}

} // namespace detail
} // namespace kvmem
