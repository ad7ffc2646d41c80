// A child process for crash_test: opens a persistent store (sync always) in
// the directory it is given and writes until it is killed — single sets of
// values of many sizes and batches of four sets — printing each
// acknowledged write on stdout ("<step> <version>") as soon as its reply
// comes. Every value is a function of its key, so the test can check what
// it finds after the kill without being told.
//   crash_writer DIR FIRST_STEP
// With a third argument, a real full disk instead: the process's file-size
// limit (RLIMIT_FSIZE, soft) is set to that many bytes, and it writes 64 KiB
// values until a write fails; that write must fail with io_error and change
// nothing while reads go on; then the limit is lifted and a write must work
// again. It prints "acked N" and "ok", or what went wrong (exit code 1).
//   crash_writer DIR 0 FSIZE_LIMIT
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/resource.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <fmt/core.h>

#include "crash_values.hpp"
#include "kvmem/batch.hpp"
#include "kvmem/client.hpp"
#include "kvmem/store.hpp"

namespace {
using test::crash_value;
int fail(const std::string& why) {
  std::printf("FAILED: %s\n", why.c_str());
  return 1;
}

// The full-disk mode (see the top).
int fill_disk(caf::actor_system& sys, const std::string& dir, std::uint64_t limit) {
  std::signal(SIGXFSZ, SIG_IGN); // past the limit: EFBIG, not a signal
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit low = old;
  low.rlim_cur = limit;
  if (setrlimit(RLIMIT_FSIZE, &low) != 0)
    return fail("setrlimit");
  kvmem::store_options o;
  o.persistence.dir = dir;
  o.persistence.segment_bytes = std::uint64_t{1} << 30; // one segment: it hits the limit
  auto s = kvmem::open_store(sys, {}, o);
  if (!s)
    return fail(s.error().message());
  kvmem::scoped_store held{*s};
  kvmem::client c{sys, *s};
  const std::string v(65536, 'f');
  std::uint64_t n = 0;
  for (;; ++n) {
    auto r = c.set(kvmem::key::v(fmt::format("/full/{}", n)), v);
    if (r)
      continue;
    if (r.error().code != kvmem::errc::io_error)
      return fail("expected io_error, got " + r.error().message());
    break;
  }
  auto before = c.version();
  if (c.exists(kvmem::key::v(fmt::format("/full/{}", n))).value_or(std::nullopt))
    return fail("the failed write was applied");
  if (n == 0 || !c.get(kvmem::key::v("/full/0")))
    return fail("reads do not go on");
  if (c.set(kvmem::key::v("/again"), v))
    return fail("a write past the limit worked");
  if (c.version().value() != before.value())
    return fail("a failed write moved the version");
  if (setrlimit(RLIMIT_FSIZE, &old) != 0)
    return fail("lifting the limit");
  if (!c.set(kvmem::key::v("/again"), "x"))
    return fail("writes do not work again once space returned");
  std::printf("acked %llu\nok\n", static_cast<unsigned long long>(n));
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: crash_writer DIR FIRST_STEP [FSIZE_LIMIT]\n");
    return 2;
  }
  caf::actor_system_config cfg;
  kvmem::register_types(cfg);
  caf::actor_system sys{cfg};
  if (argc == 4)
    return fill_disk(sys, argv[1], std::strtoull(argv[3], nullptr, 10));
  kvmem::store_options o;
  o.persistence.dir = argv[1];
  o.persistence.sync = kvmem::sync_policy::always;
  o.persistence.segment_bytes = 1 << 20; // segments roll during the run
  auto s = kvmem::open_store(sys, {}, o);
  if (!s) {
    std::fprintf(stderr, "crash_writer: %s\n", s.error().message().c_str());
    return 1;
  }
  kvmem::scoped_store held{*s};
  kvmem::client c{sys, *s};
  for (std::uint64_t step = std::strtoull(argv[2], nullptr, 10);; ++step) {
    bool ok = false;
    if (step % 3 == 0) {
      ok = static_cast<bool>(c.batch([&](kvmem::batch_view& b) {
        for (std::uint64_t j = 0; j < 4; ++j)
          (void)b.set(kvmem::key::v(fmt::format("/b/{}/{}", step, j)), crash_value(step, j));
      }));
    } else {
      ok = static_cast<bool>(c.set(kvmem::key::v(fmt::format("/s/{}", step)), crash_value(step, 0)));
    }
    if (!ok)
      return 1;
    std::printf("%llu %llu\n", static_cast<unsigned long long>(step),
                static_cast<unsigned long long>(c.last_version()));
    std::fflush(stdout);
  }
}
