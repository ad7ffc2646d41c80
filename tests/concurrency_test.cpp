// Real threads: 8 clients × 200 read-increment-write batches on shared
// counters. No update may be lost; every failure must be too_many_retries.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <thread>

#include "store_fixture.hpp"

using namespace test;

TEST_CASE_METHOD(store_fixture, "concurrent read-increment-write batches lose no update") {
  constexpr int clients = 8;
  constexpr int batches = 200;
  constexpr int counters = 3; // few counters: many conflicts
  const auto seed = Catch::rngSeed() ? Catch::rngSeed() : 2026u;
  INFO("seed " << seed);
  {
    kvmem::client init{sys, s};
    for (int c = 0; c < counters; ++c)
      REQUIRE(init.set(K(fmt::format("/counters/c{}", c)), "0"));
  }
  std::vector<std::array<int, counters>> successes(clients);
  std::vector<std::vector<kvmem::error>> failures(clients);
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(seed + t);
      kvmem::client c{sys, s};
      successes[t].fill(0);
      for (int b = 0; b < batches; ++b) {
        int which = static_cast<int>(rng() % counters);
        auto k = K(fmt::format("/counters/c{}", which));
        auto r = c.batch([&](kvmem::batch_view& v) {
          auto n = std::stoll(v.get(k).value().str());
          (void)v.set(k, std::to_string(n + 1));
          (void)v.set(K(fmt::format("/log/t{}", t)), std::to_string(b)); // a disjoint write too
        });
        if (r)
          ++successes[t][which];
        else
          failures[t].push_back(r.error());
      }
    });
  for (auto& th : threads)
    th.join();
  kvmem::client check{sys, s};
  int total_ok = 0, total_failed = 0;
  for (int c = 0; c < counters; ++c) {
    int expected = 0;
    for (int t = 0; t < clients; ++t)
      expected += successes[t][c];
    total_ok += expected;
    CHECK(check.get(K(fmt::format("/counters/c{}", c))).value() == std::to_string(expected));
  }
  for (auto& fs : failures)
    for (auto& e : fs) {
      ++total_failed;
      CHECK(e == kvmem::error::too_many_retries(kvmem::default_retries));
    }
  CHECK(total_ok + total_failed == clients * batches);
  CHECK(total_ok > 0);
  // Every successful batch is one version: the 3 initial sets + one per commit.
  CHECK(check.version().value() == static_cast<kvmem::version_t>(counters + total_ok));
}
