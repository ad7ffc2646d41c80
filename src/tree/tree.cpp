// The tree's lifecycle, lookups, reads, and the write path shared by every
// write (descend). Writes that need more than a put live in tree_write.cpp;
// whole-tree walks (digest, equal, pretty, verify) in tree_walk.cpp.
#include "kvmem/tree.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

#include "tree/tree_impl.hpp"
#include "tree/value.hpp"

namespace kvmem {

using namespace detail;

tree::tree(ptime created, std::uint64_t capacity)
  : root_(empty_dict()), root_mtime_(created), capacity_(capacity) {}

tree::tree(const tree& x) noexcept
  : root_(x.root_), root_mtime_(x.root_mtime_), root_created_(x.root_created_),
    root_modified_(x.root_modified_), capacity_(x.capacity_) {
  retain(root_);
}

tree::tree(tree&& x) noexcept
  : root_(std::exchange(x.root_, empty_dict())), root_mtime_(x.root_mtime_),
    root_created_(x.root_created_), root_modified_(x.root_modified_), capacity_(x.capacity_) {}

tree& tree::operator=(const tree& x) noexcept {
  retain(x.root_);
  release(root_);
  root_ = x.root_;
  root_mtime_ = x.root_mtime_;
  root_created_ = x.root_created_;
  root_modified_ = x.root_modified_;
  capacity_ = x.capacity_;
  return *this;
}

tree& tree::operator=(tree&& x) noexcept {
  if (this != &x) {
    std::swap(root_, x.root_);
    root_mtime_ = x.root_mtime_;
    root_created_ = x.root_created_;
    root_modified_ = x.root_modified_;
    capacity_ = x.capacity_;
  }
  return *this;
}

tree::~tree() { release(root_); }

std::uint64_t tree::used() const noexcept { return root_->bytes; }

tree::found tree::lookup(const key& k) const noexcept {
  const node_header* cur = root_;
  const entry* e = nullptr;
  version_t created = root_created_;
  const auto& segs = k.segments();
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (cur->type == node_type::value)
      return {found::through_value, nullptr, nullptr, i, 0};
    e = find(static_cast<const dict_node*>(cur)->root, segs[i]);
    if (!e)
      return {found::missing, nullptr, nullptr, i, 0};
    created = std::max(created, e->created);
    cur = e->child;
  }
  return {found::hit, cur, e, 0, created};
}

// --- reads ---------------------------------------------------------------------

std::optional<kind> tree::exists(const key& k) const noexcept {
  auto f = lookup(k);
  if (f.status != found::hit)
    return std::nullopt;
  return f.is_value() ? kind::value : kind::dictionary;
}

// The common error mapping of get-like reads, which need a value.
template <class F>
auto tree::with_value(const found& f, const key& k, F&& then) {
  using R = decltype(then(f.value()));
  switch (f.status) {
    case found::through_value: return R{error::dictionary_expected(k)};
    case found::missing: return R{error::not_found(k)};
    case found::hit: break;
  }
  if (!f.is_value())
    return R{error::value_expected(k)};
  return then(f.value());
}

namespace {

bytes share(const value_node* v) noexcept {
  retain(v);
  return bytes_access::adopt(const_cast<value_node*>(v));
}

} // namespace

result<bytes> tree::get(const key& k) const {
  return with_value(lookup(k), k, [](const value_node* v) -> result<bytes> { return share(v); });
}

result<std::uint64_t> tree::size(const key& k) const {
  return with_value(lookup(k), k, [](const value_node* v) -> result<std::uint64_t> {
    return v->size;
  });
}

result<bytes> tree::get_partial(const key& k, std::uint64_t offset, std::uint64_t length) const {
  return with_value(lookup(k), k, [&](const value_node* v) -> result<bytes> {
    if (offset == 0 && length >= v->size)
      return share(v);
    if (offset >= v->size)
      return bytes{};
    auto n = std::min(length, v->size - offset);
    return bytes{std::string_view{v->data() + offset, static_cast<std::size_t>(n)}};
  });
}

