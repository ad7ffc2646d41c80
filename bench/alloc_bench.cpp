// ALLOC: heap allocations per write, counted on every thread of the process
// (alloc_count.hpp) over interleaved rounds, medians:
// - a blocking client::set on 1000 hot keys of the 10^6 store, against the
//   same blocking request to a naive actor wrapping std::map (CAF's own
//   per-request floor: the message, the mailbox element, the response);
// - a write inside one client::batch of 1000 sets, against a blocking set.
#include <map>
#include <memory>

#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include "alloc_count.hpp"
#include "data.hpp"
#include "naive_actor.hpp"
#include "store_env.hpp"

namespace bench {

void run_allocs(const options& o, report& rep) {
  rep.progress("ALLOC allocations per blocking write and per batched write");
  store_env env;
  const auto& d = dataset::nested(o);
  auto s = env.spawn(d.tree());
  kvmem::client c{env.sys, s};
  auto hot = [](std::size_t i) { return (i * 7) % 1000; };
  auto init = std::make_shared<std::map<std::string, std::string>>();
  for (std::size_t i = 0; i < 1000; ++i)
    (*init)[d.paths[hot(i)]] = d.value;
  auto naive = env.sys.spawn(naive_impl, init);
  caf::scoped_actor self{env.sys};
  bool ok = true;
  auto naive_set = [&](std::size_t i) {
    self->request(naive, caf::infinite, caf::put_atom::value, d.paths[hot(i)], d.value)
        .receive([](bool) {}, [&](caf::error&) { ok = false; });
  };
  std::vector<kvmem::key> batch_keys(d.keys.begin() + 2000, d.keys.begin() + 3000); // /d2
  auto batch = [&] {
    ok &= c.batch([&](kvmem::batch_view& b) {
             for (auto& k : batch_keys)
               (void)b.set(k, d.value_bytes);
           }).has_value();
  };
  for (std::size_t i = 0; i < 1000; ++i) { // warm-up: caches, pools, first copies
    ok &= c.set(d.keys[hot(i)], d.value_bytes).has_value();
    naive_set(i);
  }
  batch();
  const std::size_t n = 2000 * o.scale();
  std::vector<double> kv, nv, bv, kv_bytes;
  for (int r = 0; r < (o.full ? 9 : 5); ++r) {
    {
      counting_scope count;
      for (std::size_t i = 0; i < n; ++i)
        ok &= c.set(d.keys[hot(i)], d.value_bytes).has_value();
      auto got = count.so_far();
      kv.push_back(static_cast<double>(got.allocations) / static_cast<double>(n));
      kv_bytes.push_back(static_cast<double>(got.bytes) / static_cast<double>(n));
    }
    {
      counting_scope count;
      for (std::size_t i = 0; i < n; ++i)
        naive_set(i);
      nv.push_back(static_cast<double>(count.so_far().allocations) / static_cast<double>(n));
    }
    {
      counting_scope count;
      batch();
      bv.push_back(static_cast<double>(count.so_far().allocations) /
                   static_cast<double>(batch_keys.size()));
    }
  }
  if (!ok) {
    fmt::print("ALLOC: a write failed; no ALLOC rows\n");
    return;
  }
  rep.add({"ALLOC", "allocations per blocking set, 1000 hot keys of 10^6", "allocs/op", median(kv),
           "naive actor+map, blocking request", median(nv), median(kv) / median(nv),
           "kvmem allocations / naive actor's", goal::none, 0,
           fmt::format("every thread counted; kvmem allocates {:.0f} bytes per set; the naive "
                       "actor's are CAF's own per request (message, mailbox element, response)",
                       median(kv_bytes))});
  rep.add({"ALLOC", "allocations per write of a batch of 1000 sets, one dictionary", "allocs/op",
           median(bv), "blocking set (above)", median(kv), median(bv) / median(kv),
           "per batched write / per blocking set", goal::none, 0,
           "client::batch of 1000 sets of /d2; every thread counted"});
}

} // namespace bench
