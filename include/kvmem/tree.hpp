// kvmem::tree — the persistent (immutable, structurally shared) tree of
// dictionaries and values that a store owns; usable on its own, like
// mirage-kv-mem's Pure module. docs/semantics.md has the full table of
// operations × cases × results.
//
// Value semantics: a tree is a handle to an immutable root. Copying it is
// O(1) and is how a snapshot is taken; a write through one handle never
// changes any other copy. A write copies only the path from the root to the
// change (O(depth · log n) nodes) and shares everything else; nodes that this
// handle alone owns (count 1, e.g. after the first write since the last
// copy) are edited in place, so a run of writes with no snapshot in between
// costs no copying. Every operation is iterative in the depth of the key and
// O(log n) in the size of each dictionary on the path; lookups do not
// allocate.
//
// Thread-safety: distinct tree objects may be used from different threads at
// once even when they share nodes (counts are atomic, shared nodes are never
// edited). One tree object is not for concurrent writes, like std::string.
//
// Errors: a failing write returns the error and leaves the tree exactly as it
// was (times and versions included) — also when memory runs out: a write
// first allocates everything it may need (new nodes, names, the value, its
// effects) and only then changes the tree, with steps that cannot fail, so
// allocation failure is reported as no_space and changes nothing (tested by
// failing every allocation of every write in turn: tests/tree_oom_test.cpp).
// Reads never change the tree; those that allocate (list, get_partial of a
// slice, digest's first computation) may throw std::bad_alloc.
//
// Effects: every write can report what it did — the changes a watcher of
// the key would see (change.hpp): a set, a remove of a value or a whole
// dictionary, a rename as rename_out + rename_in — decided where the write
// decides them. A store hands them to its feeds and owned keys (and, later,
// its journal); nothing is computed when no effects list is passed.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kvmem/bytes.hpp"
#include "kvmem/change.hpp"
#include "kvmem/digest.hpp"
#include "kvmem/key.hpp"
#include "kvmem/kind.hpp"
#include "kvmem/result.hpp"
#include "kvmem/time.hpp"
#include "kvmem/version.hpp"

namespace kvmem {

namespace detail {
struct tree_access;
struct dict_node;
class node_reserve;
class seg_name;
} // namespace detail

/// One entry of a listing: its absolute key and its kind.
using listing = std::vector<std::pair<key, kind>>;

/// No capacity limit.
inline constexpr std::uint64_t unlimited = std::numeric_limits<std::uint64_t>::max();

/// When a write happens: its time (what last_modified reports) and the
/// version it stamps (what stat reports as created, modified, subtree). A
/// store stamps its own version; a tree used alone stamps what its caller
/// passes — a plain time converts to a stamp of version 0 — and the version
/// contract below holds as long as the caller passes increasing versions.
struct stamp {
  ptime time;
  version_t version = 0;
  stamp(ptime t = {}, version_t v = 0) noexcept : time(t), version(v) {} // implicit from ptime
};

/// What tree::stat reports about an entry. Versions are read along the
/// key's path (see tree's "versions" below).
struct entry_stat {
  kind what = kind::value;    // a value or a dictionary
  std::uint64_t size = 0;     // a value's bytes (0 for a dictionary)
  ptime last_modified;        // as tree::last_modified
  version_t created = 0;      // the version that created the entry at this key
  version_t modified = 0;     // the version of its last write (values: bytes; dicts: entries)
  version_t subtree = 0;      // dictionaries: the greatest version at or below (values: modified)
  std::uint64_t entries = 0;  // dictionaries: direct entries (0 for a value)

  friend bool operator==(const entry_stat&, const entry_stat&) = default;
};

class tree {
public:
  /// An empty root dictionary created at `created` (its last_modified), and
  /// a capacity in bytes (values + every stored segment name; see used()).
  explicit tree(ptime created = {}, std::uint64_t capacity = unlimited);
  tree(const tree& x) noexcept;
  tree(tree&& x) noexcept;
  tree& operator=(const tree& x) noexcept;
  tree& operator=(tree&& x) noexcept;
  ~tree();

  // --- reads (const, never allocate on success) -----------------------------

  /// kind::value, kind::dictionary, or nullopt if k is absent or its path
  /// runs through a value. The root is a dictionary.
  std::optional<kind> exists(const key& k) const noexcept;

