// Whole-tree walks: digest, equal, pretty, verify, count_nodes. All use
// explicit stacks so that a 10,000-deep path or a million-entry dictionary
// never deepens the call stack.
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "tree/tree_impl.hpp"

namespace kvmem {

using namespace detail;

namespace {

const sha256_bytes* memo_of(const node_header* n) noexcept {
  auto& m = n->type == node_type::value ? static_cast<const value_node*>(n)->memo
                                        : static_cast<const dict_node*>(n)->memo;
  return m.load(std::memory_order_acquire);
}

// Publishes a computed digest; if another thread won the race, keeps theirs.
const sha256_bytes* publish(std::atomic<sha256_bytes*>& memo, const sha256_bytes& d) {
  auto* mine = new sha256_bytes(d);
  sha256_bytes* expected = nullptr;
  if (memo.compare_exchange_strong(expected, mine, std::memory_order_acq_rel))
    return mine;
  delete mine;
  return expected;
}

const sha256_bytes* value_digest(const value_node* v) {
  if (auto* m = v->memo.load(std::memory_order_acquire))
    return m;
  auto d = digest::sha256({v->data(), static_cast<std::size_t>(v->size)});
  return publish(v->memo, d.bytes);
}

struct evp_ctx {
  EVP_MD_CTX* p = EVP_MD_CTX_new();
  ~evp_ctx() { EVP_MD_CTX_free(p); }
};

// Merkle digest of one dictionary whose child dictionaries all have theirs.
sha256_bytes hash_dict(const dict_node* d) {
  static constexpr std::string_view tag = "kvmem.dict.v1";
  evp_ctx ctx;
  if (!ctx.p || EVP_DigestInit_ex(ctx.p, EVP_sha256(), nullptr) != 1)
    throw std::bad_alloc();
  EVP_DigestUpdate(ctx.p, tag.data(), tag.size());
  for_each(d->root, [&](const entry& e) {
    unsigned char len[8];
    for (int i = 0; i < 8; ++i)
      len[i] = static_cast<unsigned char>(std::uint64_t{e.name.size()} >> (8 * i));
    const unsigned char k = e.k == kind::value ? 'v' : 'd';
    const sha256_bytes* child = e.k == kind::value
                                    ? value_digest(static_cast<const value_node*>(e.child))
                                    : memo_of(e.child);
    EVP_DigestUpdate(ctx.p, len, sizeof len);
    EVP_DigestUpdate(ctx.p, e.name.data(), e.name.size());
    EVP_DigestUpdate(ctx.p, &k, 1);
    EVP_DigestUpdate(ctx.p, child->data(), child->size());
  });
  sha256_bytes out;
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.p, out.data(), &n);
  return out;
}

const sha256_bytes* dict_digest(const dict_node* top) {
  // Post-order over the dictionaries that have no digest yet: a dictionary
  // is hashed once all its child dictionaries are.
  std::vector<const dict_node*> stack{top};
  while (!stack.empty()) {
    const dict_node* d = stack.back();
    if (memo_of(d)) {
      stack.pop_back();
      continue;
    }
    bool ready = true;
    for_each(d->root, [&](const entry& e) {
      if (e.k == kind::dictionary && !memo_of(e.child)) {
        stack.push_back(static_cast<const dict_node*>(e.child));
        ready = false;
      }
    });
    if (ready) {
      publish(d->memo, hash_dict(d));
      stack.pop_back();
    }
  }
  return memo_of(top);
}

} // namespace

result<digest> tree::digest(const key& k) const {
  auto f = lookup(k);
  switch (f.status) {
    case found::through_value: return error::dictionary_expected(k);
    case found::missing: return error::not_found(k);
    case found::hit: break;
  }
  const sha256_bytes* d =
      f.is_value() ? value_digest(f.value()) : dict_digest(f.dict());
  return kvmem::digest{*d};
}

