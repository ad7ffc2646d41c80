// The AVL map of entries: ordering, balance, and that copies are untouched.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "tree/entry_map.hpp"
#include "tree/value.hpp"

using namespace kvmem::detail;

namespace {

payload val(std::string_view s) { return payload{make_value(s), kvmem::kind::value, {}}; }

// Each edit with a reserve of exactly its bound: taking more than the bound
// allows fails an assertion (node_reserve::make_entry).
entry* put(entry* t, std::string_view name, payload p, bool* inserted) {
  node_reserve r;
  r.reserve(put_bound(t), 0);
  return put(t, name, seg_name{name}, p, inserted, r);
}
entry* take(entry* t, std::string_view name, payload* out) {
  node_reserve r;
  r.reserve(take_bound(t), 0);
  return take(t, name, out, r);
}
entry* edit(entry** slot, std::string_view name) {
  node_reserve r;
  r.reserve(edit_bound(*slot), 0);
  return edit(slot, name, r);
}

std::map<std::string, std::string> contents(const entry* t) {
  std::map<std::string, std::string> m;
  for_each(t, [&](const entry& e) {
    auto* v = static_cast<const value_node*>(e.child);
    m.emplace(e.name.view(), std::string(v->data(), v->size));
  });
  return m;
}

} // namespace

TEST_CASE("random puts and takes match std::map and keep the AVL invariants") {
  auto seed = Catch::rngSeed() ? Catch::rngSeed() : 42u;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  entry* t = nullptr;
  std::map<std::string, std::string> model;
  for (int step = 0; step < 20000; ++step) {
    INFO("step " << step);
    auto name = std::to_string(rng() % 500);
    if (rng() % 3 != 0) {
      bool inserted = false;
      t = put(t, name, val(name + "!"), &inserted);
      CHECK(inserted == !model.count(name));
      model[name] = name + "!";
    } else if (model.count(name)) {
      payload p;
      t = take(t, name, &p);
      CHECK(p.child != nullptr);
      release(p.child);
      model.erase(name);
    }
    if (step % 1000 == 0) {
      REQUIRE(verify_entries(t, model.size()) == "");
      REQUIRE(contents(t) == model);
    }
  }
  REQUIRE(verify_entries(t, model.size()) == "");
  release(t);
}

TEST_CASE("edits of a shared tree stay within their reserve bounds and leave the original intact") {
  // Every node shared by a snapshot taken before each edit: the worst case
  // for the bounds (path copies and rotated copies of siblings).
  auto seed = Catch::rngSeed() ? Catch::rngSeed() : 42u;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  entry* t = nullptr;
  std::map<std::string, std::string> model;
  for (int step = 0; step < 4000; ++step) {
    INFO("step " << step);
    auto name = std::to_string(rng() % 300);
    retain(t);
    entry* snapshot = t;
    auto before = model;
    if (rng() % 2 != 0) {
      bool inserted = false;
      t = put(t, name, val(name), &inserted);
      model[name] = name;
    } else if (model.count(name)) {
      payload p;
      t = take(t, name, &p);
      release(p.child);
      model.erase(name);
    }
    if (step % 97 == 0) {
      REQUIRE(contents(snapshot) == before);
      REQUIRE(verify_entries(t, model.size()) == "");
    }
    release(snapshot);
  }
  REQUIRE(contents(t) == model);
  release(t);
}

TEST_CASE("a retained root never changes while a copy is edited") {
  entry* t = nullptr;
  bool ins = false;
  for (int i = 0; i < 200; ++i)
    t = put(t, std::to_string(i), val("v"), &ins);
  auto before = contents(t);
  retain(t); // a snapshot
  entry* edited = t;
  for (int i = 0; i < 200; i += 2) {
    payload p;
    edited = take(edited, std::to_string(i), &p);
    release(p.child);
  }
  edited = put(edited, "new", val("n"), &ins);
  CHECK(contents(t) == before);
  CHECK(verify_entries(t, 200) == "");
  CHECK(verify_entries(edited, 101) == "");
  CHECK(contents(edited).size() == 101);
  release(t);
  release(edited);
}

TEST_CASE("editing a unique tree reuses its nodes") {
  entry* t = nullptr;
  bool ins = false;
  for (int i = 0; i < 100; ++i)
    t = put(t, std::to_string(i), val("v"), &ins);
  const entry* e = find(t, "42");
  entry* again = edit(&t, "42");
  CHECK(again == e); // no copy: every node on the path was unique
  retain(t);
  entry* copy = t;
  entry* e2 = edit(&copy, "42");
  CHECK(e2 != e); // shared: copied
  CHECK(find(t, "42") == e);
  release(t);
  release(copy);
}

TEST_CASE("find does not see absent names; the cursor walks in order") {
  entry* t = nullptr;
  bool ins = false;
  for (auto n : {"b", "a", "c"})
    t = put(t, n, val(n), &ins);
  CHECK(find(t, "d") == nullptr);
  CHECK(find(t, "a") != nullptr);
  entry_cursor c{t};
  std::string order;
  while (auto* e = c.next())
    order += e->name.view();
  CHECK(order == "abc");
  release(t);
}
