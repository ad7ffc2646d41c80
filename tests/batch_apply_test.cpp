// Batches handled once (src/batch/batch_runner.cpp, apply_here; the store's
// adopt_applied): a batch of a store in this process applies its writes to
// its own copy of the snapshot, and a store still at the snapshot's version
// adopts that tree instead of applying the writes again; otherwise the store
// applies them as before. Observed through the store's clock: the store
// reads it for a commit it applies itself, never for one it adopts.
#include <catch2/catch.hpp>

#include <atomic>

#include "store_fixture.hpp"

using namespace test;

namespace {

// A clock whose every reading is one second later than the one before.
struct ticking_clock {
  std::shared_ptr<std::atomic<std::int64_t>> reads = std::make_shared<std::atomic<std::int64_t>>(0);
  kvmem::ptime now() const { return kvmem::ptime{0, 1'000'000'000'000 * (1 + reads->fetch_add(1))}; }
  std::int64_t count() const { return reads->load(); }
};

struct ticking_store : system_fixture {
  explicit ticking_store(kvmem::store_options o = {}) : s(kvmem::spawn_store(sys, clk, o)) {}
  ticking_clock clk;
  kvmem::scoped_store s;
};

} // namespace

TEST_CASE_METHOD(ticking_store, "a batch's writes are applied once: the store adopts the batch's own tree") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a/x"), "0"));
  auto before = clk.count();
  auto v = c.batch([](kvmem::batch_view& b) {
    (void)b.set(K("/a/x"), "1");
    (void)b.set(K("/a/y"), "2");
    (void)b.remove(K("/a/x"));
    (void)b.set(K("/b"), "3");
  });
  REQUIRE(v);
  // One reading, the batch's own: the store applied nothing again.
  CHECK(clk.count() == before + 1);
  CHECK(c.version().value() == 2);
  CHECK_FALSE(c.exists(K("/a/x")).value());
  CHECK(c.get(K("/a/y")).value() == "2");
  CHECK(c.get(K("/b")).value() == "3");
  auto stamped = c.stat(K("/b")).value();
  CHECK(stamped.modified == 2);
  CHECK(c.last_modified(K("/b")).value() == kvmem::ptime{0, 1'000'000'000'000 * (before + 1)});
  // The next write edits the adopted tree.
  REQUIRE(c.set(K("/a/y"), "4"));
  CHECK(c.get(K("/a/y")).value() == "4");
  CHECK(c.get(K("/b")).value() == "3");
}

TEST_CASE_METHOD(ticking_store, "a batch whose writes fail on its copy is applied, and refused, by the store") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/v"), "value"));
  auto before = clk.count();
  auto v = c.batch([](kvmem::batch_view& b) {
    (void)b.set(K("/ok"), "1");
    (void)b.set(K("/v/under"), "2"); // under a value: dictionary_expected
  });
  REQUIRE_FALSE(v);
  CHECK(v.error().code == kvmem::errc::dictionary_expected);
  CHECK(clk.count() == before + 2); // the batch's reading and the store's
  CHECK_FALSE(c.exists(K("/ok")).value());
  CHECK(c.version().value() == 1);
}

TEST_CASE_METHOD(ticking_store, "a store that moved since the batch's snapshot applies the batch's writes itself") {
  kvmem::client c{sys, s}, other{sys, s};
  REQUIRE(c.set(K("/a"), "0"));
  auto before = clk.count();
  int runs = 0;
  auto v = c.batch([&](kvmem::batch_view& b) {
    if (runs++ == 0)
      REQUIRE(other.set(K("/elsewhere"), "x")); // the store moves; the batch read nothing
    (void)b.set(K("/a"), "1");
  });
  REQUIRE(v);
  CHECK(runs == 1); // it read nothing, so it does not conflict
  // The other set's reading, the batch's own, and the store's when applying.
  CHECK(clk.count() == before + 3);
  CHECK(c.get(K("/a")).value() == "1");
  CHECK(c.get(K("/elsewhere")).value() == "x");
  CHECK(c.version().value() == 3);
}

TEST_CASE_METHOD(ticking_store, "with a watcher, the store applies a batch's writes and describes them") {
  kvmem::client c{sys, s};
  auto w = c.watch(K("/"));
  REQUIRE(w);
  REQUIRE(c.set(K("/a"), "0")); // publishes that the store now describes its commits
  auto before = clk.count();
  REQUIRE(c.batch([](kvmem::batch_view& b) { (void)b.set(K("/a"), "1"); }));
  CHECK(clk.count() == before + 1); // the store's reading only: the batch did not apply them
  bool seen = false;
  for (int i = 0; i < 2 && !seen; ++i) {
    auto d = w->next(std::chrono::seconds(10));
    REQUIRE(d);
    REQUIRE(*d);
    for (auto& e : (*d)->events)
      seen = seen || (e.path == K("/a") && e.version == 2);
  }
  CHECK(seen);
}
