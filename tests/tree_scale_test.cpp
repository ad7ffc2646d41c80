// Scale: a million-entry dictionary and a 10,000-deep path work for every
// operation without deep recursion; the shape stays logarithmic.
#include <catch2/catch.hpp>

#include <thread>

#include "tree_helpers.hpp"

using namespace test;
using kvmem::error;
using kvmem::kind;

TEST_CASE("a dictionary with 1,000,000 entries supports every operation") {
  kvmem::tree t;
  const int n = 1'000'000;
  for (int i = 0; i < n; ++i)
    t.set(kvmem::key{} / "big" / fmt::format("k{:07}", i), "v", T(i)).value();
  auto l = t.list(K("/big")).value();
  REQUIRE(l.size() == n);
  CHECK(l.front().first == K("/big/k0000000"));
  CHECK(l.back().first == K("/big/k0999999"));
  CHECK(get_str(t, "/big/k0500000") == "v");
  CHECK(t.size(K("/big/k0000001")).value() == 1);
  auto snap = t;
  REQUIRE(t.set(K("/big/k0000001"), "changed", T(n)));
  CHECK(get_str(snap, "/big/k0000001") == "v");
  REQUIRE(t.rename(K("/big/k0000002"), K("/big/renamed"), T(n)));
  REQUIRE(t.set_partial(K("/big/k0000003"), 1, "x", T(n)));
  REQUIRE(t.allocate(K("/big/alloc"), 3, std::nullopt, T(n)));
  CHECK(t.remove(K("/big/k0000004"), T(n)).value());
  CHECK(t.exists(K("/big/k0000004")) == std::nullopt);
  CHECK(t.digest(K("/big")).value() != snap.digest(K("/big")).value());
  CHECK_FALSE(equal(t, snap));
  CHECK(t.count_nodes() == n + 1 + 1 - 1);
  CHECK(t.verify() == "");
  CHECK(t.rename(K("/big"), K("/big2"), T(n)).value());
  CHECK(t.remove(K("/big2"), T(n)).value()); // frees a million entries without recursion
  CHECK(t.used() == 0);
}

TEST_CASE("a path 10,000 segments deep supports every operation") {
  kvmem::key deep;
  for (int i = 0; i < 10'000; ++i)
    deep = std::move(deep) / (i % 2 ? "b" : "a");
  kvmem::tree t;
  REQUIRE(t.set(deep / "leaf", "bottom", T(1)));
  CHECK(t.get(deep / "leaf").value() == "bottom");
  CHECK(t.exists(deep) == kind::dictionary);
  CHECK(t.list(deep).value().size() == 1);
  CHECK(t.last_modified(deep).value() == T(1));
  REQUIRE(t.set_partial(deep / "leaf", 6, "!", T(2)));
  CHECK(t.size(deep / "leaf").value() == 7);
  REQUIRE(t.allocate(deep / "zero", 2, std::nullopt, T(3)));
  auto snap = t;
  auto d1 = t.digest(kvmem::key{}).value();
  REQUIRE(t.rename(deep / "leaf", deep / "leaf2", T(4)));
  CHECK(t.digest(kvmem::key{}).value() != d1);
  CHECK(snap.digest(kvmem::key{}).value() == d1);
  CHECK(t.pretty().size() > 20'000);
  CHECK(t.verify() == "");
  CHECK(t.count_nodes() == 10'002);
  CHECK_FALSE(equal(t, snap));
  REQUIRE(t.rename(K("/a"), K("/moved"), T(5)));
  CHECK(t.get(deep / "leaf").error().code == kvmem::errc::not_found);
  REQUIRE(t.remove(K("/moved"), T(6)));
  CHECK(t.count_nodes() == 0);
  // snap (and its 10,000 levels) is destroyed at scope exit, iteratively.
}

namespace {
struct tree_holder {
  kvmem::tree t;
};
} // namespace

// A tree released by a thread_local destructor, after the thread's other
// thread_local objects are gone (the release once kept its work list in one
// of them: use after free, seen by ASan and as a double free in the bench).
TEST_CASE("a tree can be released from a thread_local destructor") {
  std::thread th([] {
    thread_local tree_holder h;  // constructed first, so destroyed last
    auto t = h.t;
    for (int i = 0; i < 1000; ++i)
      REQUIRE(t.set(kvmem::key::v(fmt::format("/d{}/k{}", i % 10, i)), "v", T(1)));
    h.t = t;
    t = kvmem::tree{};           // releases happen on this thread before its exit
    REQUIRE(h.t.set(kvmem::key::v("/d0/k0"), "w", T(2)));
  });
  th.join();
  SUCCEED("the thread's exit released the tree (ASan checks the memory)");
}
