// T6: memory per entry at 10^6 entries, kvmem tree vs std::map with
// full-path keys, as resident memory growth measured in a fresh child
// process per structure (so that no freed heap is reused).
// HIST: memory per retained version (store_options::history_versions) in a
// store of 10^6 entries, after as many random single-key writes as versions
// retained: the store's own count (info's retained_bytes) and the resident
// growth of the child process, per version.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <unordered_map>

#include <fmt/format.h>
#include "tree/nodes.hpp"
#include <kvmem/tree.hpp>

#include "harness.hpp"
#include "store_env.hpp"

namespace bench {

namespace {

long rss_bytes() {
  std::ifstream in("/proc/self/statm");
  long size = 0, resident = 0;
  in >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// The HIST child: `versions` random single-key writes to a store of n
// entries retaining that many versions; prints the resident growth, the
// store's retained_bytes and retained_versions.
int history_child(std::size_t versions, std::size_t n) {
  kvmem::tree t;
  const kvmem::bytes value{std::string(100, 'v')};
  std::vector<kvmem::key> keys;
  for (std::size_t i = 0; i < n; ++i) {
    keys.push_back(kvmem::key{} / fmt::format("d{}", i / 1000) / fmt::format("k{}", i % 1000));
    t.set(keys.back(), kvmem::bytes{std::string(100, 'v')}, {}).value();
  }
  store_env env;
  kvmem::store_options opts;
  opts.history_versions = versions;
  auto s = env.spawn(std::move(t), opts);
  kvmem::client c{env.sys, s};
  std::mt19937 rng{42};
  std::uniform_int_distribution<std::size_t> pick{0, n - 1};
  std::vector<std::size_t> order(versions);
  for (auto& i : order)
    i = pick(rng);
  long before = rss_bytes();
  for (auto i : order)
    c.set(keys[i], value).value();
  auto info = c.info().value();
  std::printf("%ld %llu %llu\n", rss_bytes() - before,
              static_cast<unsigned long long>(info.retained_bytes),
              static_cast<unsigned long long>(info.retained_versions));
  std::fflush(stdout);
  std::_Exit(0);
}

// malloc's chunk for a request of n bytes (glibc, 64-bit: 8 bytes of
// header, 16-byte granularity, 32 at least).
std::size_t chunk(std::size_t n) {
  return std::max<std::size_t>(32, (n + 8 + 15) & ~std::size_t{15});
}

} // namespace

/// In the child (kvmem_bench --memory-child WHAT N): builds the structure and
/// prints the resident growth in bytes.
int memory_child(const std::string& what, std::size_t n) {
  if (what.rfind("history:", 0) == 0)
    return history_child(std::stoul(what.substr(8)), n);
  std::string value(100, 'v');
  std::vector<std::string> paths;
  std::vector<kvmem::key> keys;
  for (std::size_t i = 0; i < n; ++i) {
    auto dir = fmt::format("d{}", i / 1000), leaf = fmt::format("k{}", i % 1000);
    if (what == "tree")
      keys.push_back(kvmem::key{} / dir / leaf);
    else
      paths.push_back(fmt::format("/{}/{}", dir, leaf));
  }
  long before = rss_bytes();
  std::size_t check = 0;
  if (what == "map") {
    std::map<std::string, std::string> m;
    for (auto& p : paths)
      m.emplace(p, value);
    check = m.size();
    std::printf("%ld %zu\n", rss_bytes() - before, check);
    std::fflush(stdout);
    std::_Exit(0); // skip freeing
  } else if (what == "umap") {
    std::unordered_map<std::string, std::string> m;
    for (auto& p : paths)
      m.emplace(p, value);
    check = m.size();
  } else {
    kvmem::tree t;
    for (auto& k : keys)
      t.set(k, kvmem::bytes{value}, {}).value(); // a buffer of its own per value
    check = t.count_nodes();
    std::printf("%ld %zu\n", rss_bytes() - before, check);
    std::fflush(stdout);
    std::_Exit(0);
  }
  std::printf("%ld %zu\n", rss_bytes() - before, check);
  std::fflush(stdout);
  std::_Exit(0);
}

namespace {

double measure(const std::string& what, std::size_t n) {
  auto cmd = fmt::format("/proc/{}/exe --memory-child {} {}", getpid(), what, n);
  FILE* p = popen(cmd.c_str(), "r");
  long bytes = 0;
  std::size_t count = 0;
  if (!p || std::fscanf(p, "%ld %zu", &bytes, &count) != 2)
    bytes = -1;
  if (p)
    pclose(p);
  return static_cast<double>(bytes) / static_cast<double>(n);
}

} // namespace

void run_memory(const options& o, report& rep) {
  rep.progress("T6 memory per entry at 10^6 entries (child processes)");
  const std::size_t n = 1'000'000;
  auto map = measure("map", n);
  auto umap = measure("umap", n);
  auto tree = measure("tree", n);
  using kvmem::detail::entry;
  constexpr std::size_t stamps = sizeof(entry::created) + sizeof(entry::modified);
  rep.add({"T6", "memory per entry, 10^6 entries (1000 x 1000), 100-byte values", "B/entry", tree,
           "std::map", map, tree / map, "kvmem bytes / std::map bytes", goal::at_most, 1.2,
           fmt::format("resident growth while building (the tree counts 1000 extra dictionary "
                       "entries); an entry node is {} B (malloc chunk {} B), of which {} B are "
                       "its version stamps (created, modified): without them {} B (chunk {} B); "
                       "plus {} B per dictionary (subtree version)",
                       sizeof(entry), chunk(sizeof(entry)), stamps, sizeof(entry) - stamps,
                       chunk(sizeof(entry) - stamps), sizeof(kvmem::detail::dict_node::subtree))});
  rep.add({"T6", "memory per entry, 10^6 entries (1000 x 1000), 100-byte values", "B/entry", tree,
           "std::unordered_map", umap, tree / umap, "kvmem bytes / std::unordered_map bytes",
           goal::none, 0, "the same, for std::unordered_map with full-path keys"});
  for (std::size_t versions : o.full ? std::vector<std::size_t>{1000, 10000, 100000}
                                     : std::vector<std::size_t>{10000}) {
    rep.progress(fmt::format("HIST memory per retained version, {} versions (child process)",
                             versions));
    auto cmd = fmt::format("/proc/{}/exe --memory-child history:{} {}", getpid(), versions, n);
    FILE* p = popen(cmd.c_str(), "r");
    long rss = 0;
    unsigned long long retained = 0, count = 0;
    bool ok = p && std::fscanf(p, "%ld %llu %llu", &rss, &retained, &count) == 3;
    if (p)
      pclose(p);
    if (!ok || count == 0) {
      fmt::print("HIST: the child process failed; row skipped\n");
      continue;
    }
    auto per_rss = static_cast<double>(rss) / static_cast<double>(versions);
    auto per_info = static_cast<double>(retained) / static_cast<double>(count);
    rep.add({"HIST",
             fmt::format("memory per retained version, {} versions, 10^6 entries (1000 x 1000)",
                         versions),
             "B/version", per_rss, "info retained_bytes", per_info, per_rss / per_info,
             "resident growth / the store's own count", goal::none, 0,
             fmt::format("{} random single-key writes with history_versions = {} ({} retained); "
                         "each keeps the old value (100 B) and the path it no longer shares",
                         versions, versions, count)});
  }
}

} // namespace bench
