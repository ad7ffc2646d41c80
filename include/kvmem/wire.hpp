// How kvmem's values travel through CAF 0.17: inspect overloads for every
// message type, kvmem::error <-> caf::error, and type registration.
//
// Every type here serializes (so a store can be reached over CAF's network
// layer), and loading validates its input: a key with an empty segment or a
// '/', a time outside one day's picoseconds, or an unknown code inside one of
// kvmem's structs (a kind included: no bare enum travels) fails to
// deserialize instead of reaching the store or a client. CAF needs the
// inspect overloads wherever these types are sent, even locally, so
// store.hpp includes this header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/deserializer.hpp>
#include <caf/serializer.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>

#include "kvmem/error.hpp"
#include "kvmem/messages.hpp"

namespace kvmem {

/// The category of kvmem's errors inside caf::error.
inline constexpr caf::atom_value error_category = caf::atom("kvmem");

/// kvmem::error as caf::error: code = errc, category "kvmem", context =
/// (keys named, attempts, detail).
caf::error to_caf(const error& e);

/// Back again. A caf::error of another category (the store is gone, a
/// timeout, a network failure) becomes errc::unavailable, its detail saying
/// what happened in words.
error from_caf(const caf::error& e);


/// Registers kvmem's message types and error renderer on a config: needed
/// by both ends of a remote connection (enable_remote does it), harmless
/// otherwise. Call before the actor system is constructed.
void register_types(caf::actor_system_config& cfg);

// --- inspect overloads (wire format) --------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, key& x) {
  if constexpr (std::is_same_v<Inspector, caf::deserializer>) {
    // Loading: the segment count is checked against what is left of the
    // message (each segment takes at least 2 bytes) and reserved exactly,
    // and each segment is checked as it arrives, so a bad key costs at most
    // what it holds up to its first bad segment (CAF's own sequence loader
    // grows the vector by doubling and validates only at the end).
    std::size_t n = 0;
    if (auto e = f.begin_sequence(n))
      return e;
    if (auto* bin = dynamic_cast<caf::binary_deserializer*>(&f); bin && n > bin->remaining() / 2)
      return caf::make_error(caf::sec::invalid_argument, "kvmem::key: more segments than bytes");
    std::vector<std::string> segs;
    segs.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::string seg;
      if (auto e = f(seg))
        return e;
      if (seg.empty() || seg.find('/') != std::string::npos)
        return caf::make_error(caf::sec::invalid_argument, "kvmem::key: invalid segment");
      segs.push_back(std::move(seg));
    }
    if (auto e = f.end_sequence())
      return e;
    if (!key::from_segments(std::move(segs), &x))
      return caf::make_error(caf::sec::invalid_argument, "kvmem::key: invalid segment");
    return caf::none;
  }
  std::vector<std::string> segs;
  if constexpr (Inspector::reads_state)
    segs = x.segments();
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (!key::from_segments(std::move(segs), &x))
      return caf::make_error(caf::sec::invalid_argument, "kvmem::key: invalid segment");
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::key"), segs, load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bytes& x) {
  // The binary wire format is a std::string's (a length, then the bytes);
  // saving and loading go straight from and into the value's buffer, so a
  // large value is not copied on the way.
  if constexpr (std::is_same_v<Inspector, caf::serializer>) {
    std::size_t n = static_cast<std::size_t>(x.size());
    if (auto e = f.begin_sequence(n))
      return e;
    if (n > 0)
      if (auto e = f.apply_raw(n, const_cast<char*>(x.data())))
        return e;
    return f.end_sequence();
  } else if constexpr (std::is_same_v<Inspector, caf::deserializer>) {
    std::size_t n = 0;
    if (auto e = f.begin_sequence(n))
      return e;
    // A length larger than what is left of the message is a lie: refuse it
    // before allocating it.
    if (auto* bin = dynamic_cast<caf::binary_deserializer*>(&f); bin && n > bin->remaining())
      return caf::make_error(caf::sec::invalid_argument, "kvmem::bytes: length beyond the message");
    auto [value, e] = bytes::build(n, [&](char* p) { return n ? f.apply_raw(n, p) : caf::error{}; });
    if (e)
      return e;
    x = std::move(value);
    return f.end_sequence();
  }
  std::string s;
  if constexpr (Inspector::reads_state)
    s = x.str();
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x = bytes{s};
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::bytes"), s, load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ptime& x) {
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (!ptime::of_d_ps(x.days, x.ps))
      return caf::make_error(caf::sec::invalid_argument, "kvmem::ptime: picoseconds out of range");
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::ptime"), x.days, x.ps, load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, digest& x) {
  return f(caf::meta::type_name("kvmem::digest"), x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, expect& x) {
  return f(caf::meta::type_name("kvmem::expect"), x.absent, x.version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_op& x) {
  auto op = static_cast<std::uint8_t>(x.op);
  bool has_time = x.time.has_value();
  ptime time = x.time.value_or(ptime{});
  bool has_pre = x.precondition.has_value();
  expect pre = x.precondition.value_or(expect{});
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (op < 1 || op > write_op::max_code)
      return caf::make_error(caf::sec::invalid_argument, "kvmem::write_op: unknown operation");
    x.op = static_cast<write_op::code>(op);
    x.time = has_time ? std::optional<ptime>{time} : std::nullopt;
    x.precondition = has_pre ? std::optional<expect>{pre} : std::nullopt;
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::write_op"), op, x.path, x.destination, x.data, x.offset, x.size, has_time, time,
           has_pre, pre, load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_op& x) {
  auto op = static_cast<std::uint8_t>(x.op);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (op < 1 || op > read_op::max_code)
      return caf::make_error(caf::sec::invalid_argument, "kvmem::read_op: unknown read");
    x.op = static_cast<read_op::code>(op);
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::read_op"), op, x.path, x.offset, x.length, load);
}

namespace detail {
// The wire form of a read_result (wire.cpp): a one-byte index of the
// alternative, then its value; a kind travels as a checked code (CAF loads
// a bare enum from any byte), a listing's length is checked against the
// bytes left before anything is allocated.
caf::error save_read_result(caf::serializer& f, read_result& x);
caf::error load_read_result(caf::deserializer& f, read_result& x);
std::string describe_read_result(const read_result& x);
} // namespace detail

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_result& x) {
  if constexpr (std::is_same_v<Inspector, caf::serializer>) {
    return detail::save_read_result(f, x);
  } else if constexpr (std::is_same_v<Inspector, caf::deserializer>) {
    return detail::load_read_result(f, x);
  } else {
    std::string s;
    if constexpr (Inspector::reads_state)
      s = detail::describe_read_result(x);
    return f(caf::meta::type_name("kvmem::read_result"), s);
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, requirement& x) {
  return f(caf::meta::type_name("kvmem::requirement"), x.path, x.what);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, commit& x) {
  return f(caf::meta::type_name("kvmem::commit"), x.base, x.ops, x.reads, x.reads_complete,
           x.requirements, x.pinned, x.owners);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change& x) {
  auto op = static_cast<std::uint8_t>(x.op);
  auto what = static_cast<std::uint8_t>(x.what);
  bool has_other = x.other.has_value();
  key other = x.other.value_or(key{});
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (op < 1 || op > max_change_op || what < 1 || what > 2)
      return caf::make_error(caf::sec::invalid_argument, "kvmem::change: unknown operation or kind");
    x.op = static_cast<change_op>(op);
    x.what = static_cast<kind>(what);
    x.other = has_other ? std::optional<key>{std::move(other)} : std::nullopt;
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::change"), x.version, op, x.path, what, has_other, other,
           x.value, load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch_request& x) {
  bool has_from = x.from.has_value();
  version_t from = x.from.value_or(0);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.from = has_from ? std::optional<version_t>{from} : std::nullopt;
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::watch_request"), x.prefix, has_from, from, x.window, load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch_started& x) {
  return f(caf::meta::type_name("kvmem::watch_started"), x.id, x.version);
}

// The events travel as a plain change_list (the shared lists are an
// in-process economy): copied out when saved, one list of its own when loaded.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, changes& x) {
  change_list events;
  if constexpr (Inspector::reads_state)
    events = x.events.to_vector();
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.events = event_list{std::move(events)};
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::changes"), x.id, x.seq, x.from, x.to, events,
           x.coalesced, x.resync, load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry_stat& x) {
  auto k = static_cast<std::uint8_t>(x.what);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (k != static_cast<std::uint8_t>(kind::value) &&
        k != static_cast<std::uint8_t>(kind::dictionary))
      return caf::make_error(caf::sec::invalid_argument, "kvmem::entry_stat: unknown kind");
    x.what = static_cast<kind>(k);
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::entry_stat"), k, x.size, x.last_modified, x.created,
           x.modified, x.subtree, x.entries, load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_info& x) {
  return f(caf::meta::type_name("kvmem::store_info"), x.version, x.used, x.capacity, x.pinned,
           x.max_batch_writes, x.max_batch_bytes, x.retained_versions, x.retained_bytes,
           x.subscriptions, x.owned_keys, x.sync, x.journal_bytes, x.journal_segments,
           x.synced_version, x.checkpoint_version, x.checkpoint_bytes, x.checkpoint_unix_ms,
           x.checkpoint_running, x.writes_refused);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pin& x) {
  return f(caf::meta::type_name("kvmem::pin"), x.id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot& x) {
  return f(caf::meta::type_name("kvmem::snapshot"), x.version, x.pinned);
}

} // namespace kvmem
