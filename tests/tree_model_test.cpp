// Randomized model-based (differential) test of kvmem::tree. Every operation
// runs on the tree and on a deliberately naive flat model (path -> node),
// written from the documented semantics (mirage-kv 6, and versions: each
// step is stamped with its number; stat must match), and the two are
// compared after every step; old snapshots are retained and re-checked.
// Replay: KVMEM_SEED=<seed> [KVMEM_STEPS=<n>] ctest --test-dir build/test -R tree_model_test
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "kvmem/tree.hpp"

#include "tree_model.hpp"

namespace {

using namespace test_model;

struct snapshot { kvmem::tree t; model md; std::uint64_t step; kvmem::digest root_digest; };

// --- random inputs -----------------------------------------------------------
struct gen {
  std::mt19937_64 rng;
  std::uint64_t below(std::uint64_t n) { return rng() % n; }
  bool chance(std::uint64_t n) { return below(n) == 0; } // 1 in n
  std::string seg() { return alphabet[chance(5) ? below(alphabet.size()) : below(4)]; }
  std::string data(std::uint64_t max) {
    std::string s(below(max + 1), 'x');
    for (auto& c : s) c = chance(16) ? '\0' : static_cast<char>('a' + below(26));
    return s;
  }
  path fresh() { path p(1 + below(5)); for (auto& s : p) s = seg(); return p; }
  path existing(const model& md) {
    return std::next(md.m.begin(), static_cast<std::ptrdiff_t>(1 + below(md.m.size() - 1)))->first;
  }
  path any(const model& md) {
    std::uint64_t r = below(100);
    if (r < 4) return {};
    if (r >= 45 || md.m.size() == 1) return fresh();
    path p = existing(md); // as is, extended or its parent
    if (r % 4 == 0) p.push_back(seg());
    else if (r % 4 == 1) p.pop_back();
    return p;
  }
  path related(const model& md, path p) { // a destination for a rename of p
    switch (below(8)) {
    case 0: return parent_of(parent_of(p));
    case 1: return parent_of(p);
    case 2: if (!p.empty()) p.back() = seg(); return p; // a sibling
    case 3: p.push_back(seg()); return p;
    case 4: return p;
    default: return any(md);
    }
  }
};

template <class T>
std::string outcome(const result<T>& r) { // e.g. " ok", " true", " not_found"
  if constexpr (std::is_same_v<T, bool>) if (r) return *r ? " true" : " false";
  return r ? " ok" : fmt::format(" {}", r.error().code);
}

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

void run(std::uint64_t seed, std::uint64_t capacity, std::uint64_t steps) {
  gen g{std::mt19937_64{seed}};
  const ptime created{-2, 12345};
  kvmem::tree t{created, capacity};
  model md{created, capacity};
  std::deque<snapshot> snaps;
  std::deque<std::string> recent; // the last few operations, for context
  std::uint64_t step = 0;
  std::string op;
  std::map<std::string, std::uint64_t> seen; // outcomes, for the coverage check
  try {
    check_all(t, md);
    for (step = 1; step <= steps; ++step) {
      const kvmem::stamp now{ptime{0, static_cast<std::int64_t>(step)}, step}; // time and version
      const bool grow = (step / 2500) % 2 == 0;
      std::optional<snapshot> before; // a copy taken just before the op
      if (g.chance(64)) before = snapshot{t, md, step, t.digest(key{}).value()};
      std::uint64_t r = g.below(100);
      path p = g.any(md), p2;
      std::vector<path> touched{p, parent_of(p)};
      bool failed = false;
      auto apply = [&](const auto& actual, const auto& expected) {
        same("", op, actual, expected);
        failed = !actual;
        seen[op.substr(0, op.find('(')) + outcome(actual)]++;
      };
      if (r < (grow ? 35 : 15)) {
        std::string v = g.data(12);
        op = fmt::format("set({}, {})", to_key(p), show_str(v));
        apply(t.set(to_key(p), kvmem::bytes(v), now), md.set(p, v, now));
      } else if (r < (grow ? 50 : 23)) {
        std::uint64_t off = g.below((md.status(p) == st::value ? md.m.at(p).data.size() : 3) + 3);
        std::string v = g.data(8);
        op = fmt::format("set_partial({}, {}, {})", to_key(p), off, show_str(v));
        apply(t.set_partial(to_key(p), off, v, now), md.set_partial(p, off, v, now));
      } else if (r < (grow ? 62 : 30)) {
        std::uint64_t n = g.below(24);
        auto room = p.empty() ? 0 : static_cast<std::int64_t>(capacity - md.used - md.intermediates_cost(p) - p.back().size());
        // Sometimes aim at the exact capacity boundary: one below, at, or one over.
        if (capacity != kvmem::unlimited && md.status(p) == st::missing && g.chance(room < 64 ? 2 : 50))
          n = static_cast<std::uint64_t>(std::max<std::int64_t>(0, room + static_cast<std::int64_t>(g.below(3)) - 1));
        std::optional<ptime> mt;
        if (g.chance(2)) mt = ptime{static_cast<std::int64_t>(g.below(3)) - 1, static_cast<std::int64_t>(g.below(1000))};
        op = fmt::format("allocate({}, {}, {})", to_key(p), n, mt ? show(*mt) : "now");
        apply(t.allocate(to_key(p), n, mt, now), md.allocate(p, n, mt, now));
      } else if (r < (grow ? 96 : 60)) {
        if (md.m.size() > 1 && !g.chance(4)) p = g.existing(md);
        p2 = g.related(md, p);
        touched = {p, parent_of(p)};
        path target = p2;
        if (md.status(p2) == st::dict && !p.empty()) target.push_back(p.back());
        touched.insert(touched.end(), {p2, parent_of(p2), target, parent_of(target)});
        op = fmt::format("rename({}, {})", to_key(p), to_key(p2));
        apply(t.rename(to_key(p), to_key(p2), now), md.rename(p, p2, now));
      } else {
        if (!p.empty() && !grow && g.chance(3)) p.resize(1 + g.below(p.size())); // some shallow removes
        touched = {p, parent_of(p)};
        op = fmt::format("remove({})", to_key(p));
        apply(t.remove(to_key(p), now), md.remove(p, now));
      }
      recent.push_back(fmt::format("{}: {}", step, op));
      if (recent.size() > 6) recent.pop_front();
      if (t.used() != md.used) throw mismatch(fmt::format("used(): tree {}, model {}", t.used(), md.used));
      touched.insert(touched.end(), {g.any(md), g.fresh()}); // and two random keys
      for (const auto& q : touched) check_key(t, md, q, g.below(6), g.below(6));
      if (before) { // the copy taken before the op must not have changed
        for (const auto& q : touched) check_key(before->t, before->md, q);
        if (before->t.digest(key{}).value() != before->root_digest) throw mismatch("pre-op copy digest changed");
      }
      if (step % 500 == 0 || (failed && g.chance(40))) check_all(t, md);
      if (step % 1000 == 0) snaps.push_back(snapshot{t, md, step, t.digest(key{}).value()});
      if (snaps.size() > 6) snaps.erase(std::next(snaps.begin())); // keeps the oldest one forever
      for (const auto& s : snaps) // retained snapshots never change
        if (step % 2500 == 0 || step == steps) {
          op = fmt::format("re-checking the snapshot of step {}", s.step);
          check_all(s.t, s.md);
          if (s.t.digest(key{}).value() != s.root_digest) throw mismatch("snapshot root digest changed");
        }
    }
    op = "final check";
    check_all(t, md);
    op = "coverage check";
    if (steps >= 20'000) { // the generator must reach every case
      std::vector<std::string> want{"set ok", "set value_expected", "set dictionary_expected", "set_partial ok",
          "set_partial value_expected", "set_partial dictionary_expected", "allocate ok", "allocate already_present",
          "allocate dictionary_expected", "remove true", "remove false", "rename true", "rename false",
          "rename not_found", "rename rename_source_prefix", "rename dictionary_expected", "rename value_expected",
          "rename already_present"};
      if (capacity != kvmem::unlimited)
        for (const char* w : {"set", "set_partial", "allocate", "rename"}) want.push_back(fmt::format("{} no_space", w));
      for (const auto& w : want)
        if (!seen.count(w)) throw mismatch("the generator never produced: " + w);
    }
  } catch (const std::exception& e) {
    std::string ctx;
    for (const auto& s : recent) ctx += "\n  " + s;
    FAIL(fmt::format("seed={} capacity={} step={} op: {}\n{}\nrecent ops:{}\nreplay: KVMEM_SEED={}", seed,
                     capacity == kvmem::unlimited ? std::string("unlimited") : std::to_string(capacity), step,
                     op, e.what(), ctx, seed));
  }
  CAPTURE(seed, capacity, steps);
  REQUIRE(t.verify() == "");
}

} // namespace

TEST_CASE("tree matches a naive model over random operations") {
  const std::uint64_t steps = env_or("KVMEM_STEPS", 25'000);
  const std::uint64_t capacity = 1500;
  if (std::getenv("KVMEM_SEED")) {
    const std::uint64_t seed = env_or("KVMEM_SEED", 0);
    run(seed, kvmem::unlimited, steps);
    run(seed, capacity, steps);
    return;
  }
  run(0x5eed0001, kvmem::unlimited, steps);
  run(0x5eed0002, kvmem::unlimited, steps);
  run(0x5eed0003, kvmem::unlimited, steps);
  run(0x5eed0004, capacity, steps);
}
