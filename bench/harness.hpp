// The benchmark harness: options, timing, results as ratios against
// baselines measured in the same run, the table, CSV and plot series.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bench {

struct options {
  bool full = false;
  std::string csv;                // write results here if set
  std::string plot_dir = "build/bench-plots";
  std::vector<std::string> only;  // scenario groups to run (empty: all)
  std::uint32_t seed = 42;
  /// Scales op counts: 1 for the default suite, more with --full.
  int scale() const { return full ? 4 : 1; }
};

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Runs f() n times; returns nanoseconds per call.
template <class F>
double ns_per_op(std::size_t n, F&& f) {
  auto t0 = clock_type::now();
  for (std::size_t i = 0; i < n; ++i)
    f(i);
  return seconds_since(t0) * 1e9 / static_cast<double>(n);
}

double median(std::vector<double> xs);
double percentile(std::vector<double> xs, double p);

/// How a ratio is judged: kvmem/baseline must be <= or >= the target.
enum class goal { none, at_most, at_least };

struct row {
  std::string group;     // "T1".."T7", "LMDB", "NET", "FEED", "HIST"
  std::string scenario;  // what was measured
  std::string unit;      // of the two figures
  double kvmem = 0;
  std::string baseline_name;
  double baseline = 0;
  double ratio = 0;      // as defined by the scenario (see `ratio_text`)
  std::string ratio_text; // e.g. "kvmem/map time"
  goal g = goal::none;
  double target = 0;
  std::string note;

  std::string verdict() const;
};

/// One line of a plot: y against x.
struct series {
  std::string plot;   // file stem, e.g. "window"
  std::string name;   // legend
  std::vector<std::pair<double, double>> points;
};

class report {
public:
  explicit report(const options& o) : opts_(o) {}
  void header() const;
  void add(row r);
  void add(series s) { series_.push_back(std::move(s)); }
  void progress(const std::string& what) const;
  /// The summary table; returns the number of missed targets.
  int summary() const;
  void write_csv() const;
  void write_plots() const;

private:
  const options& opts_;
  std::vector<row> rows_;
  std::vector<series> series_;
};

/// Runs the scenario groups.
void run_tree(const options&, report&);
void run_memory(const options&, report&);
void run_reads(const options&, report&);
void run_blocking(const options&, report&);
void run_async(const options&, report&);
void run_batches(const options&, report&);
void run_contention(const options&, report&);
void run_lmdb(const options&, report&);
void run_remote(const options&, report&);
void run_allocs(const options&, report&);
void run_feeds(const options&, report&);

} // namespace bench
