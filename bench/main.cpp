// kvmem_bench: the benchmark suite. See docs/benchmarks.md.
//   kvmem_bench [--full] [--csv FILE] [--plots DIR] [--only g1,g2] [--seed N]
// Groups: memory tree reads blocking batches async contention feeds lmdb durability remote
// allocs resp.
// Internal modes (the benchmark runs itself as a child process):
//   --memory-child WHAT N (T6) and --serve-child (NET's and RESP's server).
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "harness.hpp"

namespace bench {
int memory_child(const std::string& what, std::size_t n);
int serve_child();
void run_durability(const options&, report&);
void run_resp(const options&, report&);
} // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", a);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--serve-child") {
      return serve_child();
    } else if (a == "--memory-child") {
      auto what = next();
      return memory_child(what, std::stoul(next()));
    } else if (a == "--full") {
      o.full = true;
    } else if (a == "--csv") {
      o.csv = next();
    } else if (a == "--plots") {
      o.plot_dir = next();
    } else if (a == "--seed") {
      o.seed = static_cast<std::uint32_t>(std::stoul(next()));
    } else if (a == "--only") {
      auto list = next();
      for (std::size_t p = 0; p <= list.size();) {
        auto q = list.find(',', p);
        if (q == std::string::npos)
          q = list.size();
        o.only.push_back(list.substr(p, q - p));
        p = q + 1;
      }
    } else {
      fmt::print("usage: kvmem_bench [--full] [--csv FILE] [--plots DIR] [--only GROUPS] [--seed N]\n"
                 "groups: memory tree reads blocking batches async contention feeds lmdb durability remote\n"
                 "        allocs resp\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  const std::pair<const char*, void (*)(const options&, report&)> groups[] = {
      {"memory", run_memory},     {"tree", run_tree},   {"reads", run_reads},
      {"blocking", run_blocking}, {"batches", run_batches}, {"async", run_async},
      {"contention", run_contention}, {"feeds", run_feeds}, {"lmdb", run_lmdb},
      {"durability", run_durability},
      {"remote", run_remote}, {"resp", run_resp}, {"allocs", run_allocs}};
  report rep{o};
  rep.header();
  auto t0 = clock_type::now();
  for (auto& [name, fn] : groups)
    if (o.only.empty() || std::find(o.only.begin(), o.only.end(), name) != o.only.end()) {
      auto g0 = clock_type::now();
      fn(o, rep);
      rep.progress(fmt::format("{}: {:.1f} s", name, seconds_since(g0)));
    }
  rep.summary();
  rep.write_csv();
  rep.write_plots();
  fmt::print("total time {:.0f} s\n", seconds_since(t0));
  return 0;
}
