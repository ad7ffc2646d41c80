// T1: the persistent tree against std::map (and std::unordered_map) keyed by
// full path: get, overwrite, and the cost of a snapshot.
#include <unordered_map>

#include <fmt/format.h>

#include "data.hpp"

namespace bench {

namespace {

void get_and_set(const options& o, report& rep, const dataset& d) {
  rep.progress(fmt::format("T1 tree get/set on {} keys ({})", d.size(), d.name));
  auto m = d.build_map();
  std::unordered_map<std::string, std::string> um(m.begin(), m.end());
  kvmem::tree t = d.tree();
  const std::size_t n = 100'000 * o.scale();
  const int rounds = o.full ? 5 : 3;
  std::vector<double> map_get, umap_get, tree_get, map_set, umap_set, tree_set_p, tree_set_t;
  std::size_t sink = 0;
  for (int r = 0; r < rounds; ++r) {
    auto at = [&](std::size_t i) { return d.order[(i + r * n) % d.order.size()]; };
    map_get.push_back(ns_per_op(n, [&](std::size_t i) { sink += m.find(d.paths[at(i)])->second.size(); }));
    umap_get.push_back(ns_per_op(n, [&](std::size_t i) { sink += um.find(d.paths[at(i)])->second.size(); }));
    tree_get.push_back(ns_per_op(n, [&](std::size_t i) { sink += t.get(d.keys[at(i)])->size(); }));
    map_set.push_back(ns_per_op(n, [&](std::size_t i) { m[d.paths[at(i)]] = d.value; }));
    umap_set.push_back(ns_per_op(n, [&](std::size_t i) { um[d.paths[at(i)]] = d.value; }));
    // Persistent: the previous version stays alive until the next write, as
    // in a store whose readers hold the published root: every write copies
    // its path.
    tree_set_p.push_back(ns_per_op(n, [&](std::size_t i) {
      kvmem::tree previous = t;
      (void)t.set(d.keys[at(i)], d.value_bytes, {});
    }));
    // Transient: nobody else holds the root, so writes edit in place.
    tree_set_t.push_back(ns_per_op(n, [&](std::size_t i) { (void)t.set(d.keys[at(i)], d.value_bytes, {}); }));
  }
  if (sink == 42)
    fmt::print(" ");
  auto mg = median(map_get), tg = median(tree_get), ug = median(umap_get);
  auto ms = median(map_set), us = median(umap_set), tsp = median(tree_set_p), tst = median(tree_set_t);
  // The verdicts are against std::map (an ordered container, as the tree is:
  // list needs order); std::unordered_map is shown beside them.
  rep.add({"T1", fmt::format("tree get, random key ({})", d.name), "ns/op", tg, "std::map", mg,
           tg / mg, "kvmem time / std::map time", goal::at_most, 2.0, ""});
  rep.add({"T1", fmt::format("tree get, random key ({})", d.name), "ns/op", tg,
           "std::unordered_map", ug, tg / ug, "kvmem time / std::unordered_map time", goal::none, 0,
           "unordered: no ordered listing; hashing the full path instead of comparing segments"});
  rep.add({"T1", fmt::format("tree set (overwrite), old version kept ({})", d.name), "ns/op", tsp,
           "std::map", ms, tsp / ms, "kvmem time / std::map time", goal::at_most, 4.0,
           "every write copies its path: the store's case when readers hold the published root"});
  rep.add({"T1", fmt::format("tree set (overwrite), in place ({})", d.name), "ns/op", tst,
           "std::map", ms, tst / ms, "kvmem time / std::map time", goal::at_most, 4.0,
           "no other holder: the store's case when no reader loaded the last version"});
  rep.add({"T1", fmt::format("tree set (overwrite), in place ({})", d.name), "ns/op", tst,
           "std::unordered_map", us, tst / us, "kvmem time / std::unordered_map time", goal::none,
           0, "um[path] = value on an existing key"});
}

void snapshot(const options& o, report& rep, const dataset& d) {
  rep.progress("T1 snapshot vs copying std::map at 10^6 keys");
  auto m = d.build_map();
  const kvmem::tree& t = d.tree();
  std::vector<double> copies;
  std::size_t sink = 0;
  for (int r = 0; r < (o.full ? 5 : 3); ++r) {
    auto t0 = clock_type::now();
    auto c = m;
    copies.push_back(seconds_since(t0) * 1e9);
    sink += c.size();
  }
  double snap = median({ns_per_op(1'000'000, [&](std::size_t) {
                          kvmem::tree s = t;
                          sink += s.used() & 1;
                        }),
                        ns_per_op(1'000'000, [&](std::size_t) {
                          kvmem::tree s = t;
                          sink += s.used() & 1;
                        }),
                        ns_per_op(1'000'000, [&](std::size_t) {
                          kvmem::tree s = t;
                          sink += s.used() & 1;
                        })});
  if (sink == 42)
    fmt::print(" ");
  auto copy = median(copies);
  rep.add({"T1", "snapshot (tree copy) vs copying std::map, 10^6 keys", "ns", snap, "map copy",
           copy, copy / snap, "map copy time / snapshot time", goal::at_least, 1e4, ""});
}

} // namespace

void run_tree(const options& o, report& rep) {
  get_and_set(o, rep, dataset::nested(o));
  if (o.full) // the flat variant: 10^6 entries in one dictionary
    get_and_set(o, rep, dataset::flat(o));
  snapshot(o, rep, dataset::nested(o));
}

} // namespace bench
