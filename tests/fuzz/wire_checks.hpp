// What a value decoded from the wire must satisfy (wire.hpp's contract),
// and equality for the wire types that have no operator==: shared by the
// fuzz targets that decode kvmem's types (fuzz_wire, fuzz_message).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kvmem/wire.hpp"

#include "fuzz_check.hpp"

namespace kvmem_fuzz {

using namespace kvmem;

// --- validity ------------------------------------------------------------------
inline bool valid(const key& k) {
  for (const auto& s : k.segments())
    if (s.empty() || s.find('/') != std::string::npos)
      return false;
  return true;
}
// Inside kvmem's own types (change, entry_stat, read_result) a kind is
// checked when it loads; no bare kind travels.
inline bool valid(kind k) { return is_valid(k); }
inline bool valid(const ptime& t) { return t.ps >= 0 && t.ps < ptime::ps_per_day; }
inline bool valid(const write_op& w) {
  return static_cast<std::uint8_t>(w.op) >= 1 && static_cast<std::uint8_t>(w.op) <= write_op::max_code &&
         valid(w.path) && valid(w.destination) && (!w.time || valid(*w.time));
}
inline bool valid(const read_op& r) {
  return static_cast<std::uint8_t>(r.op) >= 1 && static_cast<std::uint8_t>(r.op) <= read_op::max_code &&
         valid(r.path);
}
inline bool valid(const read_result& r) {
  if (auto* k = r.get_if<std::optional<kind>>())
    return !*k || valid(**k);
  if (auto* l = r.get_if<listing>()) {
    for (auto& [name, what] : *l)
      if (!valid(name) || !valid(what))
        return false;
    return true;
  }
  if (auto* s = r.get_if<entry_stat>())
    return valid(s->what) && valid(s->last_modified);
  if (auto* t = r.get_if<ptime>())
    return valid(*t);
  return true;
}
inline bool valid(const requirement& r) { return valid(r.path); }
inline bool valid(const entry_stat& s) { return valid(s.what) && valid(s.last_modified); }
inline bool valid(const change& c) {
  return static_cast<std::uint8_t>(c.op) >= 1 && static_cast<std::uint8_t>(c.op) <= max_change_op &&
         valid(c.path) && valid(c.what) && (!c.other || valid(*c.other));
}
inline bool valid(const watch_request& w) { return valid(w.prefix); }
template <class T>
inline bool valid(const T&) { return true; } // bytes, digest, expect, pin, store_info, integers
template <class A, class B>
inline bool valid(const std::pair<A, B>& x) { return valid(x.first) && valid(x.second); }
template <class T>
inline bool valid(const std::vector<T>& xs) {
  for (const auto& x : xs)
    if (!valid(x))
      return false;
  return true;
}

inline bool valid(const commit& c) {
  return valid(c.ops) && valid(c.reads) && valid(c.requirements) && valid(c.owners);
}
inline bool valid(const changes& c) { return valid(c.events.to_vector()); }

// --- equality, where the type has no operator== ------------------------------
inline bool same(const commit& a, const commit& b) {
  return a.base == b.base && a.ops == b.ops && a.reads == b.reads && a.reads_complete == b.reads_complete &&
         a.requirements == b.requirements && a.pinned == b.pinned && a.owners == b.owners;
}
inline bool same(const watch_request& a, const watch_request& b) {
  return a.prefix == b.prefix && a.from == b.from && a.window == b.window;
}
inline bool same(const watch_started& a, const watch_started& b) { return a.id == b.id && a.version == b.version; }
inline bool same(const changes& a, const changes& b) {
  return a.id == b.id && a.seq == b.seq && a.from == b.from && a.to == b.to && a.events == b.events &&
         a.coalesced == b.coalesced && a.resync == b.resync;
}
inline bool same(const snapshot& a, const snapshot& b) { return a.version == b.version && a.pinned == b.pinned; }
inline bool same(const store_info& a, const store_info& b) {
  return a.version == b.version && a.used == b.used && a.capacity == b.capacity && a.pinned == b.pinned &&
         a.max_batch_writes == b.max_batch_writes && a.max_batch_bytes == b.max_batch_bytes &&
         a.retained_versions == b.retained_versions && a.retained_bytes == b.retained_bytes &&
         a.subscriptions == b.subscriptions && a.owned_keys == b.owned_keys && a.sync == b.sync &&
         a.journal_bytes == b.journal_bytes && a.journal_segments == b.journal_segments &&
         a.synced_version == b.synced_version && a.checkpoint_version == b.checkpoint_version &&
         a.checkpoint_bytes == b.checkpoint_bytes && a.checkpoint_unix_ms == b.checkpoint_unix_ms &&
         a.checkpoint_running == b.checkpoint_running && a.writes_refused == b.writes_refused;
}
template <class T>
inline bool same(const T& a, const T& b) { return a == b; }

} // namespace kvmem_fuzz
