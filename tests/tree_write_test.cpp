// Writes: set, set_partial, remove, allocate, capacity; failures change nothing.
#include <catch2/catch.hpp>

#include "tree_helpers.hpp"
#include "tree/tree_impl.hpp"

using namespace test;
using kvmem::error;
using kvmem::kind;

TEST_CASE("set creates intermediate dictionaries and overwrites values") {
  kvmem::tree t{T(0)};
  REQUIRE(t.set(K("/a/b/c"), "x", T(1)));
  CHECK(t.exists(K("/a/b")) == kind::dictionary);
  CHECK(get_str(t, "/a/b/c") == "x");
  REQUIRE(t.set(K("/a/b/c"), "y", T(2)));
  CHECK(get_str(t, "/a/b/c") == "y");
  CHECK(t.last_modified(K("/a/b/c")).value() == T(2));
  REQUIRE(t.set(K("/e"), "", T(3)));
  CHECK(get_str(t, "/e") == "");
  CHECK(t.verify() == "");
}

TEST_CASE("set refuses to go through a value or to replace a dictionary") {
  auto t = sample();
  auto before = t;
  CHECK(t.set(K("/v/x"), "1", T(9)).error() == error::dictionary_expected(K("/v/x")));
  CHECK(t.set(K("/v/x/y"), "1", T(9)).error() == error::dictionary_expected(K("/v/x/y")));
  CHECK(t.set(K("/a"), "1", T(9)).error() == error::value_expected(K("/a")));
  CHECK(t.set(K("/"), "1", T(9)).error() == error::value_expected(K("/")));
  CHECK(t.shares_root_with(before)); // nothing changed, not even a copy
  CHECK(t.pretty() == before.pretty());
}

TEST_CASE("set_partial creates, overwrites, extends and appends") {
  kvmem::tree t;
  REQUIRE(t.set_partial(K("/f"), 10, "abc", T(1))); // missing: created holding data
  CHECK(get_str(t, "/f") == "abc");
  REQUIRE(t.set_partial(K("/f"), 1, "X", T(2))); // overwrite in place
  CHECK(get_str(t, "/f") == "aXc");
  REQUIRE(t.set_partial(K("/f"), 2, "YZW", T(3))); // overwrite and extend
  CHECK(get_str(t, "/f") == "aXYZW");
  REQUIRE(t.set_partial(K("/f"), 5, "!", T(4))); // at the end: append
  CHECK(get_str(t, "/f") == "aXYZW!");
  REQUIRE(t.set_partial(K("/f"), 100, "?", T(5))); // past the end: append
  CHECK(get_str(t, "/f") == "aXYZW!?");
  CHECK(t.last_modified(K("/f")).value() == T(5));
  REQUIRE(t.set(K("/d/x"), "1", T(6)));
  CHECK(t.set_partial(K("/d"), 0, "z", T(7)).error() == error::value_expected(K("/d")));
  CHECK(t.set_partial(K("/f/q"), 0, "z", T(7)).error() == error::dictionary_expected(K("/f/q")));
  CHECK(t.set_partial(K("/"), 0, "z", T(7)).error() == error::value_expected(K("/")));
}

TEST_CASE("remove removes values and whole dictionaries, and absent keys are no-ops") {
  auto t = sample();
  CHECK(t.remove(K("/a/sub"), T(5)).value() == true);
  CHECK(t.exists(K("/a/sub/z")) == std::nullopt);
  CHECK(t.last_modified(K("/a")).value() == T(5));
  auto before = t;
  CHECK(t.remove(K("/nope"), T(6)).value() == false);
  CHECK(t.remove(K("/v/under"), T(6)).value() == false);
  CHECK(t.shares_root_with(before));
  CHECK(t.last_modified(K("/")).value() == T(1)); // times included
}

TEST_CASE("removing the last entry leaves the dictionary, empty") {
  auto t = sample();
  REQUIRE(t.remove(K("/a/sub/z"), T(5)).value());
  CHECK(t.exists(K("/a/sub")) == kind::dictionary);
  CHECK(t.list(K("/a/sub")).value().empty());
  CHECK(t.last_modified(K("/a/sub")).value() == T(5));
}

TEST_CASE("removing the root empties the tree") {
  auto t = sample();
  CHECK(t.remove(K("/"), T(5)).value() == true);
  CHECK(t.list(K("/")).value().empty());
  CHECK(t.used() == 0);
  CHECK(t.last_modified(K("/")).value() == T(5));
  CHECK(t.remove(K("/"), T(6)).value() == false); // already empty
  CHECK(t.last_modified(K("/")).value() == T(5));
}

