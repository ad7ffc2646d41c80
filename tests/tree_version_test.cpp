// Versions in the tree: what each write stamps, what stat reports, and the
// contract — a key's version changes exactly when something was written at
// it or above it replacing it — through renames above all.
#include <catch2/catch.hpp>

#include "tree/tree_impl.hpp"
#include "tree_helpers.hpp"

using namespace test;
using kvmem::entry_stat;
using kvmem::error;
using kvmem::expect;
using kvmem::kind;
using kvmem::stamp;
using kvmem::tree;

namespace {
// The write of version v happens at time T(v).
stamp at(kvmem::version_t v) { return {T(static_cast<std::int64_t>(v)), v}; }
entry_stat stat_of(const tree& t, std::string_view k) { return t.stat(K(k)).value(); }
} // namespace

TEST_CASE("a set stamps the new entry, its new parents, and the subtree of every dictionary above") {
  tree t{T(0)};
  REQUIRE(t.set(K("/a/b/c"), "v", at(1)));
  auto c = stat_of(t, "/a/b/c");
  CHECK(c == entry_stat{kind::value, 1, T(1), 1, 1, 1, 0});
  CHECK(stat_of(t, "/a/b") == entry_stat{kind::dictionary, 0, T(1), 1, 1, 1, 1});
  CHECK(stat_of(t, "/") == entry_stat{kind::dictionary, 0, T(1), 0, 1, 1, 1});
  REQUIRE(t.set(K("/a/x"), "w", at(2)));
  CHECK(stat_of(t, "/a").modified == 2);        // a direct entry of /a was added
  CHECK(stat_of(t, "/a/b").modified == 1);      // /a/b's own entries did not change
  CHECK(stat_of(t, "/a/b").subtree == 1);
  CHECK(stat_of(t, "/a").subtree == 2);
  CHECK(stat_of(t, "/").modified == 1);         // changes deeper down do not re-date the root
  CHECK(stat_of(t, "/").subtree == 2);
  CHECK(t.verify() == "");
}

TEST_CASE("overwriting a value keeps created and moves modified, even with the same bytes") {
  tree t{T(0)};
  REQUIRE(t.set(K("/k"), "v", at(1)));
  REQUIRE(t.set(K("/k"), "v", at(2)));
  CHECK(stat_of(t, "/k").created == 1);
  CHECK(stat_of(t, "/k").modified == 2);
  REQUIRE(t.set_partial(K("/k"), 1, "w", at(3)));
  CHECK(stat_of(t, "/k").created == 1);
  CHECK(stat_of(t, "/k").modified == 3);
  CHECK(stat_of(t, "/k").size == 2);
  REQUIRE(t.allocate(K("/z"), 4, T(50), at(4)));
  CHECK(stat_of(t, "/z") == entry_stat{kind::value, 4, T(50), 4, 4, 4, 0});
}

TEST_CASE("removing and re-creating a key gives it new versions; removing the root empties it") {
  tree t{T(0)};
  REQUIRE(t.set(K("/a/b"), "1", at(1)));
  REQUIRE(t.remove(K("/a"), at(2)).value());
  CHECK(stat_of(t, "/").modified == 2);
  REQUIRE(t.set(K("/a/b"), "1", at(3)));
  CHECK(stat_of(t, "/a/b").created == 3);
  CHECK(stat_of(t, "/a").created == 3);
  CHECK_FALSE(t.remove(K("/nope"), at(4)).value());
  CHECK(stat_of(t, "/").modified == 3); // a no-op stamps nothing
  REQUIRE(t.remove(K("/"), at(5)).value());
  CHECK(stat_of(t, "/") == entry_stat{kind::dictionary, 0, T(5), 0, 5, 5, 0});
  CHECK(t.verify() == "");
}

