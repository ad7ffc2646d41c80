// diff(a, b, prefix): a depth-first walk, in key order, over the pairs of
// dictionaries that differ, merging each pair's AVL trees of entries while
// skipping the subtrees of entries the two share (the same node).
#include "kvmem/diff.hpp"

#include <vector>

#include "tree/tree_impl.hpp"
#include "tree/value.hpp"

namespace kvmem {

using namespace detail;

namespace {
thread_local std::uint64_t entries_visited = 0;
} // namespace

namespace detail {
std::uint64_t diff_entries_visited() noexcept { return entries_visited; }
} // namespace detail

namespace {

// The entries of two AVL trees in name order, pairwise: (a, b) for a name in
// both, (a, null) or (null, b) for a name in one. A subtree that is the same
// node on both sides holds the same entries: it is skipped whole.
class entry_merge {
public:
  entry_merge(const entry* a, const entry* b) {
    if (a)
      sa_.push_back({a, false});
    if (b)
      sb_.push_back({b, false});
  }

  /// The next differing pair, or (null, null) at the end.
  std::pair<const entry*, const entry*> next() {
    for (;;) {
      if (sa_.empty() && sb_.empty())
        return {nullptr, nullptr};
      if (sa_.empty() || sb_.empty()) {
        auto& s = sa_.empty() ? sb_ : sa_;
        if (!s.back().single) {
          expand(s);
          continue;
        }
        const entry* e = s.back().e;
        s.pop_back();
        if (&s == &sb_)
          return {nullptr, e};
        return {e, nullptr};
      }
      item a = sa_.back(), b = sb_.back();
      if (a.e == b.e && a.single == b.single) { // shared: the same entries (or entry)
        sa_.pop_back();
        sb_.pop_back();
        continue;
      }
      if (a.single && b.single) {
        int c = a.e->name.compare(b.e->name);
        if (c < 0) {
          sa_.pop_back();
          return {a.e, nullptr};
        }
        if (c > 0) {
          sb_.pop_back();
          return {nullptr, b.e};
        }
        sa_.pop_back();
        sb_.pop_back();
        return {a.e, b.e};
      }
      // Expand a subtree: the one that is not a single entry, or the taller.
      if (!a.single && (b.single || a.e->height >= b.e->height))
        expand(sa_);
      else
        expand(sb_);
    }
  }

private:
  struct item {
    const entry* e;
    bool single; // only e itself (its subtrees are elsewhere on the stack)
  };
  // Replaces the top subtree by its left subtree, its root, its right subtree.
  static void expand(std::vector<item>& s) {
    ++entries_visited;
    const entry* t = s.back().e;
    s.pop_back();
    if (t->r)
      s.push_back({t->r, false});
    s.push_back({t, true});
    if (t->l)
      s.push_back({t->l, false});
  }
  std::vector<item> sa_, sb_; // the back is the smallest remaining name
};

// What a diff needs of an entry (or of the root): its child and effective
// versions (tree.hpp, "versions").
struct side {
  const node_header* node = nullptr; // null: absent
  version_t created = 0;             // effective
  version_t modified = 0;            // effective
  bool is_dict() const { return node && node->type == node_type::dict; }
};

side of(const entry* e, version_t created_above) {
  if (!e)
    return {};
  auto c = std::max(created_above, e->created);
  return {e->child, c, std::max(e->modified, c)};
}

class differ {
public:
  differ(version_t v, change_list& out) : v_(v), out_(out) {}

  // Compares the entry at k on both sides; returns true if both are the same
  // dictionary entry whose contents must be compared below.
  bool compare(const key& k, const side& a, const side& b) {
    if (!a.node && !b.node)
      return false;
    if (!b.node) {
      out_.push_back({v_, change_op::remove, k, a.is_dict() ? kind::dictionary : kind::value, {}, {}});
      return false;
    }
    if (!b.is_dict()) {
      auto* v = static_cast<const value_node*>(b.node);
      if (a.node == b.node && a.created == b.created && a.modified == b.modified)
        return false;
      retain(v);
      out_.push_back({v_, change_op::set, k, kind::value, {}, bytes_access::adopt(const_cast<value_node*>(v))});
      return false;
    }
    if (!a.is_dict() || a.created != b.created) {
      out_.push_back({v_, change_op::dictionary, k, kind::dictionary, {}, {}});
      return false;
    }
    return a.node != b.node;
  }

