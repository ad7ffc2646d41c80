// Memory comes back: a store that held a million entries and removed them
// returns to (near) the resident size it started with. Skipped under
// AddressSanitizer, whose allocator keeps freed memory in quarantine.
#include <catch2/catch.hpp>

#include <fstream>

#include <malloc.h>
#include <unistd.h>

#include "store_fixture.hpp"

using namespace test;

namespace {

std::uint64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool under_asan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool under_asan = true;
#else
constexpr bool under_asan = false;
#endif
#else
constexpr bool under_asan = false;
#endif

} // namespace

TEST_CASE_METHOD(store_fixture, "storing and removing a million entries gives the memory back") {
  if (under_asan)
    return; // the sanitizer's allocator holds freed memory on purpose
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/warm/up"), "1")); // first allocations of the store and the client
  // glibc keeps freed memory in per-thread arenas until trimmed; which
  // arenas the store's threads used depends on scheduling, so trim before
  // each measurement (as a long-running program's allocator eventually does).
  ::malloc_trim(0);
  const auto start = rss_bytes();
  for (int d = 0; d < 100; ++d)
    REQUIRE(c.batch([&](kvmem::batch_view& v) {
      for (int k = 0; k < 10'000; ++k)
        (void)v.set(K(fmt::format("/big/d{}/k{}", d, k)), kvmem::bytes{"0123456789"});
    }));
  REQUIRE(c.stat(K("/big")).value().entries == 100);
  const auto full = rss_bytes();
  REQUIRE(c.remove(K("/big")));
  // The client's last snapshot still holds the old root until its next read
  // (readers keep what they loaded); that read drops it, on this thread.
  REQUIRE(c.exists(K("/big")).value() == std::nullopt);
  // The store frees the previous version after replying to the remove; its
  // reply to the next request comes after that.
  REQUIRE(c.version());
  ::malloc_trim(0);
  const auto after = rss_bytes();
  // A million entries take ~200 MB; what stays must be a small fraction.
  INFO(fmt::format("RSS: start {} MB, with 10^6 entries {} MB, after removing them {} MB",
                   start >> 20, full >> 20, after >> 20));
  CHECK(full > start + (100u << 20)); // the entries were really resident
  CHECK(after < start + (16u << 20)); // the bound: within 16 MB of the start
}
