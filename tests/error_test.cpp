#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "kvmem/result.hpp"

using kvmem::error;
using kvmem::errc;
using kvmem::key;

TEST_CASE("errors render in mirage-kv's words") {
  auto ab = key::v("/a/b");
  CHECK(error::not_found(ab).message() == "Cannot find the key /a/b");
  CHECK(error::dictionary_expected(ab).message() == "Expecting a dictionary for the key /a/b");
  CHECK(error::value_expected(ab).message() == "Expecting a value for the key /a/b");
  CHECK(error::no_space().message() == "No space left on device");
  CHECK(error::too_many_retries(13).message() ==
        "Aborting after 13 attempts to apply the batch operations.");
  CHECK(error::rename_source_prefix(key::v("/a"), ab).message() ==
        "Rename: source /a is prefix of destination /a/b");
  CHECK(error::already_present(key::v("/a")).message() == "Key /a is already present");
  CHECK(fmt::format("{}", error::not_found(key{})) == "Cannot find the key /");
}

TEST_CASE("errors carry their kind, keys and attempts, and compare by all of them") {
  auto e = error::rename_source_prefix(key::v("/a"), key::v("/a/b"));
  CHECK(e.code == errc::rename_source_prefix);
  CHECK(e.path == key::v("/a"));
  CHECK(e.destination == key::v("/a/b"));
  CHECK(error::too_many_retries(3).attempts == 3);
  CHECK(error::not_found(key::v("/a")) == error::not_found(key::v("/a")));
  CHECK(error::not_found(key::v("/a")) != error::not_found(key::v("/b")));
  CHECK(error::not_found(key::v("/a")) != error::value_expected(key::v("/a")));
  CHECK(error::too_many_retries(3) != error::too_many_retries(4));
  CHECK(fmt::format("{}", errc::no_space) == "no_space");
}

TEST_CASE("kvmem's own kinds render their detail") {
  auto e = error::make(errc::batch_aborted, "boom");
  CHECK(e.message() == "Batch aborted: boom");
  CHECK(error::make(errc::internal, "oops").message() == "Internal error: oops");
  for (int c = 1; c <= kvmem::max_errc; ++c) {
    auto m = error::make(static_cast<errc>(c), "d").message();
    CHECK_FALSE(m.empty());
    CHECK(m.find("Unknown error") == std::string::npos);
    CHECK(kvmem::to_string(static_cast<errc>(c)) != "unknown_error");
  }
}

TEST_CASE("errors that name no key hold no key") {
  CHECK_FALSE(error::no_space().path);
  CHECK_FALSE(error::too_many_retries(2).path);
  CHECK_FALSE(error::make(errc::unavailable, "gone").path);
  CHECK_FALSE(error::not_found(key::v("/a")).destination);
  CHECK(error::not_found(key{}).path == key{}); // the root is a key like any other
}

TEST_CASE("result holds a value or an error") {
  kvmem::result<int> ok = 3;
  kvmem::result<int> bad = error::no_space();
  CHECK(ok);
  CHECK(*ok == 3);
  CHECK_FALSE(bad);
  CHECK(bad.error().code == errc::no_space);
  CHECK(bad.value_or(7) == 7);
  CHECK_THROWS_AS(bad.value(), kvmem::bad_result_access);
  kvmem::result<void> v;
  CHECK(v);
  kvmem::result<void> verr = error::no_space();
  CHECK_FALSE(verr);
  CHECK(verr.error() == error::no_space());
  kvmem::result<std::string> s = std::string("x");
  CHECK(s->size() == 1);
}
