// A child process for crash_test: opens a persistent store (sync always) in
// the directory it is given and writes until it is killed — single sets of
// values of many sizes and batches of four sets — printing each
// acknowledged write on stdout ("<step> <version>") as soon as its reply
// comes. Every value is a function of its key, so the test can check what
// it finds after the kill without being told.
//   crash_writer DIR FIRST_STEP
#include <cstdio>
#include <cstdlib>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <fmt/core.h>

#include "kvmem/batch.hpp"
#include "kvmem/client.hpp"
#include "kvmem/store.hpp"

namespace {
std::string value_of(std::uint64_t step, std::uint64_t part) {
  static const std::size_t sizes[] = {0, 7, 100, 3000, 65536, 200000};
  std::string v(sizes[(step + part) % 6], '\0');
  for (std::size_t j = 0; j < v.size(); ++j)
    v[j] = static_cast<char>('A' + (step * 7 + part * 3 + j) % 26);
  return v;
}
} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_writer DIR FIRST_STEP\n");
    return 2;
  }
  caf::actor_system_config cfg;
  kvmem::register_types(cfg);
  caf::actor_system sys{cfg};
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
          (void)b.set(kvmem::key::v(fmt::format("/b/{}/{}", step, j)), value_of(step, j));
      }));
    } else {
      ok = static_cast<bool>(c.set(kvmem::key::v(fmt::format("/s/{}", step)), value_of(step, 0)));
    }
    if (!ok)
      return 1;
    std::printf("%llu %llu\n", static_cast<unsigned long long>(step),
                static_cast<unsigned long long>(c.last_version()));
    std::fflush(stdout);
  }
}
