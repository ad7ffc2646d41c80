// Reads: get, exists, list, size, get_partial, last_modified, every error path.
#include <catch2/catch.hpp>

#include "tree_helpers.hpp"

using namespace test;
using kvmem::error;
using kvmem::kind;

TEST_CASE("get returns values and errors for dictionaries, absent keys and paths through values") {
  auto t = sample();
  CHECK(get_str(t, "/a/x") == "1");
  CHECK(get_str(t, "/a/sub/z") == "333");
  CHECK(t.get(K("/a")).error() == error::value_expected(K("/a")));
  CHECK(t.get(K("/")).error() == error::value_expected(K("/")));
  CHECK(t.get(K("/nope")).error() == error::not_found(K("/nope")));
  CHECK(t.get(K("/a/nope/deeper")).error() == error::not_found(K("/a/nope/deeper")));
  CHECK(t.get(K("/v/x")).error() == error::dictionary_expected(K("/v/x")));
  CHECK(t.get(K("/a/x/y/z")).error() == error::dictionary_expected(K("/a/x/y/z")));
}

TEST_CASE("get shares the stored buffer instead of copying it") {
  auto t = sample();
  auto a = t.get(K("/v")).value();
  auto b = t.get(K("/v")).value();
  CHECK(a.shares_buffer_with(b));
}

TEST_CASE("exists tells values, dictionaries and absence apart") {
  auto t = sample();
  CHECK(t.exists(K("/")) == kind::dictionary);
  CHECK(t.exists(K("/a")) == kind::dictionary);
  CHECK(t.exists(K("/a/x")) == kind::value);
  CHECK(t.exists(K("/b")) == std::nullopt);
  CHECK(t.exists(K("/v/x")) == std::nullopt); // through a value: none
  CHECK(kvmem::tree{}.exists(K("/")) == kind::dictionary);
}

TEST_CASE("list gives sorted absolute keys with kinds") {
  auto t = sample();
  auto l = t.list(K("/a")).value();
  REQUIRE(l.size() == 3);
  CHECK(l[0] == std::pair{K("/a/sub"), kind::dictionary});
  CHECK(l[1] == std::pair{K("/a/x"), kind::value});
  CHECK(l[2] == std::pair{K("/a/y"), kind::value});
  auto root = t.list(K("/")).value();
  CHECK(root == kvmem::listing{{K("/a"), kind::dictionary}, {K("/v"), kind::value}});
  CHECK(t.list(K("/v")).error() == error::dictionary_expected(K("/v")));
  CHECK(t.list(K("/v/q")).error() == error::dictionary_expected(K("/v/q")));
  CHECK(t.list(K("/q")).error() == error::not_found(K("/q")));
  CHECK(kvmem::tree{}.list(K("/")).value().empty());
}

TEST_CASE("size and get_partial clip to the value") {
  auto t = sample();
  CHECK(t.size(K("/v")).value() == 5);
  CHECK(t.size(K("/a")).error() == error::value_expected(K("/a")));
  CHECK(t.size(K("/zz")).error() == error::not_found(K("/zz")));
  CHECK(t.size(K("/v/q")).error() == error::dictionary_expected(K("/v/q")));
  CHECK(t.get_partial(K("/v"), 1, 3).value() == "alu");
  CHECK(t.get_partial(K("/v"), 3, 100).value() == "ue");
  CHECK(t.get_partial(K("/v"), 5, 1).value() == "");
  CHECK(t.get_partial(K("/v"), 99, 1).value() == "");
  CHECK(t.get_partial(K("/v"), 0, 0).value() == "");
  CHECK(t.get_partial(K("/v"), 0, UINT64_MAX).value() == "value");
  CHECK(t.get_partial(K("/a"), 0, 1).error() == error::value_expected(K("/a")));
  CHECK(t.get_partial(K("/v/q"), 0, 1).error() == error::dictionary_expected(K("/v/q")));
  CHECK(t.get_partial(K("/n"), 0, 1).error() == error::not_found(K("/n")));
}

TEST_CASE("last_modified of values, dictionaries and the root") {
  auto t = sample();
  CHECK(t.last_modified(K("/a/x")).value() == T(1));
  CHECK(t.last_modified(K("/a")).value() == T(1));
  CHECK(t.last_modified(K("/")).value() == T(1)); // /a and /v were created in it
  CHECK(kvmem::tree{T(7)}.last_modified(K("/")).value() == T(7));
  CHECK(t.last_modified(K("/q")).error() == error::not_found(K("/q")));
  CHECK(t.last_modified(K("/v/q")).error() == error::dictionary_expected(K("/v/q")));
}

TEST_CASE("a dictionary is re-dated by changes to its direct entries only") {
  auto t = sample();
  t.set(K("/a/sub/z"), "new", T(5)).value(); // deeper: /a keeps its time
  CHECK(t.last_modified(K("/a")).value() == T(1));
  CHECK(t.last_modified(K("/a/sub")).value() == T(5));
  CHECK(t.last_modified(K("/a/sub/z")).value() == T(5));
  t.set(K("/a/x"), "over", T(6)).value(); // a direct entry set
  CHECK(t.last_modified(K("/a")).value() == T(6));
  CHECK(t.last_modified(K("/")).value() == T(1));
  t.set(K("/a/n1/n2/n3"), "deep", T(7)).value(); // an intermediate created in /a
  CHECK(t.last_modified(K("/a")).value() == T(7));
  CHECK(t.last_modified(K("/a/n1")).value() == T(7));
  CHECK(t.last_modified(K("/a/n1/n2")).value() == T(7));
  CHECK(t.last_modified(K("/")).value() == T(1));
  t.remove(K("/a/y"), T(8)).value(); // a direct entry removed
  CHECK(t.last_modified(K("/a")).value() == T(8));
}
