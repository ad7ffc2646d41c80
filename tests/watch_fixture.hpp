// Shared by the tests of change feeds in one process: a store that retains
// history, and taking a watcher's next delivery with a deadline.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>

#include "store_fixture.hpp"

namespace test {

struct history_fixture : store_fixture {
  history_fixture() : store_fixture({.history_versions = 1000}) {}
};

/// The watcher's next delivery; fails the test if none comes within 5 s.
inline kvmem::changes take(kvmem::watcher& w) {
  auto r = w.next(std::chrono::seconds(5));
  REQUIRE(r);
  REQUIRE(*r);
  return std::move(**r);
}

} // namespace test
