// Plots with gnuplot (Debian's gnuplot-nox): one PNG per plot stem, from the
// series the scenarios collected. Without gnuplot, the data files remain.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "harness.hpp"

namespace bench {

namespace {

struct plot_style {
  const char* title;
  const char* xlabel;
  const char* ylabel;
  bool logx;
  bool logy;
};

const std::map<std::string, plot_style>& styles() {
  static const std::map<std::string, plot_style> s{
      {"window", {"Async writes from an actor vs in-flight window", "window (requests in flight)",
                  "writes/s", true, true}},
      {"readers", {"Reads vs reader threads", "threads", "reads/s (all threads)", false, false}},
      {"latency", {"Blocking round trip latency (CDF)", "latency (us)", "fraction of ops", true,
                   false}},
      {"contention", {"Batch commits vs clients", "clients", "commits/s", false, false}},
      {"feeds", {"Write throughput vs watch subscribers (FEED)", "subscribers (watchers)",
                 "writes/s", false, false}},
  };
  return s;
}

} // namespace

void report::write_plots() const {
  if (series_.empty())
    return;
  std::filesystem::create_directories(opts_.plot_dir);
  std::map<std::string, std::vector<const series*>> by_plot;
  for (auto& s : series_)
    by_plot[s.plot].push_back(&s);
  bool have_gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  for (auto& [stem, list] : by_plot) {
    auto data = fmt::format("{}/{}.dat", opts_.plot_dir, stem);
    std::ofstream out(data);
    for (auto* s : list) {
      out << "# " << s->name << "\n";
      for (auto [x, y] : s->points)
        out << x << ' ' << y << '\n';
      out << "\n\n";
    }
    out.close();
    if (!have_gnuplot)
      continue;
    // Every plot says what its axes are, with units: a series without a
    // style is not plotted (its data file remains).
    auto it = styles().find(stem);
    if (it == styles().end()) {
      fmt::print("plot: {} has no axis labels (bench/plot.cpp, styles()): not plotted; data: {}\n",
                 stem, data);
      continue;
    }
    const plot_style& st = it->second;
    auto png = fmt::format("{}/{}.png", opts_.plot_dir, stem);
    std::string script = fmt::format(
        "set terminal pngcairo size 900,560 font 'sans,10' noenhanced\nset output '{}'\nset title '{}'\n"
        "set xlabel '{}'\nset ylabel '{}'\nset grid\nset key left top\n{}{}plot ",
        png, st.title, st.xlabel, st.ylabel, st.logx ? "set logscale x\n" : "",
        st.logy ? "set logscale y\n" : "");
    for (std::size_t i = 0; i < list.size(); ++i)
      script += fmt::format("{}'{}' index {} with linespoints title '{}'",
                            i ? ", " : "", data, i, list[i]->name);
    script += "\n";
    if (auto* p = popen("gnuplot", "w")) {
      std::fputs(script.c_str(), p);
      if (pclose(p) == 0)
        fmt::print("plot: {}\n", png);
    }
  }
}

} // namespace bench
