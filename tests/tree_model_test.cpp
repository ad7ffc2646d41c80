// Randomized model-based (differential) test of kvmem::tree. Every operation
// runs on the tree and on a deliberately naive flat model (path -> node),
// written from the documented semantics (mirage-kv 6), and the two are
// compared after every step; old snapshots are retained and re-checked.
// Replay: KVMEM_SEED=<seed> [KVMEM_STEPS=<n>] ./tests/tree_model_test
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

namespace {

using kvmem::error;
using kvmem::key;
using kvmem::kind;
using kvmem::ptime;
using kvmem::result;
using path = std::vector<std::string>;

struct mismatch : std::runtime_error { using std::runtime_error::runtime_error; };

// Names of different lengths so that the capacity accounting of names shows;
// mostly the first four (collisions), sometimes the others (wider dictionaries).
const std::array<std::string, 14> alphabet{"a", "b", "cc", "ddd", "e", "f", "gg", "h", "ii", "j", "kkk", "l", "m", "nn"};

key to_key(const path& p) { key k; for (const auto& s : p) k = std::move(k) / s; return k; }
path parent_of(path p) { return p.empty() ? p : path(p.begin(), p.end() - 1); }
bool is_prefix(const path& a, const path& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// --- rendering, used for failure messages only ------------------------------
std::string show_str(std::string_view s) {
  std::string r = "\"";
  for (char c : s) r += c == '\0' ? std::string("\\0") : std::string(1, c);
  return r + "\"";
}
std::string show(const kvmem::bytes& b) { return show_str(b.view()); }
std::string show(bool b) { return b ? "true" : "false"; }
std::string show(std::uint64_t n) { return std::to_string(n); }
std::string show(const ptime& t) { return fmt::format("t({},{})", t.days, t.ps); }
std::string show(std::optional<kind> k) { return k ? fmt::format("{}", *k) : "nullopt"; }
std::string show(const kvmem::listing& l) {
  std::string r = "[";
  for (const auto& [k, kd] : l) r += fmt::format(" {}:{}", k, kd);
  return r + " ]";
}
std::string show(const error& e) {
  auto name = [](const std::optional<key>& k) { return k ? k->to_string() : std::string("-"); };
  return fmt::format("error {}({}, {}){}", e.code, name(e.k), name(e.k2), e.detail);
}
template <class T>
std::string show(const result<T>& r) { return r ? "ok " + show(*r) : show(r.error()); }
std::string show(const result<void>& r) { return r ? "ok" : show(r.error()); }

template <class T>
void same(const char* what, const std::string& args, const result<T>& actual, const result<T>& expected) {
  if (!(actual == expected))
    throw mismatch(fmt::format("{}: tree gave {}, model expects {}",
                               *what ? fmt::format("{}({})", what, args) : args, show(actual), show(expected)));
}

// --- the model ---------------------------------------------------------------
struct mnode { bool dict = true; std::string data; ptime mtime; };
enum class st { value, dict, missing, through };

struct model {
  std::map<path, mnode> m; // every entry, the root ({}) included
  std::uint64_t used = 0;
  std::uint64_t cap = kvmem::unlimited;

  model(ptime created, std::uint64_t capacity) : cap(capacity) { m[path{}] = mnode{true, {}, created}; }

  st status(const path& p) const {
    path q;
    for (std::size_t i = 0;; ++i) {
      auto it = m.find(q);
      if (it == m.end()) return st::missing;
      if (!it->second.dict) return i == p.size() ? st::value : st::through;
      if (i == p.size()) return st::dict;
      q.push_back(p[i]);
    }
  }
  // Direct children of p in name order, skipping each child's subtree.
  template <class F>
  void for_children(const path& p, F f) const {
    path q = p;
    q.emplace_back();
    for (auto it = m.lower_bound(q); it != m.end() && it->first.size() > p.size() && is_prefix(p, it->first);) {
      if (it->first.size() != p.size() + 1) throw mismatch("model bug: orphan " + to_key(it->first).to_string());
      f(it->first, it->second);
      q = it->first;
      q.back().push_back('\0');
      it = m.lower_bound(q);
    }
  }
  std::uint64_t recompute_used() const {
    std::uint64_t u = 0;
    for (const auto& [p, n] : m) u += p.empty() ? 0 : p.back().size() + n.data.size();
    return u;
  }

  // Reads.
  std::optional<error> read_error(const path& p, st s, bool want_dict) const {
    if (s == st::missing) return error::not_found(to_key(p));
    if (s == st::through || (s == st::value && want_dict)) return error::dictionary_expected(to_key(p));
    if (s == st::dict && !want_dict) return error::value_expected(to_key(p));
    return std::nullopt;
  }
  std::optional<kind> exists(const path& p) const {
    st s = status(p);
    return s == st::value ? kind::value : s == st::dict ? std::optional(kind::dictionary) : std::nullopt;
  }
  result<kvmem::bytes> get_partial(const path& p, std::uint64_t off, std::uint64_t len) const {
    if (auto e = read_error(p, status(p), false)) return *e;
    const std::string& d = m.at(p).data;
    return kvmem::bytes(off >= d.size() ? std::string() : d.substr(off, len));
  }
  result<kvmem::bytes> get(const path& p) const { return get_partial(p, 0, kvmem::unlimited); }
  result<std::uint64_t> size(const path& p) const {
    auto r = get(p);
    return r ? result<std::uint64_t>(r->size()) : r.error();
  }
  result<kvmem::listing> list(const path& p) const {
    if (auto e = read_error(p, status(p), true)) return *e;
    kvmem::listing l;
    for_children(p, [&](const path& c, const mnode& n) {
      l.emplace_back(to_key(c), n.dict ? kind::dictionary : kind::value);
    });
    return l;
  }
  std::optional<error> any_error(const path& p) const { // last_modified, digest
    st s = status(p);
    return s == st::through || s == st::missing ? read_error(p, s, false) : std::nullopt;
  }
  result<ptime> last_modified(const path& p) const {
    if (auto e = any_error(p)) return *e;
    return m.at(p).mtime;
  }

  // Write helpers (no checks).
  std::uint64_t intermediates_cost(const path& p) const {
    std::uint64_t c = 0;
    for (std::size_t i = 1; i < p.size(); ++i)
      if (!m.count(path(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(i)))) c += p[i - 1].size();
    return c;
  }
  void make_parents(const path& p, ptime now) {
    for (std::size_t i = 1; i < p.size(); ++i) {
      path q(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(i));
      if (m.count(q)) continue;
      m[q] = mnode{true, {}, now};
      used += q.back().size();
      m.at(parent_of(q)).mtime = now;
    }
  }
  void put_value(const path& p, std::string data, ptime vtime, ptime now) {
    make_parents(p, now);
    auto it = m.find(p);
    if (it != m.end()) used -= it->second.data.size() + p.back().size();
    used += data.size() + p.back().size();
    m[p] = mnode{false, std::move(data), vtime};
    m.at(parent_of(p)).mtime = now;
  }
  void erase_subtree(const path& p) { // for the root: everything below it
    for (auto it = p.empty() ? std::next(m.begin()) : m.find(p); it != m.end() && is_prefix(p, it->first);)
      used -= it->first.back().size() + it->second.data.size(), it = m.erase(it);
  }
  result<void> space(std::uint64_t after) const { return after > cap ? error::no_space() : result<void>(); }

  // Writes.
  result<void> set(const path& p, std::string v, ptime now) {
    st s = status(p);
    if (s == st::through) return error::dictionary_expected(to_key(p));
    if (s == st::dict) return error::value_expected(to_key(p));
    std::uint64_t old = s == st::value ? m.at(p).data.size() + p.back().size() : 0;
    if (auto r = space(used - old + intermediates_cost(p) + p.back().size() + v.size()); !r) return r;
    put_value(p, std::move(v), now, now);
    return {};
  }
  result<void> set_partial(const path& p, std::uint64_t off, const std::string& data, ptime now) {
    st s = status(p);
    if (s != st::value) return set(p, data, now);
    std::string v = m.at(p).data;
    if (off >= v.size()) v += data;
    else v = v.substr(0, off) + data + (off + data.size() < v.size() ? v.substr(off + data.size()) : "");
    return set(p, std::move(v), now);
  }
  result<bool> remove(const path& p, ptime now) {
    st s = status(p);
    if (s == st::missing || s == st::through || (p.empty() && m.size() == 1)) return false;
    erase_subtree(p);
    m.at(parent_of(p)).mtime = now;
    return true;
  }
  result<bool> rename(const path& src, const path& dst, ptime now) {
    st ss = status(src);
    if (ss == st::through) return error::dictionary_expected(to_key(src));
    if (ss == st::missing) return error::not_found(to_key(src));
    if (is_prefix(src, dst))
      return ss == st::value && src == dst ? result<bool>(false) : error::rename_source_prefix(to_key(src), to_key(dst));
    st ds = status(dst);
    if (ds == st::through) return error::dictionary_expected(to_key(dst));
    path target = dst;
    if (ds == st::dict) target.push_back(src.back());
    if (ds == st::value && ss == st::dict) return error::value_expected(to_key(src));
    if (target == src) return ss == st::value ? result<bool>(false) : error::already_present(to_key(target));
    st ts = status(target);
    if (ts == st::dict) return ss == st::value ? error::value_expected(to_key(target)) : error::already_present(to_key(target));
    if (ts == st::value && ss == st::dict) return error::already_present(to_key(target));
    std::uint64_t replaced = ts == st::value ? m.at(target).data.size() + target.back().size() : 0;
    std::uint64_t after = used - replaced - src.back().size() + target.back().size() + intermediates_cost(target);
    if (auto r = space(after); !r) return r.error();
    std::vector<std::pair<path, mnode>> moved;
    for (auto it = m.find(src); it != m.end() && is_prefix(src, it->first); ++it) {
      path q = target;
      q.insert(q.end(), it->first.begin() + static_cast<std::ptrdiff_t>(src.size()), it->first.end());
      moved.emplace_back(std::move(q), it->second);
    }
    erase_subtree(src);
    if (ts == st::value) erase_subtree(target);
    make_parents(target, now);
    for (auto& [q, n] : moved) used += q.back().size() + n.data.size(), m[q] = std::move(n);
    m.at(parent_of(src)).mtime = now;
    m.at(parent_of(target)).mtime = now;
    if (used != after) throw mismatch("model bug: rename accounting");
    return true;
  }
  result<void> allocate(const path& p, std::uint64_t n, std::optional<ptime> mt, ptime now) {
    st s = status(p);
    if (s == st::value || s == st::dict) return error::already_present(to_key(p));
    if (s == st::through) return error::dictionary_expected(to_key(p));
    if (auto r = space(used + intermediates_cost(p) + p.back().size() + n); !r) return r;
    put_value(p, std::string(n, '\0'), mt.value_or(now), now);
    return {};
  }
};

// --- comparisons -------------------------------------------------------------
void check_key(const kvmem::tree& t, const model& md, const path& p, std::uint64_t off = 1, std::uint64_t len = 3) {
  const key k = to_key(p);
  const std::string ks = k.to_string();
  if (auto a = t.exists(k), e = md.exists(p); a != e)
    throw mismatch(fmt::format("exists({}): tree gave {}, model expects {}", ks, show(a), show(e)));
  same("get", ks, t.get(k), md.get(p));
  same("size", ks, t.size(k), md.size(p));
  same("list", ks, t.list(k), md.list(p));
  same("last_modified", ks, t.last_modified(k), md.last_modified(p));
  same("get_partial", fmt::format("{}, {}, {}", ks, off, len), t.get_partial(k, off, len), md.get_partial(p, off, len));
  auto d = t.digest(k);
  auto de = md.any_error(p);
  if (d.has_value() == de.has_value() || (de && !(d.error() == *de)))
    throw mismatch(fmt::format("digest({}): tree gave {}, model expects {}", ks,
                               d ? std::string("a digest") : show(d.error()), de ? show(*de) : "a digest"));
}

void check_all(const kvmem::tree& t, const model& md) {
  for (const auto& [p, n] : md.m) {
    if (!p.empty() && md.status(parent_of(p)) != st::dict) throw mismatch("model bug: orphan entry");
    check_key(t, md, p, p.size() % 3, 1 + p.size() % 4);
  }
  if (md.used != md.recompute_used()) throw mismatch("model bug: used");
  if (t.used() != md.used) throw mismatch(fmt::format("used(): tree {}, model {}", t.used(), md.used));
  if (t.count_nodes() != md.m.size() - 1)
    throw mismatch(fmt::format("count_nodes(): tree {}, model {}", t.count_nodes(), md.m.size() - 1));
  if (auto v = t.verify(); !v.empty()) throw mismatch("verify(): " + v);
}

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
      const ptime now{0, static_cast<std::int64_t>(step)};
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
  const std::uint64_t steps = env_or("KVMEM_STEPS", 50'000);
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