result<listing> tree::list(const key& k) const {
  auto f = lookup(k);
  if (f.status == found::through_value || f.is_value())
    return error::dictionary_expected(k);
  if (f.status == found::missing)
    return error::not_found(k);
  listing out;
  out.reserve(f.dict()->count);
  for_each(f.dict()->root, [&](const entry& e) { out.emplace_back(k / e.name, e.k); });
  return out;
}

result<ptime> tree::last_modified(const key& k) const {
  auto f = lookup(k);
  switch (f.status) {
    case found::through_value: return error::dictionary_expected(k);
    case found::missing: return error::not_found(k);
    case found::hit: break;
  }
  return f.e ? f.e->mtime : root_mtime_;
}

result<entry_stat> tree::stat(const key& k) const {
  auto f = lookup(k);
  switch (f.status) {
    case found::through_value: return error::dictionary_expected(k);
    case found::missing: return error::not_found(k);
    case found::hit: break;
  }
  entry_stat s;
  s.last_modified = f.e ? f.e->mtime : root_mtime_;
  s.created = f.created;
  s.modified = std::max(f.e ? f.e->modified : root_modified_, f.created);
  if (f.is_value()) {
    s.what = kind::value;
    s.size = f.value()->size;
    s.subtree = s.modified;
  } else {
    s.what = kind::dictionary;
    s.entries = f.dict()->count;
    s.subtree = std::max(f.dict()->subtree, s.modified);
  }
  return s;
}

result<void> check_expect(const key& k, const expect& e, std::optional<version_t> actual) {
  std::optional<version_t> expected;
  if (!e.absent)
    expected = e.version;
  if (actual != expected)
    return error::version_mismatch(k, expected, actual);
  return {};
}

result<void> tree::check(const key& k, const expect& e) const {
  auto f = lookup(k);
  std::optional<version_t> actual;
  if (f.status == found::hit)
    actual = std::max(f.e ? f.e->modified : root_modified_, f.created);
  return check_expect(k, e, actual);
}

// --- the write path --------------------------------------------------------------

result<void> tree::check_space(std::int64_t delta) const {
  if (delta > 0 && static_cast<std::uint64_t>(delta) > capacity_ - std::min(capacity_, used()))
    return error::no_space();
  return {};
}

// What descend() takes from the reserve. Down the existing path, only what
// is shared is copied (and everything below a copy, whose children it
// shares), so a run of writes to a tree that nobody else holds edits in
// place and reserves nothing for the path. `after_an_edit`: the nodes are
// for a descend that follows another edit of this tree (rename), which may
// have copied and rotated nodes of the path: then the bound is the path's
// height and every dictionary, whatever is shared now.
tree::path_cost tree::descend_cost(const key& k, std::size_t created_from,
                                   bool after_an_edit) const noexcept {
  const auto& segs = k.segments();
  path_cost c;
  bool shared = after_an_edit || !unique(root_);
  c.dicts = shared ? 1 : 0; // the root
  const dict_node* d = root_;
  for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
    if (i < created_from && after_an_edit) {
      ++c.dicts;
      c.entries += edit_bound(d->root);
      d = static_cast<const dict_node*>(find(d->root, segs[i])->child);
    } else if (i < created_from) {
      const entry* e = nullptr;
      bool copied = false;
      c.entries += edit_cost(d->root, segs[i], shared, &e, &copied);
      d = static_cast<const dict_node*>(e->child);
      shared = copied || !unique(d); // the dictionary at segs[i]: copied if shared
      c.dicts += shared ? 1 : 0;
    } else {
      ++c.dicts; // the dictionary at segs[i], created
      // The new entry (and its path) in d, then the edit that finds it.
      c.entries += d ? put_bound(d->root) + edit_bound(d->root) + 1 : 2;
      d = nullptr; // below here everything is new
    }
  }
  c.last = d;
  return c;
}

