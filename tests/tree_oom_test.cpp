// A failed write changes nothing, also when memory runs out: every write
// kind and batch shape of the model tests, with allocation N made to fail
// for N = 1, 2, ... until the write succeeds (tests/failing_alloc.hpp, as
// immer's test/dada.hpp). After each failure the tree, a snapshot held
// across the write, and the effects reported so far are exactly as before;
// the write that finally succeeds gives what the same write gives on a twin
// tree that never ran out of memory. Runs with the node cache warm and
// cold, so that reservations allocate too.
// Replay: KVMEM_SEED=<seed> ./tree_oom_test
#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "failing_alloc.hpp"
#include "kvmem/tree.hpp"
#include "kvmem/write_op.hpp"
#include "tree/node_reserve.hpp"

using namespace kvmem;

namespace {

// Everything a reader can observe of a tree, as text (allocates: call it
// disarmed).
std::string fingerprint(const tree& t) {
  std::string out = fmt::format("used {} verify [{}]\n", t.used(), t.verify());
  std::vector<key> todo{key{}};
  while (!todo.empty()) {
    key k = std::move(todo.back());
    todo.pop_back();
    auto s = t.stat(k).value();
    out += fmt::format("{} {} {} {}/{} c{} m{} s{} n{}", k, s.what, s.size, s.last_modified.days,
                       s.last_modified.ps, s.created, s.modified, s.subtree, s.entries);
    if (s.what == kind::value) {
      out += fmt::format(" = {:?}\n", t.get(k).value().str());
    } else {
      out += '\n';
      for (auto& [child, what] : t.list(k).value())
        todo.push_back(child);
    }
  }
  return out;
}

struct gen {
  std::mt19937_64 rng;
  std::uint64_t below(std::uint64_t n) { return rng() % n; }
  std::string seg() {
    static const char* const names[] = {"a", "b", "c", "d", "long-segment-name-beyond-16", "x",
                                        "another-long-name-of-a-segment"};
    return names[below(std::size(names))];
  }
  key any_key() {
    key k;
    for (auto n = 1 + below(4); n > 0; --n)
      k = std::move(k) / seg();
    return k;
  }
  bytes value() { return bytes{std::string(below(40), static_cast<char>('a' + below(26)))}; }
  write_op op(const tree& t) {
    auto k = any_key();
    std::optional<expect> pre;
    if (below(6) == 0) {
      auto s = t.stat(k);
      pre = s ? expect::modified(s->modified) : expect::none();
    }
    switch (below(10)) {
      case 0:
      case 1:
      case 2: return write_op::set(k, value(), pre);
      case 3: return write_op::set_partial(k, below(20), value());
      case 4:
      case 5: return write_op::remove(below(8) == 0 ? k.parent() : k, pre);
      case 6:
      case 7: return write_op::rename(k, below(3) == 0 ? any_key().parent() : any_key(), pre);
      default: return write_op::allocate(k, below(30));
    }
  }
};

std::string show(const result<bool>& r) {
  return r ? (*r ? "changed" : "no-op") : fmt::format("{}", r.error());
}

// One write under a failing allocator with `budget` allocations to go;
// returns nullopt if the allocator fired (and checks that nothing changed),
// else the write's result (and takes what it used from the budget).
std::optional<result<bool>> attempt(tree& t, const write_op& w, const stamp& at,
                                    change_list& effects, std::uint64_t& budget,
                                    const tree* snapshot) {
  const auto before = fingerprint(t);
  const auto snap_before = snapshot ? fingerprint(*snapshot) : std::string{};
  const auto effects_before = effects;
  const auto c0 = test_alloc::count();
  result<bool> r = false;
  bool fired;
  {
    test_alloc::scope armed{budget};
    r = apply(t, w, at, &effects);
    fired = test_alloc::fired();
  }
  if (!fired) {
    budget -= test_alloc::count() - c0;
    return r;
  }
  INFO("the write failed at its allocation " << budget);
  REQUIRE(!r);
  REQUIRE(r.error().code == errc::no_space);
  REQUIRE(fingerprint(t) == before);
  REQUIRE(effects == effects_before);
  if (snapshot)
    REQUIRE(fingerprint(*snapshot) == snap_before);
  return std::nullopt;
}

} // namespace

TEST_CASE("every allocation of every write may fail: the tree, its snapshots and the effects are "
          "unchanged, and the write then succeeds as if memory had never run out") {
  const char* env = std::getenv("KVMEM_SEED");
  const std::uint64_t seed = env ? std::strtoull(env, nullptr, 0) : std::random_device{}();
  INFO("seed " << seed << " (replay: KVMEM_SEED=" << seed << ")");
  gen g{std::mt19937_64{seed}};
  tree t{ptime{1, 0}}, twin{ptime{1, 0}}; // evolve alike, share no node
  std::uint64_t attempts = 0, failures = 0;
  for (std::uint64_t step = 1; step <= 300; ++step) {
    const stamp at{ptime{1, static_cast<std::int64_t>(step)}, step};
    const int mode = static_cast<int>(step % 3); // 0 in place, 1 a snapshot held, 2 a batch
    std::vector<write_op> ops{g.op(t)};
    if (mode == 2)
      for (auto n = g.below(4); n > 0; --n)
        ops.push_back(g.op(t));
    INFO(fmt::format("step {} mode {} first op {} {} -> {}", step, mode, static_cast<int>(ops[0].op),
                     ops[0].path, ops[0].destination));
    // What the batch gives without failures, on the twin (all or nothing).
    change_list twin_effects;
    tree twin_next = twin;
    result<bool> expected = false;
    for (auto& w : ops) {
      auto r = apply(twin_next, w, at, &twin_effects);
      if (!r) {
        expected = r;
        break;
      }
      expected = *expected || *r;
    }
    if (expected)
      twin = std::move(twin_next);
    // The same under failures: N = 1, 2, ... until it goes through.
    for (std::uint64_t n = 1;; ++n) {
      ++attempts;
      if (n % 2 == 0)
        detail::drain_node_cache(); // a cold cache: every reservation allocates
      std::uint64_t budget = n;
      change_list effects;
      std::optional<tree> snapshot;
      if (mode == 1)
        snapshot = t;
      tree next = mode == 2 ? t : tree{};
      tree& target = mode == 2 ? next : t;
      std::optional<result<bool>> got = result<bool>{false};
      for (auto& w : ops) {
        auto r = attempt(target, w, at, effects, budget, mode == 1 ? &*snapshot : nullptr);
        if (!r || !*r) {
          got = r;
          break;
        }
        got = result<bool>{**got || **r};
      }
      if (!got) {
        ++failures;
        continue; // the allocator fired: try again with one more allocation
      }
      REQUIRE(show(*got) == show(expected));
      if (*got && mode == 2)
        t = std::move(next);
      if (*got)
        REQUIRE(effects == twin_effects);
      break;
    }
    REQUIRE(fingerprint(t) == fingerprint(twin));
  }
  INFO("attempts " << attempts << ", failed allocations " << failures);
  CHECK(failures > 300); // the loop did inject failures (sanity of the harness)
}
