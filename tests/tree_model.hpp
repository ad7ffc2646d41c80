// The naive model of kvmem::tree for the differential tests: a flat map from
// path to node, written from the documented semantics (mirage-kv 6 and
// tree.hpp's versions), and the comparisons of a tree against it.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kvmem/tree.hpp"

namespace test_model {

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
std::string show(const kvmem::entry_stat& s) {
  return fmt::format("{{{} size {} t({},{}) created {} modified {} subtree {} entries {}}}", s.what, s.size,
                     s.last_modified.days, s.last_modified.ps, s.created, s.modified, s.subtree, s.entries);
}
std::string show(const error& e) {
  auto name = [](const std::optional<key>& k) { return k ? k->to_string() : std::string("-"); };
  return fmt::format("error {}({}, {}){}", e.code, name(e.path), name(e.destination), e.detail);
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
struct mnode {
  bool dict = true;
  std::string data;
  ptime mtime;
  kvmem::version_t created = 0, modified = 0; // stamped on every node, the naive way
};
enum class st { value, dict, missing, through };

struct model {
  std::map<path, mnode> m; // every entry, the root ({}) included
  std::uint64_t used = 0;
  std::uint64_t cap = kvmem::unlimited;

  model(ptime created, std::uint64_t capacity) : cap(capacity) { m[path{}] = mnode{true, {}, created, 0, 0}; }

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
  // Versions, naively: subtree is the greatest modified version at or below p.
  result<kvmem::entry_stat> stat(const path& p) const {
    if (auto e = any_error(p)) return *e;
    const mnode& n = m.at(p);
    kvmem::entry_stat s{n.dict ? kind::dictionary : kind::value, n.data.size(), n.mtime,
                        n.created, n.modified, n.modified, 0};
    for (auto it = m.find(p); it != m.end() && is_prefix(p, it->first); ++it) {
      s.subtree = std::max(s.subtree, it->second.modified);
      s.entries += it->first.size() == p.size() + 1;
    }
    return s;
  }
  void touch(const path& p, const kvmem::stamp& at) { m.at(p).mtime = at.time, m.at(p).modified = at.version; }

  // Write helpers (no checks).
  std::uint64_t intermediates_cost(const path& p) const {
    std::uint64_t c = 0;
    for (std::size_t i = 1; i < p.size(); ++i)
      if (!m.count(path(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(i)))) c += p[i - 1].size();
    return c;
  }
  void make_parents(const path& p, const kvmem::stamp& at) {
    for (std::size_t i = 1; i < p.size(); ++i) {
      path q(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(i));
      if (m.count(q)) continue;
      m[q] = mnode{true, {}, at.time, at.version, at.version};
      used += q.back().size();
      touch(parent_of(q), at);
    }
  }
  void put_value(const path& p, std::string data, ptime vtime, const kvmem::stamp& at) {
    make_parents(p, at);
    auto it = m.find(p);
    kvmem::version_t created = at.version;
    if (it != m.end()) used -= it->second.data.size() + p.back().size(), created = it->second.created;
    used += data.size() + p.back().size();
    m[p] = mnode{false, std::move(data), vtime, created, at.version};
    touch(parent_of(p), at);
  }
  void erase_subtree(const path& p) { // for the root: everything below it
    for (auto it = p.empty() ? std::next(m.begin()) : m.find(p); it != m.end() && is_prefix(p, it->first);)
      used -= it->first.back().size() + it->second.data.size(), it = m.erase(it);
  }
  result<void> space(std::uint64_t after) const { return after > cap ? error::no_space() : result<void>(); }

  // Writes.
  result<void> set(const path& p, std::string v, const kvmem::stamp& now) {
    st s = status(p);
    if (s == st::through) return error::dictionary_expected(to_key(p));
    if (s == st::dict) return error::value_expected(to_key(p));
    std::uint64_t old = s == st::value ? m.at(p).data.size() + p.back().size() : 0;
    if (auto r = space(used - old + intermediates_cost(p) + p.back().size() + v.size()); !r) return r;
    put_value(p, std::move(v), now.time, now);
    return {};
  }
  result<void> set_partial(const path& p, std::uint64_t off, const std::string& data, const kvmem::stamp& now) {
    st s = status(p);
    if (s != st::value) return set(p, data, now);
    std::string v = m.at(p).data;
    if (off >= v.size()) v += data;
    else v = v.substr(0, off) + data + (off + data.size() < v.size() ? v.substr(off + data.size()) : "");
    return set(p, std::move(v), now);
  }
  result<bool> remove(const path& p, const kvmem::stamp& now) {
    st s = status(p);
    if (s == st::missing || s == st::through || (p.empty() && m.size() == 1)) return false;
    erase_subtree(p);
    touch(parent_of(p), now);
    return true;
  }
  result<bool> rename(const path& src, const path& dst, const kvmem::stamp& now) {
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
      moved.back().second.created = moved.back().second.modified = now.version; // all of it, naively
    }
    erase_subtree(src);
    if (ts == st::value) erase_subtree(target);
    make_parents(target, now);
    for (auto& [q, n] : moved) used += q.back().size() + n.data.size(), m[q] = std::move(n);
    touch(parent_of(src), now);
    touch(parent_of(target), now);
    if (used != after) throw mismatch("model bug: rename accounting");
    return true;
  }
  result<void> allocate(const path& p, std::uint64_t n, std::optional<ptime> mt, const kvmem::stamp& now) {
    st s = status(p);
    if (s == st::value || s == st::dict) return error::already_present(to_key(p));
    if (s == st::through) return error::dictionary_expected(to_key(p));
    if (auto r = space(used + intermediates_cost(p) + p.back().size() + n); !r) return r;
    put_value(p, std::string(n, '\0'), mt.value_or(now.time), now);
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
  same("stat", ks, t.stat(k), md.stat(p));
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


} // namespace test_model
