// The tests' one polling helper (eventually.hpp) can fail: it returns false
// once its deadline has passed, after trying once more.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "eventually.hpp"

TEST_CASE("eventually: true as soon as the predicate holds, false after the deadline") {
  int calls = 0;
  CHECK(test::eventually([&] { return ++calls == 3; }));
  CHECK(calls == 3); // not tried again once it held
  calls = 0;
  CHECK_FALSE(test::eventually(
      [&] {
        ++calls;
        return false;
      },
      std::chrono::milliseconds(20)));
  CHECK(calls >= 2); // the last try came after the deadline
  std::atomic<bool> flag{false};
  std::thread setter([&] { flag = true; });
  CHECK(test::eventually([&] { return flag.load(); }));
  setter.join();
}
