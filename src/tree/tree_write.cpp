// The writes that are more than a put: remove, rename, allocate, set_partial.
// Each validates everything first and only then edits, so a failing write
// changes nothing.
#include <algorithm>
#include <cstring>
#include <new>

#include "tree/tree_impl.hpp"
#include "tree/value.hpp"

namespace kvmem {

using namespace detail;

result<bool> tree::remove(const key& k, stamp at, change_list* effects) try {
  if (k.is_root()) {
    if (root_->count == 0)
      return false;
    if (effects)
      effects->push_back({at.version, change_op::remove, k, kind::dictionary, {}, {}});
    release(root_);
    root_ = empty_dict(); // shared, never edited: its subtree reads as the root's modified
    root_mtime_ = at.time;
    root_modified_ = at.version;
    return true;
  }
  auto f = lookup(k);
  if (f.status != found::hit)
    return false; // absent, or under a value: nothing to remove
  // Everything that may allocate, before anything changes.
  node_reserve res;
  auto cost = descend_cost(k, k.depth());
  res.reserve(cost.entries + take_bound(cost.last->root), cost.dicts);
  if (effects)
    effects->push_back(
        {at.version, change_op::remove, k, f.is_value() ? kind::value : kind::dictionary, {}, {}});
  // The change: nothing below can fail.
  auto gone = k.basename().size() + child_bytes(f.node);
  auto c = descend(k, k.depth(), -static_cast<std::int64_t>(gone), at, res, nullptr);
  payload p;
  c.d->root = take(c.d->root, k.basename(), &p, res);
  release(p.child);
  --c.d->count;
  c.touch(at);
  return true;
} catch (const std::bad_alloc&) {
  return error::no_space();
}

result<bool> tree::rename(const key& src, const key& dst, stamp at, change_list* effects) try {
  auto fs = lookup(src);
  switch (fs.status) {
    case found::through_value: return error::dictionary_expected(src);
    case found::missing: return error::not_found(src);
    case found::hit: break;
  }
  const bool src_is_value = fs.is_value();
  if (src.is_prefix_of(dst)) {
    if (src_is_value && src == dst)
      return false; // a value onto itself
    return error::rename_source_prefix(src, dst);
  }
  // Where the node goes: dst itself, or dst/basename(src) if dst is a dict.
  auto fd = lookup(dst);
  key target;
  std::size_t created_from = dst.depth();
  std::uint64_t replaced = 0;
  switch (fd.status) {
    case found::through_value: return error::dictionary_expected(dst);
    case found::missing:
      target = dst;
      created_from = fd.missing_at;
      break;
    case found::hit:
      if (fd.is_value()) {
        if (!src_is_value)
          return error::value_expected(src);
        target = dst;
        replaced = fd.value()->size;
        break;
      }
      target = dst / src.basename();
      auto ft = lookup(target);
      created_from = target.depth();
      if (ft.status == found::missing) {
        created_from = target.depth() - 1;
      } else if (target == src) {
        if (src_is_value)
          return false; // moved into the dictionary it is already in
        return error::already_present(target);
      } else if (!src_is_value) {
        return error::already_present(target);
      } else if (!ft.is_value()) {
        return error::value_expected(target);
      } else {
        replaced = ft.value()->size;
      }
      break;
  }
  const auto moved = child_bytes(fs.node);
  const auto grow = static_cast<std::int64_t>(names_from(target, created_from)) -
                    static_cast<std::int64_t>(src.basename().size() + replaced);
  if (auto r = check_space(grow); !r)
    return r.error();
  // Everything that may allocate, before anything changes: the nodes of both
  // edits (bounds measured now are upper bounds after the first edit too,
  // which only removes), the names of what the target path creates, and the
  // effects, both or neither.
  node_reserve res;
  fresh_names names;
  auto from = descend_cost(src, src.depth());
  auto to = descend_cost(target, created_from, true);
  res.reserve(from.entries + take_bound(from.last->root) + to.entries +
                  put_bound(to.last ? to.last->root : nullptr),
              from.dicts + to.dicts);
  names.make(target, std::min(created_from, target.depth()), target.depth());
  if (effects) {
    auto what = src_is_value ? kind::value : kind::dictionary;
    bytes value;
    if (src_is_value) {
      retain(fs.node);
      value = bytes_access::adopt(const_cast<value_node*>(fs.value()));
    }
    change out{at.version, change_op::rename_out, src, what, target, {}};
    change in{at.version, change_op::rename_in, target, what, src, std::move(value)};
    effects->reserve(effects->size() + 2);
    effects->push_back(std::move(out)); // no allocation from here on
    effects->push_back(std::move(in));
  }
  // The change: nothing below can fail. Take the node out of its
  // dictionary, then put it at the target.
  auto c = descend(src, src.depth(), -static_cast<std::int64_t>(src.basename().size() + moved), at,
                   res, nullptr);
  payload p;
  c.d->root = take(c.d->root, src.basename(), &p, res);
  --c.d->count;
  c.touch(at);
  // The moved entry keeps its time but is a new entry at its new key: it is
  // stamped created = modified = this version, and everything beneath it
  // reads that version through it (see tree.hpp, "versions").
  p.created = p.modified = at.version;
  const std::size_t made = target.depth() - std::min(created_from, target.depth());
  auto t = descend(target, created_from, static_cast<std::int64_t>(moved - replaced), at, res,
                   names.data());
  seg_name unused; // a replaced entry keeps its name
  bool inserted = false;
  t.d->root = put(t.d->root, target.basename(), std::move(made > 0 ? names[made - 1] : unused), p,
                  &inserted, res);
  if (inserted)
    ++t.d->count;
  t.touch(at);
  return true;
} catch (const std::bad_alloc&) {
  return error::no_space();
}

result<void> tree::allocate(const key& k, std::uint64_t size, std::optional<ptime> mtime,
                            stamp at, change_list* effects) try {
  auto f = lookup(k);
  if (f.status == found::hit)
    return error::already_present(k);
  if (f.status == found::through_value)
    return error::dictionary_expected(k);
  if (size > capacity_)
    return error::no_space();
  return put_value(k, bytes::zeros(size), mtime.value_or(at.time), at, effects);
} catch (const std::bad_alloc&) {
  return error::no_space();
}

result<void> tree::set_partial(const key& k, std::uint64_t offset, std::string_view data,
                               stamp at, change_list* effects) try {
  auto f = lookup(k);
  if (f.status == found::through_value)
    return error::dictionary_expected(k);
  if (f.status == found::missing)
    return put_value(k, bytes{data}, at.time, at, effects);
  if (!f.is_value())
    return error::value_expected(k);
  const value_node* old = f.value();
  const std::uint64_t from = std::min(offset, old->size);
  const std::uint64_t n = std::max<std::uint64_t>(old->size, from + data.size());
  if (auto r = check_space(static_cast<std::int64_t>(n - old->size)); !r)
    return r; // before allocating what could not be stored anyway
  bytes v = bytes_access::adopt(alloc_value(n));
  auto* p = const_cast<char*>(v.data());
  std::memcpy(p, old->data(), static_cast<std::size_t>(old->size));
  if (!data.empty())
    std::memcpy(p + from, data.data(), data.size());
  return put_value(k, std::move(v), at.time, at, effects);
} catch (const std::bad_alloc&) {
  return error::no_space();
}

} // namespace kvmem
