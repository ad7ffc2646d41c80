#include "harness.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include <caf/config.hpp>
#include <fmt/format.h>
#include <sys/utsname.h>

namespace bench {

double median(std::vector<double> xs) { return percentile(std::move(xs), 0.5); }

double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(xs.size() - 1) + 0.5);
  return xs[std::min(i, xs.size() - 1)];
}

std::string row::verdict() const {
  switch (g) {
    case goal::none: return "report";
    case goal::at_most: return ratio <= target ? "PASS" : "MISS";
    case goal::at_least: return ratio >= target ? "PASS" : "MISS";
  }
  return "?";
}

namespace {

// The first three fields of /proc/loadavg (runnable threads averaged over 1,
// 5 and 15 minutes): how busy the shared machine was.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a.empty() ? std::string{"unknown"} : fmt::format("{} {} {}", a, b, c);
}

std::string compiler() {
#ifdef __clang__
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#else
  return fmt::format("g++ {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#endif
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown cpu";
}

std::string target_text(const row& r) {
  switch (r.g) {
    case goal::none: return "-";
    case goal::at_most: return fmt::format("<= {:g}", r.target);
    case goal::at_least: return fmt::format(">= {:g}", r.target);
  }
  return "";
}

std::string num(double x) {
  if (x != 0 && (x >= 1e6 || x < 0.01))
    return fmt::format("{:.3g}", x);
  return fmt::format("{:.4g}", x);
}

} // namespace

void report::header() const {
  utsname u{};
  uname(&u);
  fmt::print("kvmem benchmarks ({} suite, seed {})\n", opts_.full ? "full" : "default", opts_.seed);
  fmt::print("machine: {} cores, {}; {} {}\n", std::thread::hardware_concurrency(), cpu_model(),
             u.sysname, u.release);
  fmt::print("software: {}, CAF {}.{}.{}, fmt {}.{}.{}\n", compiler(), CAF_MAJOR_VERSION,
             CAF_MINOR_VERSION, CAF_PATCH_VERSION, FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
             FMT_VERSION % 100);
  fmt::print("load average at the start (1, 5, 15 min): {}\n", load_average());
  fmt::print("every ratio compares kvmem with a baseline measured in this same process run\n\n");
}

void report::progress(const std::string& what) const {
  std::fprintf(stderr, "  .. %s\n", what.c_str());
  std::fflush(stderr);
}

void report::add(row r) {
  fmt::print("{:<5} {:<64} kvmem {:>9} vs {} {:>9} {}  ratio {:>8}  {:<8} {}\n", r.group, r.scenario,
             num(r.kvmem), r.baseline_name, num(r.baseline), r.unit, num(r.ratio), target_text(r),
             r.verdict());
  if (!r.note.empty())
    fmt::print("      {}\n", r.note);
  std::fflush(stdout);
  rows_.push_back(std::move(r));
}

int report::summary() const {
  int missed = 0;
  fmt::print("\n{:<5} {:<64} {:>10} {:>10}  {:<24} {:>9} {:<9} {}\n", "group", "scenario", "kvmem",
             "baseline", "baseline is", "ratio", "target", "verdict");
  for (auto& r : rows_) {
    fmt::print("{:<5} {:<64} {:>10} {:>10}  {:<24} {:>9} {:<9} {}\n", r.group, r.scenario,
               num(r.kvmem), num(r.baseline), r.baseline_name, num(r.ratio), target_text(r),
               r.verdict());
    if (r.verdict() == "MISS")
      ++missed;
  }
  fmt::print("\nratio: see each scenario's definition in docs/benchmarks.md; {} target(s) missed\n",
             missed);
  fmt::print("load average at the end (1, 5, 15 min): {} ({} cores)\n", load_average(),
             std::thread::hardware_concurrency());
  return missed;
}

void report::write_csv() const {
  if (opts_.csv.empty())
    return;
  std::ofstream out(opts_.csv);
  out << "group,scenario,unit,kvmem,baseline_name,baseline,ratio,ratio_is,target_op,target,verdict,"
         "note\n";
  auto q = [](const std::string& s) {
    std::string r = "\"";
    for (char c : s)
      r += c == '"' ? std::string("\"\"") : std::string(1, c);
    return r + "\"";
  };
  for (auto& r : rows_)
    out << q(r.group) << ',' << q(r.scenario) << ',' << q(r.unit) << ',' << r.kvmem << ','
        << q(r.baseline_name) << ',' << r.baseline << ',' << r.ratio << ',' << q(r.ratio_text)
        << ',' << (r.g == goal::at_most ? "<=" : r.g == goal::at_least ? ">=" : "") << ','
        << r.target << ',' << r.verdict() << ',' << q(r.note) << '\n';
  fmt::print("results written to {}\n", opts_.csv);
}

} // namespace bench
