// The persistent ordered map of a dictionary's entries: an AVL tree of
// `entry` nodes keyed by name (internal).
//
// Ownership convention ("consuming"): functions taking `entry* t` take over
// one reference to t and return one reference to the resulting root. A node
// the caller owns alone is edited in place; a shared one is copied first
// (path copying), so other holders never see a change. Recursion depth is
// bounded by the AVL height, at most 1.44·log2(n) + 2 (< 64 for any n that
// fits in memory).
//
// Out of memory: the editing functions never allocate. Every node they copy
// or create comes from a node_reserve, which the caller fills first with at
// most the *_bound() of each edit it will make; so an edit cannot fail
// halfway and leave a tree with a dangling or a leaked node.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tree/node_reserve.hpp"
#include "tree/nodes.hpp"

namespace kvmem::detail {

/// What an entry holds besides its name and links. `child` is an owned ref.
struct payload {
  node_header* child = nullptr;
  kind k = kind::value;
  ptime mtime;
  version_t created = 0;
  version_t modified = 0;
};

inline int height(const entry* t) noexcept { return t ? t->height : 0; }

/// Upper bounds on the entries one edit of an AVL tree rooted at t takes
/// from the reserve: copies of the shared nodes on its path, the new entry,
/// and (for take) copies of shared siblings that rebalancing rotates. An
/// insertion rotates only nodes on its own path, already copied.
inline std::size_t edit_bound(const entry* t) noexcept { return static_cast<std::size_t>(height(t)); }
inline std::size_t put_bound(const entry* t) noexcept { return edit_bound(t) + 1; }
inline std::size_t take_bound(const entry* t) noexcept {
  // The path to the name and to its successor (2h), and at most two
  // rotated copies at each level on the way back up (4h).
  return 6 * edit_bound(t) + 2;
}

/// The entry named `name`, or nullptr. Iterative, no allocation.
const entry* find(const entry* t, std::string_view name) noexcept;

/// Exactly the entries edit(&t, name) takes from the reserve: those on the
/// path to `name` that are shared, and every one below a shared one (its
/// copy shares its children) — all of them if `shared` (whoever holds t is
/// itself copied). Sets *copied to whether the entry found is copied (so
/// its child is too), *found to it (nullptr if absent). O(height).
std::size_t edit_cost(const entry* t, std::string_view name, bool shared, const entry** found,
                      bool* copied) noexcept;

/// Inserts or replaces the entry named `name`; consumes t and p.child. A new
/// entry takes `fresh` (made beforehand, equal to name) as its name; on
/// replacement the old child is released and `fresh` is not used (it may be
/// empty when the caller knows the name exists). Sets `*inserted` to whether
/// the name was new.
entry* put(entry* t, std::string_view name, seg_name&& fresh, payload p, bool* inserted,
           node_reserve& r) noexcept;

/// Removes `name`, which must be present; consumes t and hands the removed
/// entry's payload (child reference included) to `*out`.
entry* take(entry* t, std::string_view name, payload* out, node_reserve& r) noexcept;

/// Makes every node on the path to `name` uniquely owned (copying shared
/// ones into `*slot`'s tree) and returns the entry, now editable, or nullptr
/// if absent (the path is still made unique).
entry* edit(entry** slot, std::string_view name, node_reserve& r) noexcept;

/// Makes `*slot` (a dict_node held by a unique owner) uniquely owned and
/// returns it, editable. Consumes nothing: the slot keeps its reference.
dict_node* edit_dict(node_header** slot, node_reserve& r) noexcept;
dict_node* edit_dict(dict_node** slot, node_reserve& r) noexcept;

/// In-order iteration over an AVL tree of entries, without recursion. The
/// tree must stay alive (and unedited) while the cursor is used.
class entry_cursor {
public:
  explicit entry_cursor(const entry* root) noexcept { push_left(root); }
  /// The next entry in name order, or nullptr at the end.
  const entry* next() noexcept {
    if (top_ == 0)
      return nullptr;
    const entry* e = stack_[--top_];
    push_left(e->r);
    return e;
  }

private:
  void push_left(const entry* t) noexcept {
    for (; t; t = t->l)
      stack_[top_++] = t;
  }
  const entry* stack_[96]; // AVL height < 96 for any n < 2^64
  int top_ = 0;
};

/// Calls f(const entry&) for every entry in name order. Iterative.
template <class F>
void for_each(const entry* t, F&& f) {
  entry_cursor c{t};
  while (const entry* e = c.next())
    f(*e);
}

/// Checks AVL order, balance and heights; returns the first problem or "".
std::string verify_entries(const entry* t, std::uint64_t expected_count);

} // namespace kvmem::detail
