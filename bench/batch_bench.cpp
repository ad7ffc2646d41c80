// T5: batches of per-key writes, in interleaved rounds on the 10^6-key store:
// - 1000 sets as one client::batch against 1000 blocking client::set;
// - a batch of N sets (N = 1000, and 100) against the same N sets applied
//   as raw in-place tree::set calls on a tree nobody else holds (the floor
//   of applying those writes at all: no messages, no copies, no atomicity).
#include <fmt/format.h>

#include "data.hpp"
#include "store_env.hpp"

namespace bench {

namespace {

// The keys of dictionary /d<dict> with indices [0, n).
std::vector<kvmem::key> dict_keys(const dataset& d, std::size_t dict, std::size_t n) {
  return {d.keys.begin() + static_cast<std::ptrdiff_t>(dict * 1000),
          d.keys.begin() + static_cast<std::ptrdiff_t>(dict * 1000 + n)};
}

double batch_us(kvmem::client& c, const std::vector<kvmem::key>& ks, const kvmem::bytes& v) {
  auto t0 = clock_type::now();
  auto ok = c.batch([&](kvmem::batch_view& b) {
    for (auto& k : ks)
      (void)b.set(k, v);
  });
  auto us = seconds_since(t0) * 1e6;
  if (!ok)
    fmt::print("T5: batch failed: {}\n", ok.error());
  return us;
}

// The same sets on `t`, stamped like one commit (one time, one version).
double raw_us(kvmem::tree& t, const std::vector<kvmem::key>& ks, const kvmem::bytes& v,
              kvmem::version_t version) {
  auto t0 = clock_type::now();
  kvmem::stamp at{kvmem::system_clock{}.now(), version};
  for (auto& k : ks)
    (void)t.set(k, v, at);
  return seconds_since(t0) * 1e6;
}

} // namespace

void run_batches(const options& o, report& rep) {
  rep.progress("T5 batches vs blocking sets and vs raw in-place tree sets");
  store_env env;
  const auto& d = dataset::nested(o);
  auto s = env.spawn(d.tree());
  kvmem::client c{env.sys, s};
  // A private tree for the raw sets: one warm-up pass makes the written
  // dictionaries' nodes its own, so the timed passes edit in place.
  kvmem::tree raw = d.tree();
  const std::size_t sizes[] = {1000, 100};
  std::vector<std::vector<kvmem::key>> keys;
  for (std::size_t i = 0; i < 2; ++i) {
    keys.push_back(dict_keys(d, 2 + 2 * i, sizes[i])); // /d2, /d4
    (void)raw_us(raw, keys.back(), d.value_bytes, 1);
  }
  const auto singles = dict_keys(d, 1, 1000); // /d1
  std::vector<double> single, batched[2], in_place[2], copied[2];
  kvmem::version_t version = 1;
  const int rounds = o.full ? 9 : 5;
  for (int r = 0; r < rounds; ++r) {
    // Rotate which of the three goes first.
    for (int j = 0; j < 3; ++j) {
      switch ((j + r) % 3) {
      case 0: {
        auto t0 = clock_type::now();
        for (auto& k : singles)
          (void)c.set(k, d.value_bytes);
        single.push_back(seconds_since(t0) * 1e6);
        break;
      }
      case 1:
        for (std::size_t i = 0; i < 2; ++i)
          batched[i].push_back(batch_us(c, keys[i], d.value_bytes));
        break;
      default:
        for (std::size_t i = 0; i < 2; ++i) {
          in_place[i].push_back(raw_us(raw, keys[i], d.value_bytes, ++version));
          // The same on a copy while `raw` keeps the old root, as a commit
          // must: each node on a written path is copied once.
          kvmem::tree next = raw;
          copied[i].push_back(raw_us(next, keys[i], d.value_bytes, ++version));
        }
      }
    }
  }
  auto sm = median(single), bm = median(batched[0]);
  rep.add({"T5", "1000 sets: one batch vs 1000 blocking sets", "us", bm, "1000 blocking sets", sm,
           sm / bm, "blocking time / batch time", goal::none, 0,
           "the batch: its actor (a companion spawned for it), f buffering 1000 sets and applying "
           "them to its own copy of the snapshot, one commit the store adopts, publishing"});
  for (std::size_t i = 0; i < 2; ++i) {
    auto b = median(batched[i]), t = median(in_place[i]);
    rep.add({"T5",
             fmt::format("{} sets in one dictionary of 10^6: one batch vs raw in-place tree sets",
                         sizes[i]),
             "us", b, "raw tree::set, in place", t, b / t, "batch time / raw tree time",
             sizes[i] == 1000 ? goal::at_most : goal::none, 1.5,
             fmt::format("{:.3f} us per write in the batch, {:.3f} raw (no messages, no path "
                         "copies); the same raw sets on a copy of the tree, old root kept as a "
                         "commit keeps it: {:.1f} us",
                         b / static_cast<double>(sizes[i]), t / static_cast<double>(sizes[i]),
                         median(copied[i]))});
  }
}

} // namespace bench