TEST_CASE("allocate creates zero-filled values, never over existing keys") {
  auto t = sample();
  REQUIRE(t.allocate(K("/z/zero"), 4, std::nullopt, T(3)));
  CHECK(get_str(t, "/z/zero") == std::string(4, '\0'));
  CHECK(t.last_modified(K("/z/zero")).value() == T(3));
  REQUIRE(t.allocate(K("/z/old"), 0, T(-5), T(4)));
  CHECK(t.last_modified(K("/z/old")).value() == T(-5));
  CHECK(t.last_modified(K("/z")).value() == T(4));
  CHECK(t.allocate(K("/v"), 1, std::nullopt, T(5)).error() == error::already_present(K("/v")));
  CHECK(t.allocate(K("/a"), 1, std::nullopt, T(5)).error() == error::already_present(K("/a")));
  CHECK(t.allocate(K("/"), 1, std::nullopt, T(5)).error() == error::already_present(K("/")));
  CHECK(t.allocate(K("/v/x"), 1, std::nullopt, T(5)).error() ==
        error::dictionary_expected(K("/v/x")));
  CHECK(t.allocate(K("/huge"), UINT64_MAX, std::nullopt, T(5)).error() == error::no_space());
  CHECK(t.exists(K("/huge")) == std::nullopt);
}

TEST_CASE("capacity counts value bytes and segment names") {
  kvmem::tree t{T(0), 10};
  REQUIRE(t.set(K("/ab/c"), "1234", T(1))); // 2 + 1 + 4
  CHECK(t.used() == 7);
  CHECK(t.set(K("/ab/d"), "123", T(2)).error() == error::no_space()); // 7 + 1 + 3 = 11
  CHECK(t.used() == 7);
  REQUIRE(t.set(K("/ab/d"), "12", T(2))); // exactly 10
  CHECK(t.used() == 10);
  CHECK(t.set(K("/ab/c"), "12345", T(3)).error() == error::no_space());
  REQUIRE(t.set(K("/ab/c"), "123", T(3))); // shrinking frees space
  CHECK(t.used() == 9);
  CHECK(t.set_partial(K("/ab/c"), 3, "45", T(4)).error() == error::no_space());
  REQUIRE(t.set_partial(K("/ab/c"), 3, "4", T(4)));
  CHECK(t.allocate(K("/x"), 1, std::nullopt, T(5)).error() == error::no_space());
  CHECK(t.rename(K("/ab/c"), K("/ab/longer"), T(6)).error() == error::no_space());
  REQUIRE(t.remove(K("/ab"), T(7)));
  CHECK(t.used() == 0);
  CHECK(t.verify() == "");
}

TEST_CASE("writes leave snapshots untouched") {
  auto t = sample();
  auto snap = t;
  auto text = snap.pretty();
  REQUIRE(t.set(K("/a/x"), "changed", T(9)));
  REQUIRE(t.remove(K("/a/sub"), T(9)));
  REQUIRE(t.rename(K("/v"), K("/w/v2"), T(9)));
  REQUIRE(t.set_partial(K("/a/y"), 0, "Q", T(9)));
  REQUIRE(t.allocate(K("/n"), 2, std::nullopt, T(9)));
  CHECK(snap.pretty() == text);
  CHECK(get_str(snap, "/a/x") == "1");
  CHECK(snap.verify() == "");
  CHECK(t.verify() == "");
  auto f = kvmem::set(snap, K("/f"), "functional", T(10));
  REQUIRE(f);
  CHECK(snap.exists(K("/f")) == std::nullopt);
  CHECK(get_str(*f, "/f") == "functional");
}

TEST_CASE("a run of writes on an unshared tree edits in place") {
  kvmem::tree t;
  REQUIRE(t.set(K("/d/k"), "1", T(1)));
  auto* root = kvmem::detail::tree_access::root(t);
  REQUIRE(t.set(K("/d/k"), "2", T(2)));
  REQUIRE(t.set(K("/d/j"), "3", T(3)));
  CHECK(kvmem::detail::tree_access::root(t) == root); // no copy while nobody else holds it
  auto snap = t;
  REQUIRE(t.set(K("/d/k"), "4", T(4)));
  CHECK(kvmem::detail::tree_access::root(t) != root); // shared with the snapshot: copied
  CHECK(kvmem::detail::tree_access::root(snap) == root);
  CHECK(get_str(snap, "/d/k") == "2");
}