  // Walks the differing dictionaries below the pair (da, db) at k.
  void walk(const key& k, const dict_node* da, const dict_node* db, version_t ca, version_t cb) {
    struct frame {
      key path;
      entry_merge merge;
      version_t ca, cb; // effective created of the dictionaries walked
    };
    std::vector<frame> stack;
    stack.push_back({k, entry_merge{da->root, db->root}, ca, cb});
    while (!stack.empty()) {
      auto& f = stack.back();
      auto [ea, eb] = f.merge.next();
      if (!ea && !eb) {
        stack.pop_back();
        continue;
      }
      const auto& name = ea ? ea->name : eb->name;
      key child = f.path / name;
      auto sa = of(ea, f.ca), sb = of(eb, f.cb);
      if (compare(child, sa, sb)) {
        auto* cda = static_cast<const dict_node*>(sa.node);
        auto* cdb = static_cast<const dict_node*>(sb.node);
        stack.push_back({std::move(child), entry_merge{cda->root, cdb->root}, sa.created, sb.created});
      }
    }
  }

private:
  version_t v_;
  change_list& out_;
};

} // namespace

namespace {

std::uint64_t entry_bytes(const entry* e) {
  return sizeof(entry) + e->name.heap_bytes(); // a long name: its shared buffer
}

std::uint64_t value_bytes(const node_header* n) {
  return sizeof(value_node) + static_cast<const value_node*>(n)->size;
}

// Everything below dictionary d (d included), walked without recursion.
std::uint64_t subtree_bytes(const dict_node* d) {
  std::uint64_t total = 0;
  std::vector<const dict_node*> todo{d};
  while (!todo.empty()) {
    auto* x = todo.back();
    todo.pop_back();
    total += sizeof(dict_node);
    for_each(x->root, [&](const entry& e) {
      total += entry_bytes(&e);
      if (e.k == kind::value)
        total += value_bytes(e.child);
      else
        todo.push_back(static_cast<const dict_node*>(e.child));
    });
  }
  return total;
}

} // namespace

std::uint64_t unshared_bytes(const tree& a, const tree& b) {
  std::uint64_t total = 0;
  std::vector<std::pair<const dict_node*, const dict_node*>> todo{
      {tree_access::root(a), tree_access::root(b)}};
  while (!todo.empty()) {
    auto [da, db] = todo.back();
    todo.pop_back();
    if (da == db)
      continue;
    if (!db) {
      total += subtree_bytes(da);
      continue;
    }
    total += sizeof(dict_node);
    entry_merge m{da->root, db->root};
    for (auto [ea, eb] = m.next(); ea || eb; std::tie(ea, eb) = m.next()) {
      if (!ea)
        continue;
      total += entry_bytes(ea);
      if (eb && ea->child == eb->child)
        continue;
      if (ea->k == kind::value)
        total += value_bytes(ea->child);
      else
        todo.emplace_back(static_cast<const dict_node*>(ea->child),
                          eb && eb->k == kind::dictionary ? static_cast<const dict_node*>(eb->child)
                                                          : nullptr);
    }
  }
  return total;
}

change_list diff(const tree& a, const tree& b, const key& prefix, version_t version) {
  change_list out;
  auto side_of = [&](const tree& t) -> side {
    auto n = tree_access::lookup(t, prefix);
    return {n.node, n.created, n.modified};
  };
  differ d{version, out};
  auto sa = side_of(a), sb = side_of(b);
  if (d.compare(prefix, sa, sb))
    d.walk(prefix, static_cast<const dict_node*>(sa.node), static_cast<const dict_node*>(sb.node),
           sa.created, sb.created);
  return out;
}

} // namespace kvmem
