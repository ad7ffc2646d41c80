// The in-process read path (store/published.hpp): a reader that has seen a
// version, by any route, never afterwards reads an older one. Two routes
// exist: a batch loads the published snapshot directly, a single read goes
// through the reader's version-checked cache. Real threads against the
// store's reclaim/publish protocol; the check holds on every interleaving,
// so the test cannot fail on a correct implementation whatever the timing.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "store/published.hpp"

using kvmem::detail::published;
using kvmem::detail::snapshot_cache;

namespace {

// The store's side: the write_scope protocol (reclaim, edit, publish).
void write_versions(published& p, kvmem::version_t last, std::atomic<bool>& done) {
  for (kvmem::version_t v = 1; v <= last; ++v) {
    auto held = p.reclaim(); // what a write_scope keeps: the held snapshot or the spare
    auto old = p.publish(std::make_shared<const kvmem::local_snapshot>(kvmem::local_snapshot{v, kvmem::tree{}}));
  }
  done = true;
}

} // namespace

TEST_CASE("a read after a direct snapshot load never sees an older version") {
  published p{kvmem::local_snapshot{0, kvmem::tree{}}};
  std::atomic<bool> done{false};
  std::atomic<long> stale{0}, checks{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&] {
      snapshot_cache cache;
      kvmem::version_t last = 0;
      while (!done) {
        auto direct = p.load()->version;     // what a batch reads
        auto cached = cache.refresh(p).version; // what the next get reads
        if (cached < direct || cached < last)
          ++stale;
        last = cached;
        ++checks;
      }
    });
  write_versions(p, 200000, done);
  for (auto& t : readers)
    t.join();
  INFO(checks.load() << " checks");
  CHECK(stale.load() == 0);
  CHECK(p.version() == 200000);
  CHECK(p.load()->version == 200000);
}
