// Whole-tree walks: digest (values, Merkle dictionaries, memoisation), equal,
// pretty, verify, count_nodes.
#include <catch2/catch.hpp>

#include <thread>

#include "tree/tree_impl.hpp"
#include "tree_helpers.hpp"

using namespace test;
using kvmem::digest;
using kvmem::error;

TEST_CASE("a value's digest is the SHA-256 of its bytes") {
  kvmem::tree t;
  REQUIRE(t.set(K("/abc"), "abc", T(1)));
  CHECK(t.digest(K("/abc")).value().hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(t.set(K("/empty"), "", T(1)));
  CHECK(t.digest(K("/empty")).value().hex() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("digest errors") {
  auto t = sample();
  CHECK(t.digest(K("/nope")).error() == error::not_found(K("/nope")));
  CHECK(t.digest(K("/v/x")).error() == error::dictionary_expected(K("/v/x")));
}

TEST_CASE("dictionary digests depend on contents only, not on times or history") {
  auto a = sample();
  kvmem::tree b{T(50)};
  // Same contents, written in another order at other times.
  REQUIRE(b.set(K("/v"), "value", T(60)));
  REQUIRE(b.set(K("/a/sub/z"), "333", T(61)));
  REQUIRE(b.set(K("/a/y"), "22", T(62)));
  REQUIRE(b.set(K("/a/tmp"), "x", T(62)));
  REQUIRE(b.set(K("/a/x"), "1", T(63)));
  REQUIRE(b.remove(K("/a/tmp"), T(64)));
  CHECK(a.digest(K("/")).value() == b.digest(K("/")).value());
  CHECK(a.digest(K("/a")).value() == b.digest(K("/a")).value());
  CHECK(equal(a, b));
  REQUIRE(b.set(K("/a/sub/z"), "334", T(65)));
  CHECK(a.digest(K("/")).value() != b.digest(K("/")).value());
  CHECK(a.digest(K("/a/y")).value() == b.digest(K("/a/y")).value());
  CHECK_FALSE(equal(a, b));
}

TEST_CASE("a value and a dictionary never share a digest by construction") {
  kvmem::tree a, b;
  REQUIRE(a.set(K("/x/y"), "", T(1)));
  REQUIRE(b.set(K("/x"), "", T(1)));
  CHECK(a.digest(K("/")).value() != b.digest(K("/")).value());
  kvmem::tree c, d;
  REQUIRE(c.set(K("/ab"), "", T(1)));
  REQUIRE(d.set(K("/a/b"), "", T(1)));
  CHECK(c.digest(K("/")).value() != d.digest(K("/")).value());
}

TEST_CASE("digests are memoised in the immutable nodes") {
  auto t = sample();
  auto d1 = t.digest(K("/")).value();
  auto* root = kvmem::detail::tree_access::root(t);
  REQUIRE(root->memo.load() != nullptr);
  auto* memo = root->memo.load();
  CHECK(t.digest(K("/")).value() == d1);
  CHECK(root->memo.load() == memo); // not recomputed
  auto snap = t;
  REQUIRE(t.set(K("/v"), "other", T(9)));
  CHECK(t.digest(K("/")).value() != d1);
  CHECK(snap.digest(K("/")).value() == d1);
  CHECK(kvmem::detail::tree_access::root(snap)->memo.load() == memo); // the snapshot kept its digest
}

TEST_CASE("digests computed from several threads at once agree") {
  kvmem::tree t;
  for (int i = 0; i < 2000; ++i)
    REQUIRE(t.set(K(fmt::format("/d{}/k{}", i % 37, i)), fmt::format("v{}", i), T(i)));
  auto expected = kvmem::tree{t}.digest(K("/d3")).value(); // computes /d3 only
  std::vector<digest> seen(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { seen[i] = kvmem::tree{t}.digest(K("/")).value(); });
  for (auto& th : threads)
    th.join();
  for (auto& d : seen)
    CHECK(d == seen[0]);
  CHECK(t.digest(K("/d3")).value() == expected);
}

TEST_CASE("equal ignores times and compares contents") {
  auto a = sample();
  auto b = sample();
  REQUIRE(b.set(K("/a/x"), "1", T(99))); // same bytes, other time
  CHECK(equal(a, b));
  REQUIRE(b.set(K("/a/empty/e"), "1", T(99)));
  REQUIRE(b.remove(K("/a/empty/e"), T(99)));
  CHECK_FALSE(equal(a, b)); // an extra empty dictionary
  CHECK(equal(kvmem::tree{}, kvmem::tree{T(5)}));
}

TEST_CASE("pretty lists every value with path, size and time") {
  auto t = sample();
  REQUIRE(t.set(K("/a/sub/z"), "", T(0)));
  REQUIRE(t.remove(K("/a/sub/z"), T(0)));
  CHECK(t.pretty() ==
        "/a/sub/ (empty) 1970-04-11T00:00:00Z\n"
        "/a/x 1 1970-04-11T00:00:00.000000000001Z\n"
        "/a/y 2 1970-04-11T00:00:00.000000000001Z\n"
        "/v 5 1970-04-11T00:00:00.000000000001Z\n");
  CHECK(fmt::format("{}", t) == t.pretty());
  CHECK(t.count_nodes() == 5);
}