// Makes the path to k's parent editable (copying shared nodes), creating the
// dictionaries for segments [created_from, depth - 1) (named names[0], ...)
// and re-dating (time and modified version) the dictionaries they are
// created in. Adds to each dictionary on the path the change of its byte
// total: `delta` (the change at the last segment's entry, not counting its
// name) plus the names created at or below it; and stamps each one's subtree
// version. Takes every node from `res`, filled with descend_cost's bound:
// it cannot fail.
tree::cursor tree::descend(const key& k, std::size_t created_from, std::int64_t delta, stamp at,
                           node_reserve& res, seg_name* names) noexcept {
  const auto& segs = k.segments();
  const std::size_t n = segs.size();
  assert(n >= 1);
  std::uint64_t names_below = names_from(k, std::min(created_from, n));
  dict_node* d = edit_dict(&root_, res);
  cursor c{d, &root_mtime_, &root_modified_};
  for (std::size_t i = 0;; ++i) {
    d->bytes += static_cast<std::uint64_t>(delta) + names_below; // modular: delta may be < 0
    d->subtree = at.version;
    if (i >= created_from)
      names_below -= segs[i].size();
    if (i + 1 == n)
      return c;
    entry* e;
    if (i >= created_from) {
      bool inserted = false;
      auto* nd = res.make_dict();
      nd->subtree = at.version;
      d->root = put(d->root, segs[i], std::move(names[i - created_from]),
                    payload{nd, kind::dictionary, at.time, at.version, at.version}, &inserted, res);
      assert(inserted);
      ++d->count;
      c.touch(at);
      e = edit(&d->root, segs[i], res);
    } else {
      e = edit(&d->root, segs[i], res);
      assert(e && e->k == kind::dictionary);
    }
    d = edit_dict(&e->child, res);
    c = cursor{d, &e->mtime, &e->modified};
  }
}

// Binds k to v (validating first), with v last modified at `vtime`. A new
// entry is created at `at.version`; a replaced value keeps its entry's
// created version.
result<void> tree::put_value(const key& k, bytes v, ptime vtime, stamp at, change_list* effects) {
  if (k.is_root())
    return error::value_expected(k);
  auto f = lookup(k);
  std::size_t created_from = k.depth();
  std::uint64_t old_size = 0;
  version_t created = at.version;
  switch (f.status) {
    case found::through_value: return error::dictionary_expected(k);
    case found::missing: created_from = f.missing_at; break;
    case found::hit:
      if (!f.is_value())
        return error::value_expected(k);
      old_size = f.value()->size;
      created = f.e->created;
      break;
  }
  auto delta = static_cast<std::int64_t>(v.size() - old_size);
  if (auto r = check_space(delta + static_cast<std::int64_t>(names_from(k, created_from))); !r)
    return r;
  // Everything that may allocate, before anything changes (an allocation
  // failure here leaves the tree as it was: see set()).
  node_reserve res;
  fresh_names names;
  auto cost = descend_cost(k, created_from);
  res.reserve(cost.entries + put_bound(cost.last ? cost.last->root : nullptr), cost.dicts);
  names.make(k, std::min(created_from, k.depth()), k.depth());
  if (v.empty())
    v = bytes_access::adopt(alloc_value(0)); // every value has a node
  if (effects)
    effects->push_back({at.version, change_op::set, k, kind::value, {}, v});
  // The change: nothing below can fail.
  value_node* node = bytes_access::release(v);
  const std::size_t made = k.depth() - std::min(created_from, k.depth()); // names made
  auto c = descend(k, created_from, delta, at, res, names.data());
  seg_name unused; // a replaced entry keeps its name
  bool inserted = false;
  c.d->root = put(c.d->root, k.basename(), std::move(made > 0 ? names[made - 1] : unused),
                  payload{node, kind::value, vtime, created, at.version}, &inserted, res);
  if (inserted)
    ++c.d->count;
  c.touch(at);
  return {};
}

// Every write is a function-try-block: its edit cannot fail (noexcept), so a
// std::bad_alloc can only come from its preparation, before anything
// changed, and becomes no_space.
result<void> tree::set(const key& k, bytes v, stamp at, change_list* effects) try {
  return put_value(k, std::move(v), at.time, at, effects);
} catch (const std::bad_alloc&) {
  return error::no_space();
}

} // namespace kvmem