TEST_CASE("after a rename every key of the moved subtree reports the rename's version") {
  tree t{T(0)};
  REQUIRE(t.set(K("/a/x"), "1", at(1)));
  REQUIRE(t.set(K("/a/d/y"), "2", at(2)));
  REQUIRE(t.set(K("/b/x"), "old b/x", at(3)));
  auto before_bx = stat_of(t, "/b/x");
  REQUIRE(t.remove(K("/b"), at(4)));
  REQUIRE(t.rename(K("/a"), K("/b"), at(5)).value());
  // A client who read the old /b/x (created 3) must not see "unchanged".
  auto bx = stat_of(t, "/b/x");
  CHECK(bx.created == 5);
  CHECK(bx.modified == 5);
  CHECK(bx != before_bx);
  CHECK(stat_of(t, "/b/d/y").created == 5);
  CHECK(stat_of(t, "/b/d/y").modified == 5);
  CHECK(stat_of(t, "/b/d").subtree == 5);
  CHECK(stat_of(t, "/b").created == 5);
  CHECK(stat_of(t, "/b").modified == 5);
  CHECK(stat_of(t, "/b").entries == 2);
  CHECK(stat_of(t, "/b/x").last_modified == T(1)); // moved nodes keep their times
  CHECK(stat_of(t, "/").modified == 5);            // source and target dictionary re-dated
  // The moved subtree was not touched: the dictionary node is the same one.
  CHECK(t.check(K("/b/x"), expect::modified(5)));
  CHECK(t.check(K("/b/x"), expect::modified(1)).error() ==
        error::version_mismatch(K("/b/x"), 1, 5));
  CHECK(t.verify() == "");
}

TEST_CASE("a rename moves the node itself, so the moved subtree costs nothing to stamp") {
  tree t{T(0)};
  for (int i = 0; i < 1000; ++i)
    REQUIRE(t.set(K(fmt::format("/a/k{}", i)), "v", at(1)));
  tree snap = t; // the old version shares every node
  REQUIRE(t.rename(K("/a"), K("/b"), at(2)).value());
  // Every key below reads version 2, while the old snapshot still reads 1.
  CHECK(stat_of(t, "/b/k999").modified == 2);
  CHECK(stat_of(snap, "/a/k999").modified == 1);
  // The dictionary under /b is the very node that was under /a.
  auto child = [](const tree& x, const char* name) {
    auto* e = kvmem::detail::find(kvmem::detail::tree_access::root(x)->root, name);
    return e ? e->child : nullptr;
  };
  CHECK(child(t, "b") == child(snap, "a"));
}

TEST_CASE("a renamed value replacing a value is a new entry at the target") {
  tree t{T(0)};
  REQUIRE(t.set(K("/s"), "src", at(1)));
  REQUIRE(t.set(K("/d"), "dst", at(2)));
  REQUIRE(t.rename(K("/s"), K("/d"), at(3)).value());
  CHECK(stat_of(t, "/d").created == 3);
  CHECK(stat_of(t, "/d").modified == 3);
  CHECK(t.get(K("/d")).value() == "src");
}

TEST_CASE("check tests absence or a modified version, and says what it found") {
  tree t{T(0)};
  CHECK(t.check(K("/a"), expect::none()));
  REQUIRE(t.set(K("/a"), "1", at(7)));
  CHECK(t.check(K("/a"), expect::modified(7)));
  CHECK(t.check(K("/a"), expect::none()).error() == error::version_mismatch(K("/a"), {}, 7));
  CHECK(t.check(K("/b"), expect::modified(7)).error() == error::version_mismatch(K("/b"), 7, {}));
  CHECK(t.check(K("/a/under"), expect::none())); // a path through a value: absent
  CHECK(error::version_mismatch(K("/b"), 7, {}).message() ==
        "Version mismatch for the key /b: expected version 7, found absent");
}

TEST_CASE("stat's errors are those of the other reads") {
  auto t = sample();
  CHECK(t.stat(K("/nope")).error() == error::not_found(K("/nope")));
  CHECK(t.stat(K("/v/x")).error() == error::dictionary_expected(K("/v/x")));
}

TEST_CASE("counting a dictionary's entries is O(1): stat of a 100,000-entry dictionary") {
  tree t{T(0)};
  for (int i = 0; i < 100'000; ++i)
    REQUIRE(t.set(K(fmt::format("/big/k{}", i)), "", at(1)));
  CHECK(stat_of(t, "/big").entries == 100'000); // the count kept in the node, not a listing
}