  /// The value at k. Errors: value_expected(k) for a dictionary (the root
  /// too), not_found(k), dictionary_expected(k) if the path runs through a
  /// value. The returned bytes share the stored buffer.
  result<bytes> get(const key& k) const;

  /// The bytes [offset, offset + length) of the value at k, clipped to its
  /// end; "" if offset is past the end. Errors as get(). Allocates only when
  /// the slice is a strict part of the value.
  result<bytes> get_partial(const key& k, std::uint64_t offset, std::uint64_t length) const;

  /// The size in bytes of the value at k. Errors as get().
  result<std::uint64_t> size(const key& k) const;

  /// The direct entries of the dictionary k, sorted by name, as (k / name,
  /// kind). Errors: dictionary_expected(k) for a value or a path through a
  /// value, not_found(k). O(n) for n entries; no recursion.
  result<listing> list(const key& k) const;

  /// A value's time of last write; a dictionary's time of the latest change
  /// to its own set of direct entries, or of its creation (one level deep).
  /// Errors: not_found(k), dictionary_expected(k) through a value.
  result<ptime> last_modified(const key& k) const;

  /// SHA-256 of a value's bytes; for a dictionary, SHA-256 over its sorted
  /// entries (name length, name, kind, child digest). Independent of times;
  /// equal contents give equal digests. Memoised in the immutable nodes
  /// (thread-safely), so an unchanged subtree is never hashed twice.
  /// Errors: not_found(k), dictionary_expected(k) through a value.
  result<kvmem::digest> digest(const key& k) const;

  /// The entry at k: kind, size, last_modified, its versions, and for a
  /// dictionary the greatest version below it and its number of direct
  /// entries. O(depth · log n), no allocation. Errors: not_found(k),
  /// dictionary_expected(k) through a value.
  result<entry_stat> stat(const key& k) const;

  /// Whether `e` holds for k: k absent (expect::none()), or k's modified
  /// version is e.version. Errors: version_mismatch(k, expected, actual).
  result<void> check(const key& k, const expect& e) const;

  // --- versions --------------------------------------------------------------
  // Every entry records `created` (the version of the write that created it
  // at its key) and `modified` (the version of its last write: a value's
  // bytes — the same bytes again still count — or a dictionary's own set of
  // direct entries, the rule of last_modified); every dictionary records
  // `subtree`, the greatest version stamped at or below it. A rename stamps
  // the moved entry (created = modified = the rename's version) and nothing
  // beneath it; what stat reports is read along the key's path in O(depth):
  //   created(k)  = the greatest `created` of k's entry and its ancestors'
  //   modified(k) = max(k's stored modified, created(k))
  //   subtree(k)  = max(k's stored subtree, modified(k))
  // So two reads of k's version give the same number if and only if nothing
  // was written at k, or above k replacing it, in between: a subtree moved
  // by a rename reports the rename's version for every key in it.

  // --- writes (modify this handle only; `at` is the time and version) ------
  // Each appends its effects to `*effects` if given (nothing when it fails or
  // changes nothing). Allocation failure: no_space, nothing changed.

  /// Binds k to v, creating missing intermediate dictionaries. Errors:
  /// dictionary_expected(k) if the path runs through a value; value_expected(k)
  /// if k holds a dictionary (the root included; a subtree is never dropped);
  /// no_space if the capacity would be exceeded. Effect: set(k, v).
  result<void> set(const key& k, bytes v, stamp at, change_list* effects = nullptr);

  /// Writes `data` at `offset` in the value at k: a missing k is created
  /// holding `data`; an offset past the end appends; otherwise the bytes are
  /// overwritten in place and the value extended if needed. Errors as set().
  /// Effect: set(k, the whole new value).
  result<void> set_partial(const key& k, std::uint64_t offset, std::string_view data, stamp at,
                           change_list* effects = nullptr);

  /// Removes the value or the whole dictionary at k; returns whether
  /// anything was removed. A missing k (or one under a value) is not an
  /// error and changes nothing, times included. Removing the root empties
  /// the tree. A dictionary left without entries stays, empty. Effect:
  /// remove(k, the kind it held).
  result<bool> remove(const key& k, stamp at, change_list* effects = nullptr);

