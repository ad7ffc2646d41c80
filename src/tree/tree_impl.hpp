// Pieces shared by the tree's implementation files (internal).
#pragma once

#include "tree/entry_map.hpp"
#include "kvmem/tree.hpp"

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

namespace detail {

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
};

/// How many AVL entries diff() has opened on this thread so far (tests check
/// that shared subtrees are skipped).
std::uint64_t diff_entries_visited() noexcept;

/// A new reference to the one shared empty dictionary (never freed, never
/// edited in place since its count never drops to 1).
dict_node* empty_dict() noexcept;

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
