// T6: memory per entry at 10^6 entries, kvmem tree vs std::map with
// full-path keys, as resident memory growth measured in a fresh child
// process per structure (so that no freed heap is reused).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <unordered_map>

#include <fmt/format.h>
#include <kvmem/tree.hpp>

#include "harness.hpp"

namespace bench {

namespace {

long rss_bytes() {
  std::ifstream in("/proc/self/statm");
  long size = 0, resident = 0;
  in >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

} // namespace

/// In the child (kvmem_bench --memory-child WHAT N): builds the structure and
/// prints the resident growth in bytes.
int memory_child(const std::string& what, std::size_t n) {
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

void run_memory(const options&, report& rep) {
  rep.progress("T6 memory per entry at 10^6 entries (child processes)");
  const std::size_t n = 1'000'000;
  auto map = measure("map", n);
  auto umap = measure("umap", n);
  auto tree = measure("tree", n);
  rep.add({"T6", "memory per entry, 10^6 entries (1000 x 1000), 100-byte values", "B/entry", tree,
           "std::map", map, tree / map, "kvmem bytes / std::map bytes", goal::at_most, 1.2,
           "resident growth while building (the tree counts 1000 extra dictionary entries)"});
  rep.add({"T6", "memory per entry, 10^6 entries (1000 x 1000), 100-byte values", "B/entry", tree,
           "std::unordered_map", umap, tree / umap, "kvmem bytes / std::unordered_map bytes",
           goal::none, 0, "the same, for std::unordered_map with full-path keys"});
}

} // namespace bench