  /// Moves src to dst (mirage-kv 6 semantics, see docs/semantics.md); returns
  /// false for the no-op of a value renamed onto itself. Moved nodes keep
  /// their times; the source and target dictionaries are re-dated. Errors:
  /// not_found(src), rename_source_prefix(src, dst), value_expected,
  /// already_present(target), dictionary_expected, no_space. Effects:
  /// rename_out(src -> target), rename_in(target <- src, a value's bytes),
  /// where target is dst, or dst/basename(src) if dst is a dictionary.
  result<bool> rename(const key& src, const key& dst, stamp at, change_list* effects = nullptr);

  /// Creates k holding `size` zero bytes, last modified at `mtime` (or now).
  /// Errors: already_present(k) if k exists (value or dictionary),
  /// dictionary_expected(k), no_space. Effect: set(k, the zeros).
  result<void> allocate(const key& k, std::uint64_t size, std::optional<ptime> mtime, stamp at,
                        change_list* effects = nullptr);

  // --- whole-tree -----------------------------------------------------------

  /// Bytes accounted against the capacity: all value bytes plus the bytes of
  /// every stored segment name. O(1).
  std::uint64_t used() const noexcept;
  std::uint64_t capacity() const noexcept { return capacity_; }
  /// Changes the capacity for later writes (what is stored stays, even above).
  void set_capacity(std::uint64_t c) noexcept { capacity_ = c; }
  /// Number of values and dictionaries below the root. O(n).
  std::uint64_t count_nodes() const;

  /// True if both handles share the same root node: same contents and times.
  bool shares_root_with(const tree& x) const noexcept { return root_ == x.root_; }

  /// Same contents (names, kinds, bytes); times are ignored. Shared subtrees
  /// are skipped in O(1). No recursion.
  friend bool equal(const tree& a, const tree& b);

  /// Every value as "path size time", one per line, sorted by path; empty
  /// dictionaries as "path/ (empty)". No recursion.
  std::string pretty() const;

  /// Checks every structural invariant (AVL order and balance, counts, byte
  /// totals, versions); returns a description of the first violation, or ""
  /// if none. O(n); for tests.
  std::string verify() const;

private:
  friend struct detail::tree_access; // src/tree: the node layout, for tests and walks
  // See src/tree/tree_impl.hpp.
  struct found;
  struct cursor;
  struct path_cost;
  found lookup(const key& k) const noexcept;
  path_cost descend_cost(const key& k, std::size_t created_from,
                         bool after_an_edit = false) const noexcept;
  cursor descend(const key& k, std::size_t created_from, std::int64_t delta, stamp at,
                 detail::node_reserve& res, detail::seg_name* names) noexcept;
  result<void> put_value(const key& k, bytes v, ptime vtime, stamp at, change_list* effects);
  result<void> check_space(std::int64_t delta) const;
  template <class F>
  static auto with_value(const found& f, const key& k, F&& then);

  detail::dict_node* root_;
  ptime root_mtime_;
  version_t root_created_ = 0; // the root's "entry" (a remove of the root re-creates it)
  version_t root_modified_ = 0;
  std::uint64_t capacity_;
};

// Functional forms: each returns a new tree and leaves `t` (taken by value,
// an O(1) copy) untouched; pass std::move(t) to let unshared nodes be reused.
inline result<tree> set(tree t, const key& k, bytes v, stamp at) {
  if (auto r = t.set(k, std::move(v), at); !r)
    return std::move(r).error();
  return t;
}
inline result<tree> remove(tree t, const key& k, stamp at) {
  if (auto r = t.remove(k, at); !r)
    return std::move(r).error();
  return t;
}
inline result<tree> rename(tree t, const key& src, const key& dst, stamp at) {
  if (auto r = t.rename(src, dst, at); !r)
    return std::move(r).error();
  return t;
}

/// Whether `e` holds for a key whose modified version is `actual` (nullopt:
/// the key is absent): the rule of tree::check, for callers that learned the
/// version otherwise (a remote batch's stat). Errors: version_mismatch(k,
/// expected, actual).
result<void> check_expect(const key& k, const expect& e, std::optional<version_t> actual);

/// The pretty-printed tree (see tree::pretty), for fmt.
inline std::string to_string(const tree& t) { return t.pretty(); }

} // namespace kvmem

template <>
struct fmt::formatter<kvmem::tree> : kvmem::detail::to_string_formatter<kvmem::tree> {};
