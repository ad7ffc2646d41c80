#include "tree/entry_map.hpp"

#include <cassert>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace kvmem::detail {

namespace {

// Byte-wise lexicographic order (as std::string's). Segment names are
// usually short, where a loop beats a call to memcmp.
int compare(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  if (n > 16) {
    if (int c = std::memcmp(a.data(), b.data(), n))
      return c;
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
      if (x != y)
        return x < y ? -1 : 1;
    }
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

void set_payload(entry* e, const payload& p) noexcept {
  e->child = p.child;
  e->k = p.k;
  e->mtime = p.mtime;
  e->created = p.created;
  e->modified = p.modified;
}

void fix_height(entry* t) noexcept {
  auto hl = height(t->l), hr = height(t->r);
  t->height = static_cast<std::uint8_t>(1 + (hl > hr ? hl : hr));
}

// Takes an owned reference; returns an owned reference to a node that is
// editable: the same node if unshared, else a copy (the original loses our
// reference and stays intact for its other holders). The copy comes from
// the reserve and copies the name without allocating.
entry* own(entry* e, node_reserve& res) noexcept {
  if (unique(e))
    return e;
  auto* c = res.make_entry();
  c->height = e->height;
  c->k = e->k;
  c->l = e->l;
  c->r = e->r;
  c->child = e->child;
  c->mtime = e->mtime;
  c->created = e->created;
  c->modified = e->modified;
  c->name = e->name;
  retain(c->l);
  retain(c->r);
  retain(c->child);
  release(e);
  return c;
}

entry* rotate_right(entry* t, node_reserve& res) noexcept {
  entry* l = own(t->l, res);
  t->l = l->r;
  l->r = t;
  fix_height(t);
  fix_height(l);
  return l;
}

entry* rotate_left(entry* t, node_reserve& res) noexcept {
  entry* r = own(t->r, res);
  t->r = r->l;
  r->l = t;
  fix_height(t);
  fix_height(r);
  return r;
}

// t is editable; its subtrees are valid AVL trees whose heights differ by at
// most 2.
entry* rebalance(entry* t, node_reserve& res) noexcept {
  fix_height(t);
  int bf = height(t->l) - height(t->r);
  if (bf > 1) {
    if (height(t->l->l) < height(t->l->r)) {
      t->l = own(t->l, res);
      t->l = rotate_left(t->l, res);
    }
    return rotate_right(t, res);
  }
  if (bf < -1) {
    if (height(t->r->r) < height(t->r->l)) {
      t->r = own(t->r, res);
      t->r = rotate_right(t->r, res);
    }
    return rotate_left(t, res);
  }
  return t;
}

// Removes the leftmost entry of t (non-null); hands it, detached and
// editable, to *out.
entry* take_min(entry* t, entry** out, node_reserve& res) noexcept {
  t = own(t, res);
  if (!t->l) {
    entry* r = t->r;
    t->r = nullptr;
    *out = t;
    return r;
  }
  t->l = take_min(t->l, out, res);
  return rebalance(t, res);
}

} // namespace

const entry* find(const entry* t, std::string_view name) noexcept {
  while (t) {
    int c = compare(name, t->name);
    if (c == 0)
      return t;
    t = c < 0 ? t->l : t->r;
  }
  return nullptr;
}

namespace {

entry* insert(entry* t, seg_name&& name, payload p, node_reserve& res) noexcept {
  if (!t) {
    auto* e = res.make_entry();
    e->name = std::move(name);
    set_payload(e, p);
    return e;
  }
  t = own(t, res);
  if (compare(name, t->name) < 0)
    t->l = insert(t->l, std::move(name), p, res);
  else
    t->r = insert(t->r, std::move(name), p, res);
  return rebalance(t, res);
}

} // namespace

entry* put(entry* t, std::string_view name, seg_name&& fresh, payload p, bool* inserted,
           node_reserve& res) noexcept {
  // Replacing an existing entry changes no shape: edit it where it is.
  if (entry* e = edit(&t, name, res)) {
    release(e->child);
    set_payload(e, p);
    *inserted = false;
    return t;
  }
  assert(fresh == name && "put: a new entry needs its name made beforehand");
  *inserted = true;
  return insert(t, std::move(fresh), p, res);
}

entry* take(entry* t, std::string_view name, payload* out, node_reserve& res) noexcept {
  assert(t && "take: name must be present");
  t = own(t, res);
  int c = compare(name, t->name);
  if (c < 0) {
    t->l = take(t->l, name, out, res);
    return rebalance(t, res);
  }
  if (c > 0) {
    t->r = take(t->r, name, out, res);
    return rebalance(t, res);
  }
  *out = payload{t->child, t->k, t->mtime, t->created, t->modified};
  t->child = nullptr;
  entry* l = t->l;
  entry* r = t->r;
  t->l = t->r = nullptr;
  release(t);
  if (!l)
    return r;
  if (!r)
    return l;
  entry* m = nullptr;
  r = take_min(r, &m, res);
  m->l = l;
  m->r = r;
  return rebalance(m, res);
}

std::size_t edit_cost(const entry* t, std::string_view name, bool shared, const entry** found,
                      bool* copied) noexcept {
  std::size_t n = 0;
  *found = nullptr;
  while (t) {
    shared = shared || !unique(t);
    n += shared ? 1 : 0;
    int c = compare(name, t->name);
    if (c == 0) {
      *found = t;
      break;
    }
    t = c < 0 ? t->l : t->r;
  }
  *copied = shared;
  return n;
}

entry* edit(entry** slot, std::string_view name, node_reserve& res) noexcept {
  while (*slot) {
    *slot = own(*slot, res);
    entry* t = *slot;
    int c = compare(name, t->name);
    if (c == 0)
      return t;
    slot = c < 0 ? &t->l : &t->r;
  }
  return nullptr;
}

dict_node* edit_dict(dict_node** slot, node_reserve& res) noexcept {
  dict_node* d = *slot;
  if (unique(d)) {
    if (auto* m = d->memo.exchange(nullptr, std::memory_order_relaxed))
      delete m; // contents are about to change
    return d;
  }
  auto* c = res.make_dict();
  c->root = d->root;
  c->count = d->count;
  c->bytes = d->bytes;
  c->subtree = d->subtree;
  retain(c->root);
  release(d);
  *slot = c;
  return c;
}

dict_node* edit_dict(node_header** slot, node_reserve& res) noexcept {
  assert((*slot)->type == node_type::dict);
  auto* d = static_cast<dict_node*>(*slot);
  auto* r = edit_dict(&d, res);
  *slot = r;
  return r;
}

std::string verify_entries(const entry* t, std::uint64_t expected_count) {
  // Iterative post-order check of heights and balance, plus an in-order
  // check of strict name order.
  std::string problem;
  std::uint64_t n = 0;
  const seg_name* prev = nullptr;
  for_each(t, [&](const entry& e) {
    ++n;
    if (!problem.empty())
      return;
    if (prev && !(*prev < e.name.view()))
      problem = fmt::format("entries out of order: {:?} then {:?}", *prev, e.name.view());
    prev = &e.name;
    int hl = height(e.l), hr = height(e.r);
    if (e.height != 1 + std::max(hl, hr))
      problem = fmt::format("wrong height at {:?}", e.name.view());
    else if (hl - hr > 1 || hr - hl > 1)
      problem = fmt::format("unbalanced at {:?}", e.name.view());
    else if (!e.child)
      problem = fmt::format("entry {:?} without child", e.name.view());
    else if ((e.k == kind::value) != (e.child->type == node_type::value))
      problem = fmt::format("entry {:?} has the wrong kind", e.name.view());
    else if (e.name.empty() || e.name.view().find('/') != std::string_view::npos)
      problem = fmt::format("invalid segment {:?}", e.name.view());
  });
  if (problem.empty() && n != expected_count)
    problem = fmt::format("count says {} entries, found {}", expected_count, n);
  return problem;
}

} // namespace kvmem::detail
