// Batches through the blocking client: snapshot reads, buffered ordered
// writes, all-or-nothing commits, limits, exceptions, nesting, retries.
#include <catch2/catch.hpp>

#include <limits>

#include <atomic>

#include "eventually.hpp"
#include "store_fixture.hpp"

using namespace test;
using kvmem::batch_view;
using kvmem::error;
using kvmem::errc;
using kvmem::kind;

TEST_CASE_METHOD(store_fixture, "reads in a batch see the state before the whole batch") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/x"), "old"));
  auto r = c.batch([](batch_view& v) {
    REQUIRE(v.set(K("/x"), "new"));
    REQUIRE(v.set(K("/y"), "fresh"));
    // Not its own buffered writes:
    CHECK(v.get(K("/x")).value() == "old");
    CHECK(v.exists(K("/y")) == std::nullopt);
    CHECK(v.writes().size() == 2);
    return v.version();
  });
  CHECK(r.value() == 1);
  CHECK(c.get(K("/x")).value() == "new");
  CHECK(c.get(K("/y")).value() == "fresh");
  CHECK(c.version().value() == 2); // one commit, one version
  CHECK(c.last_version() == 2);
}

TEST_CASE_METHOD(store_fixture, "writes apply in order; the same key twice: the later wins") {
  kvmem::client c{sys, s};
  REQUIRE(c.batch([](batch_view& v) {
    (void)v.set(K("/k"), "first");
    (void)v.set(K("/k"), "second");
    (void)v.rename(K("/k"), K("/moved"));
    (void)v.set_partial(K("/moved"), 6, "!");
    (void)v.allocate(K("/zeros"), 2);
    (void)v.remove(K("/zeros"));
  }));
  CHECK(c.get(K("/moved")).value() == "second!");
  CHECK(c.exists(K("/k")).value() == std::nullopt);
  CHECK(c.exists(K("/zeros")).value() == std::nullopt);
}

TEST_CASE_METHOD(store_fixture, "a failing write applies nothing and ends the batch at once") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/d/x"), "1"));
  int runs = 0;
  auto r = c.batch([&](batch_view& v) {
    ++runs;
    (void)v.set(K("/a"), "1");
    (void)v.set(K("/d"), "oops"); // a dictionary: value_expected at commit
    (void)v.set(K("/b"), "2");
  });
  CHECK(r.error() == error::value_expected(K("/d")));
  CHECK(runs == 1); // not a conflict: not retried
  CHECK(c.exists(K("/a")).value() == std::nullopt);
  CHECK(c.version().value() == 1);
}

TEST_CASE_METHOD(store_fixture, "a batch without writes never conflicts and moves nothing") {
  kvmem::client c{sys, s};
  kvmem::client other{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  int runs = 0;
  auto r = c.batch([&](batch_view& v) {
    ++runs;
    REQUIRE(other.set(K("/a"), "2")); // moves the store under us
    return v.get(K("/a")).value().str();
  }, 1);
  CHECK(r.value() == "1");
  CHECK(runs == 1);
  CHECK(c.version().value() == 2); // only other's write
}

TEST_CASE_METHOD(store_fixture, "a batch of only no-op writes does not move the version") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  REQUIRE(c.batch([](batch_view& v) {
    (void)v.remove(K("/missing"));
    (void)v.rename(K("/a"), K("/a"));
  }));
  CHECK(c.version().value() == 1);
}

TEST_CASE_METHOD(store_fixture, "a conflicting write makes the batch run again on the newest state") {
  kvmem::client c{sys, s};
  kvmem::client intruder{sys, s};
  REQUIRE(c.set(K("/n"), "0"));
  int runs = 0;
  auto r = c.batch([&](batch_view& v) {
    ++runs;
    auto n = std::stoi(v.get(K("/n")).value().str());
    if (runs == 1)
      REQUIRE(intruder.set(K("/n"), "10")); // lands between snapshot and commit
    (void)v.set(K("/n"), std::to_string(n + 1));
    return n;
  });
  CHECK(runs == 2);
  CHECK(r.value() == 10); // the result of the attempt that committed
  CHECK(c.get(K("/n")).value() == "11");
}