bool equal(const tree& a, const tree& b) {
  std::vector<std::pair<const dict_node*, const dict_node*>> stack{{a.root_, b.root_}};
  while (!stack.empty()) {
    auto [x, y] = stack.back();
    stack.pop_back();
    if (x == y)
      continue;
    if (x->count != y->count || x->bytes != y->bytes)
      return false;
    auto* mx = memo_of(x);
    auto* my = memo_of(y);
    if (mx && my) {
      if (*mx != *my)
        return false;
      continue; // equal SHA-256 Merkle digests: equal contents
    }
    entry_cursor cx{x->root}, cy{y->root};
    for (auto* ex = cx.next(); ex; ex = cx.next()) {
      auto* ey = cy.next();
      if (ex->name != ey->name || ex->k != ey->k)
        return false;
      if (ex->k == kind::dictionary) {
        stack.emplace_back(static_cast<const dict_node*>(ex->child),
                           static_cast<const dict_node*>(ey->child));
        continue;
      }
      auto* vx = static_cast<const value_node*>(ex->child);
      auto* vy = static_cast<const value_node*>(ey->child);
      if (vx != vy && (vx->size != vy->size ||
                       std::memcmp(vx->data(), vy->data(), static_cast<std::size_t>(vx->size)) != 0))
        return false;
    }
  }
  return true;
}

namespace {

// Calls visit(path, entry) for every entry below `root` in key order.
template <class F>
void walk(const dict_node* root, F&& visit) {
  struct frame {
    std::string path;
    entry_cursor cursor;
  };
  std::vector<std::unique_ptr<frame>> stack;
  stack.push_back(std::make_unique<frame>(frame{"", entry_cursor{root->root}}));
  while (!stack.empty()) {
    frame& top = *stack.back();
    const entry* e = top.cursor.next();
    if (!e) {
      stack.pop_back();
      continue;
    }
    std::string path = top.path + "/" + std::string(e->name.view());
    visit(path, *e);
    if (e->k == kind::dictionary)
      stack.push_back(std::make_unique<frame>(
          frame{std::move(path), entry_cursor{static_cast<const dict_node*>(e->child)->root}}));
  }
}

} // namespace

std::string tree::pretty() const {
  std::string out;
  walk(root_, [&](const std::string& path, const entry& e) {
    if (e.k == kind::value)
      fmt::format_to(std::back_inserter(out), "{} {} {}\n", path,
                     static_cast<const value_node*>(e.child)->size, e.mtime);
    else if (static_cast<const dict_node*>(e.child)->count == 0)
      fmt::format_to(std::back_inserter(out), "{}/ (empty) {}\n", path, e.mtime);
  });
  return out;
}

std::uint64_t tree::count_nodes() const {
  std::uint64_t n = 0;
  walk(root_, [&](const std::string&, const entry&) { ++n; });
  return n;
}

std::string tree::verify() const {
  std::string problem;
  std::vector<std::pair<std::string, const dict_node*>> stack{{"/", root_}};
  while (!stack.empty() && problem.empty()) {
    // Named variables, not a structured binding: clang 14 cannot capture
    // those in the lambda below.
    std::string path = std::move(stack.back().first);
    const dict_node* d = stack.back().second;
    stack.pop_back();
    if (d->rc.load() == 0)
      return fmt::format("{}: dictionary with a zero count", path);
    problem = verify_entries(d->root, d->count);
    if (!problem.empty())
      return fmt::format("{}: {}", path, problem);
    std::uint64_t bytes = 0;
    std::string version_problem;
    for_each(d->root, [&](const entry& e) {
      bytes += e.name.size() + child_bytes(e.child);
      // Versions (given increasing stamps): an entry is modified no earlier
      // than created; a dictionary's subtree covers its entries and the
      // subtrees below it.
      if (version_problem.empty() && e.created > e.modified)
        version_problem = fmt::format("{}{}: created {} after modified {}", path, e.name.view(),
                                      e.created, e.modified);
      if (version_problem.empty() && e.modified > d->subtree)
        version_problem = fmt::format("{}{}: modified {} above its dictionary's subtree {}", path,
                                      e.name.view(), e.modified, d->subtree);
      if (e.k == kind::dictionary) {
        auto* child = static_cast<const dict_node*>(e.child);
        if (version_problem.empty() && child->subtree > d->subtree)
          version_problem = fmt::format("{}{}: subtree {} above its parent's {}", path, e.name.view(),
                                        child->subtree, d->subtree);
        stack.emplace_back(path + std::string(e.name.view()) + "/", child);
      }
    });
    if (!version_problem.empty())
      return version_problem;
    if (bytes != d->bytes)
      return fmt::format("{}: byte total says {}, entries hold {}", path, d->bytes, bytes);
  }
  return problem;
}

} // namespace kvmem
