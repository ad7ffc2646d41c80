// What a commit costs the journal in allocations under sync=interval and
// none (src/persist/journal.*): keeping a record is amortized O(1), not a
// copy of what is already kept. (A reserve(size() + 1) per record once made
// every commit copy all pending record ends: 1.7x slower, unseen by any test.)
#include <chrono>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "failing_alloc.hpp"
#include "persist/journal.hpp"
#include "support/sim_fs.hpp"

using namespace kvmem;

TEST_CASE("keeping journal records under sync interval and none allocates amortized O(1)",
          "[journal_alloc]") {
  for (auto policy : {sync_policy::interval, sync_policy::none}) {
    INFO("sync " << to_string(policy));
    auto fs = std::make_shared<kvmem::test::sim_fs>();
    REQUIRE(fs->make_dir("d"));
    persistence_options o;
    o.dir = "d";
    o.sync = policy;
    o.interval = std::chrono::hours(1); // the thread writes nothing meanwhile
    auto j = detail::journal::open(fs, "d", o, {}, 0);
    REQUIRE(j);
    auto& log = **j;
    const std::string record(40, 'r'); // 20000 of them: under the 1 MiB that starts a write
    REQUIRE(log.append(record, 1));
    log.keep();
    const auto before = test_alloc::count();
    constexpr int n = 20000;
    for (int v = 2; v <= n; ++v) {
      REQUIRE(log.append(record, static_cast<version_t>(v)));
      log.keep();
    }
    const auto allocs = test_alloc::count() - before;
    INFO(allocs << " allocations for " << n << " records");
    // Geometric growth of the kept bytes and of their ends: about 2 x
    // log1.5(20000) = 50; one per record would be 20000.
    CHECK(allocs < 200);
    CHECK(log.info().written == static_cast<version_t>(n));
  }
}