TEST_CASE_METHOD(store_fixture, "too_many_retries after exactly `retries` runs of f") {
  kvmem::client c{sys, s};
  kvmem::client intruder{sys, s};
  for (std::uint32_t n : {1u, 3u, 13u}) {
    std::uint32_t runs = 0;
    auto r = c.batch([&](batch_view& v) {
      ++runs;
      (void)v.get(K("/hot")); // what the intruder changes before every commit
      REQUIRE(intruder.set(K("/hot"), std::to_string(runs)));
      (void)v.set(K("/mine"), "never");
    }, n);
    CHECK(r.error() == error::too_many_retries(n));
    CHECK(r.error().message() ==
          fmt::format("Aborting after {} attempts to apply the batch operations.", n));
    CHECK(runs == n);
  }
  CHECK(c.exists(K("/mine")).value() == std::nullopt);
  std::uint32_t runs = 0;
  auto dflt = c.batch([&](batch_view& v) {
    ++runs;
    (void)v.size(K("/hot"));
    REQUIRE(intruder.set(K("/hot"), fmt::format("x{}", runs)));
    (void)v.set(K("/mine"), "never");
  });
  CHECK(dflt.error() == error::too_many_retries(13));
  CHECK(runs == 13);
}

TEST_CASE_METHOD(store_fixture, "retries below one is an error, not a hang") {
  kvmem::client c{sys, s};
  bool ran = false;
  for (int n : {0, -1, std::numeric_limits<int>::min()}) {
    auto r = c.batch([&](batch_view&) { ran = true; }, n); // -1 once meant 4 billion attempts
    CHECK(r.error().code == errc::invalid_argument);
  }
  CHECK_FALSE(ran);
}

TEST_CASE_METHOD(store_fixture, "an exception in f applies nothing, is not retried, and keeps its message") {
  kvmem::client c{sys, s};
  int runs = 0;
  auto r = c.batch([&](batch_view& v) -> int {
    ++runs;
    (void)v.set(K("/a"), "1");
    throw std::runtime_error("disk on fire");
  });
  CHECK(r.error().code == errc::batch_aborted);
  CHECK_THAT(r.error().message(), Catch::Contains("disk on fire"));
  CHECK(runs == 1);
  CHECK(c.exists(K("/a")).value() == std::nullopt);
  CHECK(c.version().value() == 0);
  auto odd = c.batch([](batch_view&) { throw 42; });
  CHECK(odd.error().code == errc::batch_aborted);
  REQUIRE(c.set(K("/still"), "serving"));
}

TEST_CASE_METHOD(store_fixture, "a batch inside a batch is an error, not a deadlock") {
  kvmem::client c{sys, s};
  kvmem::client inner{sys, s};
  auto r = c.batch([&](batch_view& v) {
    auto nested = inner.batch([](batch_view& w) { (void)w.set(K("/n"), "1"); });
    (void)v.set(K("/outer"), "1");
    return nested;
  });
  REQUIRE(r);
  CHECK(r.value().error().code == errc::nested_batch);
  CHECK(c.exists(K("/n")).value() == std::nullopt);
  CHECK(c.get(K("/outer")).value() == "1");
}

TEST_CASE_METHOD(system_fixture, "batch limits give a clear error and apply nothing") {
  auto st = kvmem::spawn_store(sys, kvmem::system_clock{},
                               {.max_batch_writes = 3, .max_batch_bytes = 100});
  {
    kvmem::client c{sys, st};
    auto many = c.batch([](batch_view& v) {
      for (int i = 0; i < 5; ++i)
        (void)v.set(K(fmt::format("/k{}", i)), "v"); // errors ignored by f
    });
    CHECK(many.error().code == errc::batch_too_large);
    CHECK(c.exists(K("/k0")).value() == std::nullopt);
    auto big = c.batch([](batch_view& v) {
      auto r = v.set(K("/big"), std::string(200, 'x'));
      CHECK(r.error().code == errc::batch_too_large);
    });
    CHECK(big.error().code == errc::batch_too_large);
    CHECK(c.batch([](batch_view& v) { (void)v.set(K("/ok"), "fine"); }));
    CHECK(c.get(K("/ok")).value() == "fine");
  }
  caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(store_fixture, "a slow batch does not block the store or other clients") {
  kvmem::client c{sys, s};
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  std::thread t([&] {
    kvmem::client mine{sys, s};
    auto r = mine.batch([&](batch_view& v) {
      started = true;
      while (!release)
        std::this_thread::yield();
      (void)v.set(K("/slow"), "done");
    });
    CHECK(r);
  });
  REQUIRE(eventually([&] { return started.load(); }));
  for (int i = 0; i < 50; ++i) // the store keeps serving meanwhile
    REQUIRE(c.set(K("/fast"), std::to_string(i)));
  release = true;
  t.join();
  CHECK(c.get(K("/slow")).value() == "done");
}
