#include <catch2/catch.hpp>

#include "kvmem/bytes.hpp"

using kvmem::bytes;

TEST_CASE("bytes copy the input once and share it afterwards") {
  std::string s(1000, 'x');
  bytes a{s};
  CHECK(a.size() == 1000);
  CHECK(a.view() == s);
  CHECK(a.data() != s.data());
  bytes b = a;
  CHECK(b.shares_buffer_with(a));
  CHECK(b.data() == a.data());
  bytes c = std::move(b);
  CHECK(c.shares_buffer_with(a));
  CHECK(b.empty());
}

TEST_CASE("bytes hold any bytes, NUL included") {
  using namespace std::string_literals;
  auto s = "a\0b\xff"s;
  bytes b{s};
  CHECK(b.size() == 4);
  CHECK(b.str() == s);
  CHECK(b == std::string_view{s});
}

TEST_CASE("the empty value needs no buffer") {
  bytes e;
  CHECK(e.empty());
  CHECK(e.view() == "");
  CHECK(bytes{""}.empty());
  CHECK(e == bytes{""});
}

TEST_CASE("zeros makes a zero-filled value") {
  auto z = bytes::zeros(5);
  CHECK(z.str() == std::string(5, '\0'));
  CHECK(bytes::zeros(0).empty());
}

TEST_CASE("bytes compare by content") {
  CHECK(bytes{"abc"} == bytes{"abc"});
  CHECK(bytes{"abc"} != bytes{"abd"});
  CHECK(bytes{"ab"} < bytes{"abc"});
  CHECK(fmt::format("{}", bytes{"hi"}) == "hi");
}
