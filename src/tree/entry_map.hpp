// The persistent ordered map of a dictionary's entries: an AVL tree of
// `entry` nodes keyed by name (internal).
//
// Ownership convention ("consuming"): functions taking `entry* t` take over
// one reference to t and return one reference to the resulting root. A node
// the caller owns alone is edited in place; a shared one is copied first
// (path copying), so other holders never see a change. Recursion depth is
// bounded by the AVL height, at most 1.44·log2(n) + 2 (< 64 for any n that
// fits in memory).
#pragma once

#include <string_view>

#include "kvmem/detail/nodes.hpp"

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

/// The entry named `name`, or nullptr. Iterative, no allocation.
const entry* find(const entry* t, std::string_view name) noexcept;

/// Inserts or replaces `name`; consumes t and p.child. On replacement the old
/// child is released. Sets `*inserted` to whether the name was new.
entry* put(entry* t, std::string_view name, payload p, bool* inserted);

/// Removes `name`, which must be present; consumes t and hands the removed
/// entry's payload (child reference included) to `*out`.
entry* take(entry* t, std::string_view name, payload* out);

/// Makes every node on the path to `name` uniquely owned (copying shared
/// ones into `*slot`'s tree) and returns the entry, now editable, or nullptr
/// if absent (the path is still made unique).
entry* edit(entry** slot, std::string_view name);

/// Makes `*slot` (a dict_node held by a unique owner) uniquely owned and
/// returns it, editable. Consumes nothing: the slot keeps its reference.
dict_node* edit_dict(node_header** slot);
dict_node* edit_dict(dict_node** slot);

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
