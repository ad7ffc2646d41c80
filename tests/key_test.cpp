#include <catch2/catch.hpp>

#include <set>
#include <unordered_set>

#include <fmt/format.h>

#include "kvmem/key.hpp"

using kvmem::key;

TEST_CASE("v parses paths, dropping empty segments") {
  auto ab = key::of({"foo", "bar"});
  CHECK(key::v("/foo/bar") == ab);
  CHECK(key::v("foo/bar") == ab);
  CHECK(key::v("//foo//bar/") == ab);
  CHECK(key::v("/foo/bar").segments() == std::vector<std::string>{"foo", "bar"});
  CHECK(key::v("") == key{});
  CHECK(key::v("/") == key{});
  CHECK(key::v("///").is_root());
}

TEST_CASE("adding a segment rejects empty segments and slashes only") {
  key k = key::v("/a");
  CHECK_THROWS_AS(k / "", std::invalid_argument);
  CHECK_THROWS_AS(k / "b/c", std::invalid_argument);
  CHECK_THROWS_AS(k / "/", std::invalid_argument);
  CHECK_THROWS_AS(key::of({"a", ""}), std::invalid_argument);
  using namespace std::string_literals;
  auto nul = "a\0b"s;
  CHECK((k / nul).basename() == nul);
  CHECK((k / "h\xc3\xa9llo w").basename() == "h\xc3\xa9llo w");
  CHECK((k / " ").segments().size() == 2);
  CHECK((key{} / "x") == key::v("/x"));
}

TEST_CASE("append, basename and parent obey the key laws") {
  auto x = key::v("/a/b");
  auto y = key::v("/c/d");
  CHECK(append(x, y) == key::v("/a/b/c/d"));
  CHECK(append(key{}, y) == y);
  CHECK(append(x, key{}) == x);
  CHECK(x.basename() == "b");
  CHECK(key{}.basename() == "");
  CHECK(x.parent() == key::v("/a"));
  CHECK(key{}.parent() == key{});
  for (auto& k : {key{}, key::v("/a"), key::v("/a/b/c")})
    for (std::string_view b : {"x", "yy", "a"}) {
      CHECK((k / b).parent() == k);
      CHECK((k / b).basename() == b);
    }
}

TEST_CASE("to_string joins segments after a leading slash") {
  CHECK(key{}.to_string() == "/");
  CHECK(key::v("a").to_string() == "/a");
  CHECK(key::v("//a//b/").to_string() == "/a/b");
  CHECK(fmt::format("{}", key::v("x/y")) == "/x/y");
  CHECK(fmt::format("[{:>5}]", key::v("x")) == "[   /x]");
}

TEST_CASE("keys order segment-wise and lexicographically") {
  CHECK(key::v("/a") < key::v("/a/b"));
  CHECK(key::v("/a/b") < key::v("/b"));
  CHECK(key{} < key::v("/a"));
  CHECK(key::v("/a/z") < key::v("/ab"));
  std::set<key> s{key::v("/b"), key::v("/a/b"), key::v("/a")};
  CHECK(std::vector<key>(s.begin(), s.end()) ==
        std::vector<key>{key::v("/a"), key::v("/a/b"), key::v("/b")});
}

TEST_CASE("keys are hashable consistently with equality") {
  std::unordered_set<key> s{key::v("/a/b"), key::v("a//b"), key::v("/ab"), key{}};
  CHECK(s.size() == 3);
  CHECK(std::hash<key>{}(key::of({"ab"})) != std::hash<key>{}(key::of({"a", "b"})));
}

TEST_CASE("is_prefix_of is segment-wise") {
  CHECK(key::v("/a").is_prefix_of(key::v("/a/b")));
  CHECK(key::v("/a").is_prefix_of(key::v("/a")));
  CHECK_FALSE(key::v("/a").is_prefix_of(key::v("/ab")));
  CHECK(key{}.is_prefix_of(key::v("/x")));
  CHECK_FALSE(key::v("/a/b").is_prefix_of(key::v("/a")));
}
