// kvmem::diff against a naive full comparison of random tree pairs, and the
// sharing it must respect (cost proportional to the changes).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <random>

#include "kvmem/diff.hpp"
#include "tree/tree_impl.hpp"
#include "tree_helpers.hpp"

using namespace test;
using kvmem::change;
using kvmem::change_list;
using kvmem::change_op;
using kvmem::key;
using kvmem::kind;
using kvmem::tree;

namespace {

struct info {
  kind k;
  kvmem::version_t created, modified;
  std::string bytes;
};

// Every key of t (the root included) with what a diff compares.
std::map<key, info> flatten(const tree& t) {
  std::map<key, info> out;
  std::vector<key> todo{key{}};
  while (!todo.empty()) {
    key k = todo.back();
    todo.pop_back();
    auto s = t.stat(k).value();
    out[k] = {s.what, s.created, s.modified, s.what == kind::value ? t.get(k)->str() : ""};
    if (s.what == kind::dictionary)
      for (auto& [c, kd] : t.list(k).value())
        todo.push_back(c);
  }
  return out;
}

// The diff, computed naively from the two flattened trees.
change_list naive_diff(const tree& a, const tree& b, const key& prefix, kvmem::version_t v) {
  auto fa = flatten(a), fb = flatten(b);
  std::map<key, int> all;
  for (auto& [k, i] : fa)
    all[k];
  for (auto& [k, i] : fb)
    all[k];
  change_list out;
  std::optional<key> covered;
  for (auto& [k, unused] : all) {
    if (!prefix.is_prefix_of(k) || (covered && covered->is_prefix_of(k)))
      continue;
    auto ia = fa.find(k), ib = fb.find(k);
    bool in_a = ia != fa.end(), in_b = ib != fb.end();
    if (!in_b) {
      out.push_back({v, change_op::remove, k, ia->second.k, {}, {}});
      covered = k;
    } else if (ib->second.k == kind::value) {
      if (!in_a || ia->second.k != kind::value || ia->second.created != ib->second.created ||
          ia->second.modified != ib->second.modified)
        out.push_back({v, change_op::set, k, kind::value, {}, kvmem::bytes{ib->second.bytes}});
      covered = k; // a value replaces whatever a had below k
    } else if (!in_a || ia->second.k != kind::dictionary || ia->second.created != ib->second.created) {
      out.push_back({v, change_op::dictionary, k, kind::dictionary, {}, {}});
      covered = k;
    }
  }
  return out;
}

std::string render(const change_list& l) {
  std::string r;
  for (auto& c : l)
    r += fmt::format("\n  {} {} {}", c.op, c.path, c.value);
  return r;
}

// A random write among a few keys, stamped with version v.
void random_write(tree& t, std::mt19937_64& rng, kvmem::version_t v) {
  static const char* segs[] = {"a", "b", "c", "d"};
  auto k = [&] {
    key x;
    for (auto n = 1 + rng() % 3; n > 0; --n)
      x = std::move(x) / segs[rng() % 4];
    return x;
  };
  kvmem::stamp at{T(static_cast<std::int64_t>(v)), v};
  switch (rng() % 5) {
    case 0: (void)t.remove(k(), at); break;
    case 1: (void)t.rename(k(), k(), at); break;
    default: (void)t.set(k(), std::to_string(rng() % 5), at); break;
  }
}

} // namespace

TEST_CASE("diff equals a naive full comparison on random tree pairs") {
  std::uint64_t seed = std::getenv("KVMEM_SEED") ? std::strtoull(std::getenv("KVMEM_SEED"), nullptr, 0)
                                                 : 0xd1ff;
  std::mt19937_64 rng{seed};
  tree t{T(0)};
  kvmem::version_t v = 0;
  for (int round = 0; round < 2000; ++round) {
    for (auto n = rng() % 20; n > 0; --n)
      random_write(t, rng, ++v);
    tree a = t;
    for (auto n = rng() % 6; n > 0; --n)
      random_write(t, rng, ++v);
    for (const char* p : {"/", "/a", "/b/c", "/d/d/d"}) {
      auto got = kvmem::diff(a, t, K(p), v);
      auto want = naive_diff(a, t, K(p), v);
      if (got != want)
        FAIL(fmt::format("seed {} round {} prefix {}\ngot:{}\nwant:{}\nreplay: KVMEM_SEED={}", seed, round,
                         p, render(got), render(want), seed));
    }
  }
}

TEST_CASE("a diff of a tree against itself touches nothing; one change costs O(log n)") {
  tree t{T(0)};
  for (int i = 0; i < 100'000; ++i)
    REQUIRE(t.set(K(fmt::format("/big/k{}", i)), "v", {T(1), 1}));
  auto before = kvmem::detail::diff_entries_visited();
  CHECK(kvmem::diff(t, t).empty());
  CHECK(kvmem::detail::diff_entries_visited() == before);
  tree a = t;
  REQUIRE(t.set(K("/big/k500"), "w", {T(2), 2}));
  before = kvmem::detail::diff_entries_visited();
  auto d = kvmem::diff(a, t);
  REQUIRE(d.size() == 1);
  CHECK(d[0].op == change_op::set);
  CHECK(d[0].path == K("/big/k500"));
  CHECK(d[0].value == "w");
  // Only the entries on the changed paths were opened: a handful per level
  // of the 100,000-entry AVL tree (height ~20), not the dictionary.
  CHECK(kvmem::detail::diff_entries_visited() - before < 100);
  CHECK(kvmem::diff(a, t, K("/other")).empty());
}

TEST_CASE("a removed or renamed dictionary is one event, whatever its size") {
  tree t{T(0)};
  for (int i = 0; i < 10'000; ++i)
    REQUIRE(t.set(K(fmt::format("/d/k{}", i)), "v", {T(1), 1}));
  tree a = t;
  REQUIRE(t.rename(K("/d"), K("/e"), {T(2), 2}));
  auto d = kvmem::diff(a, t);
  REQUIRE(d.size() == 2);
  CHECK((d[0].op == change_op::remove && d[0].path == K("/d") && d[0].what == kind::dictionary));
  CHECK((d[1].op == change_op::dictionary && d[1].path == K("/e")));
}
