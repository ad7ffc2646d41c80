// rename: mirage-kv 6 semantics, every case and error path.
#include <catch2/catch.hpp>

#include "tree_helpers.hpp"

using namespace test;
using kvmem::error;
using kvmem::kind;

TEST_CASE("a value moves to an absent key, creating intermediates and keeping its time") {
  auto t = sample();
  REQUIRE(t.rename(K("/a/x"), K("/n/m/x2"), T(5)).value());
  CHECK(t.exists(K("/a/x")) == std::nullopt);
  CHECK(get_str(t, "/n/m/x2") == "1");
  CHECK(t.last_modified(K("/n/m/x2")).value() == T(1)); // moved nodes keep times
  CHECK(t.last_modified(K("/a")).value() == T(5));      // renamed out
  CHECK(t.last_modified(K("/n/m")).value() == T(5));    // renamed in
  CHECK(t.last_modified(K("/")).value() == T(5));       // /n created in it
  CHECK(t.verify() == "");
}

TEST_CASE("a value replaces a value") {
  auto t = sample();
  REQUIRE(t.rename(K("/a/x"), K("/v"), T(5)).value());
  CHECK(get_str(t, "/v") == "1");
  CHECK(t.exists(K("/a/x")) == std::nullopt);
  CHECK(t.used() == 1 + 1 + 2 + 3 + 1 + 3 + 1 + 1); // a y 22 sub z 333 v 1
}

TEST_CASE("a value moves into a dictionary target under its basename") {
  auto t = sample();
  REQUIRE(t.rename(K("/v"), K("/a/sub"), T(5)).value());
  CHECK(get_str(t, "/a/sub/v") == "value");
  CHECK(t.exists(K("/v")) == std::nullopt);
  REQUIRE(t.rename(K("/a/x"), K("/"), T(6)).value()); // into the root
  CHECK(get_str(t, "/x") == "1");
}

TEST_CASE("a value moving into a dictionary never replaces a dictionary there") {
  auto t = sample();
  REQUIRE(t.set(K("/b/sub/q"), "q", T(2)));
  REQUIRE(t.set(K("/c/sub"), "val", T(2)));
  auto before = t.pretty();
  // target /a/sub holds a dictionary
  CHECK(t.rename(K("/c/sub"), K("/a"), T(5)).error() == error::value_expected(K("/a/sub")));
  CHECK(t.pretty() == before);
  // a value into a dictionary where a value of that name exists: replaced
  REQUIRE(t.rename(K("/c/sub"), K("/b/sub/q"), T(6)).value());
  CHECK(get_str(t, "/b/sub/q") == "val");
}

TEST_CASE("a dictionary moves to an absent key or into a dictionary") {
  auto t = sample();
  REQUIRE(t.rename(K("/a/sub"), K("/moved"), T(5)).value());
  CHECK(get_str(t, "/moved/z") == "333");
  CHECK(t.last_modified(K("/moved")).value() == T(1)); // its own time, kept
  REQUIRE(t.set(K("/dir/keep"), "k", T(6)));
  REQUIRE(t.rename(K("/moved"), K("/dir"), T(7)).value());
  CHECK(get_str(t, "/dir/moved/z") == "333");
  CHECK(get_str(t, "/dir/keep") == "k");
  CHECK(t.verify() == "");
}

TEST_CASE("a dictionary never lands on an existing target") {
  auto t = sample();
  REQUIRE(t.set(K("/d/sub"), "v", T(2)));
  REQUIRE(t.set(K("/e/sub/w"), "w", T(2)));
  auto before = t.pretty();
  CHECK(t.rename(K("/a/sub"), K("/v"), T(5)).error() == error::value_expected(K("/a/sub")));
  CHECK(t.rename(K("/a/sub"), K("/d"), T(5)).error() == error::already_present(K("/d/sub")));
  CHECK(t.rename(K("/a/sub"), K("/e"), T(5)).error() == error::already_present(K("/e/sub")));
  CHECK(t.rename(K("/a/sub"), K("/a"), T(5)).error() == error::already_present(K("/a/sub")));
  CHECK(t.pretty() == before);
}

TEST_CASE("a source that is a segment-wise prefix of the destination is refused") {
  auto t = sample();
  CHECK(t.rename(K("/a"), K("/a/sub/in"), T(5)).error() ==
        error::rename_source_prefix(K("/a"), K("/a/sub/in")));
  CHECK(t.rename(K("/a"), K("/a"), T(5)).error() == error::rename_source_prefix(K("/a"), K("/a")));
  CHECK(t.rename(K("/"), K("/x"), T(5)).error() == error::rename_source_prefix(K("/"), K("/x")));
  CHECK(t.rename(K("/v"), K("/v/x"), T(5)).error() ==
        error::rename_source_prefix(K("/v"), K("/v/x")));
  REQUIRE(t.set(K("/ab"), "not under /a", T(2)));
  REQUIRE(t.rename(K("/a"), K("/ab2"), T(5)).value()); // /a is no prefix of /ab2
}

TEST_CASE("a value renamed onto itself changes nothing") {
  auto t = sample();
  auto before = t;
  CHECK(t.rename(K("/v"), K("/v"), T(5)).value() == false);
  CHECK(t.rename(K("/a/x"), K("/a"), T(5)).value() == false); // into its own dictionary
  CHECK(t.shares_root_with(before));
}

TEST_CASE("rename errors for missing sources and paths through values") {
  auto t = sample();
  CHECK(t.rename(K("/nope"), K("/x"), T(5)).error() == error::not_found(K("/nope")));
  CHECK(t.rename(K("/v/q"), K("/x"), T(5)).error() == error::dictionary_expected(K("/v/q")));
  CHECK(t.rename(K("/a/x"), K("/v/q"), T(5)).error() == error::dictionary_expected(K("/v/q")));
  CHECK(t.rename(K("/a/x"), K("/v/q/r"), T(5)).error() == error::dictionary_expected(K("/v/q/r")));
}

TEST_CASE("renaming within one dictionary and back restores the contents") {
  auto t = sample();
  auto orig = t;
  REQUIRE(t.rename(K("/a/x"), K("/a/x2"), T(5)).value());
  REQUIRE(t.rename(K("/a/x2"), K("/a/x"), T(6)).value());
  CHECK(equal(t, orig));
  CHECK(t.digest(K("/")).value() == orig.digest(K("/")).value());
  CHECK(t.last_modified(K("/a")).value() == T(6));
}

TEST_CASE("the target may be an ancestor's namesake without destroying anything") {
  kvmem::tree t;
  REQUIRE(t.set(K("/d/b/q/b"), "leaf", T(1)));
  CHECK(t.rename(K("/d/b/q/b"), K("/d"), T(2)).error() == error::value_expected(K("/d/b")));
  REQUIRE(t.set(K("/e/b/q/b/x"), "leaf", T(1)));
  CHECK(t.rename(K("/e/b/q/b"), K("/e"), T(2)).error() == error::already_present(K("/e/b")));
  CHECK(get_str(t, "/d/b/q/b") == "leaf");
}
