// Field readers: each element type that may travel in a kvmem message, read
// from CAF 0.17.6's binary format without decoding it (internal, CAF-free;
// header-only).
//
// A reader walks exactly the bytes that the type's inspect overload
// (include/kvmem/wire.hpp, wire.cpp) or CAF's own serializer writes, and
// refuses what the decoder would refuse (an unknown operation, kind or
// alternative, a bool other than 0 or 1, an empty key segment or one with a
// '/', a time outside a day's picoseconds) and what it would allocate too
// much for: every length is checked against the bytes that remain and
// against a limit of its field (wire_limits below), and every element of a
// sequence is walked. What CAF then allocates for a message the readers
// accept is therefore bounded by its bytes: a value or a string is as long
// as its bytes on the wire; a key segment (at least 2 bytes: a size and a
// character) is a std::string (32 bytes) in a vector that grows by
// doubling; a write_op, read_op, requirement or change takes at least 47,
// 18, 10 or 14 bytes for at most a few hundred in memory. An actor handle
// is a proxy if it names another node (CAF creates it and keeps it until
// the peer reports the actor gone; see basp_payload.hpp).
//
// tests/message_schema_test.cpp proves the readers agree with the
// serializer: random valid values of every type are accepted consuming
// every byte, and truncations, extensions and bad lengths are refused.
// Keep each reader next to its type's inspect overload in mind: a change
// to one is a change to the other.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "kvmem/change.hpp"
#include "kvmem/read_op.hpp"
#include "kvmem/time.hpp"
#include "kvmem/write_op.hpp"
#include "wire/wire_cursor.hpp"

namespace kvmem::detail::wire {

/// What one field may hold, whoever sends it.
struct wire_limits {
  /// A key: segments, and bytes of all its segments.
  static constexpr std::uint64_t key_segments = 4096;
  static constexpr std::uint64_t key_bytes = 64 * 1024;
  /// A value (kvmem::bytes): the default frame limit is 1.25 GiB.
  static constexpr std::uint64_t value_bytes = std::uint64_t{1} << 30;
  /// The writes, reads and requirements of a commit; the changes of a
  /// delivery or a diff; the entries of a listing.
  static constexpr std::uint64_t elements = std::uint64_t{1} << 24;
  /// A string of CAF's (an error's detail, an actor's name).
  static constexpr std::uint64_t string_bytes = 64 * 1024;
  /// The elements of an error's context.
  static constexpr std::size_t context_elements = 8;
};

/// Reads one field; false (and the cursor failed) if it is refused.
using field_reader = bool (*)(cursor&);

// --- CAF's built-in types -----------------------------------------------------

constexpr std::uint64_t atom_none = 0x0f;              // atom(""): no node
constexpr std::uint64_t atom_default = 0x3e9aab9bac79; // atom("default")

/// A node id; kinds CAF 0.17.6 does not make by default (uri) are refused,
/// and so is, when the cursor knows who speaks, a node that is neither the
/// speaker's nor the receiver's.
inline std::optional<node_ref> read_node(cursor& c) {
  node_ref n;
  auto kind = c.u64();
  if (kind == atom_default) {
    n.valid = true;
    n.process = c.u32();
    auto h = c.raw(n.host.size());
    if (c.ok())
      std::memcpy(n.host.data(), h.data(), n.host.size());
  } else if (kind != atom_none) {
    c.fail("a node id of an unknown kind");
  }
  if (auto* who = c.who(); who != nullptr && n.valid && n != who->peer && n != who->self)
    c.fail("a node id that is neither the peer's nor this node's");
  if (!c.ok())
    return std::nullopt;
  return n;
}

/// An actor handle (@actor, @strong_actor_ptr): an actor id, then its node.
/// The speaker's own actors are noted (speaker::actors).
inline bool read_actor(cursor& c) {
  auto id = c.u64();
  auto n = read_node(c);
  if (auto* who = c.who(); n && who != nullptr && who->actors != nullptr && n->valid && id != 0 &&
                           *n == who->peer)
    who->actors->push_back(id);
  return n.has_value();
}

inline bool read_u8(cursor& c) { return c.u8(), c.ok(); }
inline bool read_u16(cursor& c) { return c.be(2), c.ok(); }
inline bool read_u32(cursor& c) { return c.u32(), c.ok(); }
inline bool read_u64(cursor& c) { return c.u64(), c.ok(); } // also @atom, @i64
inline bool read_bool(cursor& c) { return c.flag(), c.ok(); }
inline bool read_string(cursor& c) {
  c.string(wire_limits::string_bytes, "a string above the limit");
  return c.ok();
}

// --- kvmem's types (include/kvmem/wire.hpp) -----------------------------------

/// kvmem::key: a sequence of non-empty strings without '/'.
inline bool read_key(cursor& c) {
  auto n = c.count(wire_limits::key_segments, 2, "a key with too many segments");
  std::uint64_t total = 0;
  for (std::uint64_t i = 0; i < n && c.ok(); ++i) {
    auto seg = c.string(wire_limits::key_bytes, "a key segment above the limit");
    if (!c.ok())
      break;
    if (seg.empty())
      return c.fail("a key with an empty segment");
    if (std::memchr(seg.data(), '/', seg.size()) != nullptr)
      return c.fail("a key segment with a '/'");
    total += seg.size();
    if (total > wire_limits::key_bytes)
      return c.fail("a key above the limit");
  }
  return c.ok();
}

/// kvmem::bytes: a std::string's format.
inline bool read_bytes(cursor& c) {
  c.string(wire_limits::value_bytes, "a value above the limit");
  return c.ok();
}

/// kvmem::ptime: days, then picoseconds within the day.
inline bool read_ptime(cursor& c) {
  c.u64();
  auto ps = static_cast<std::int64_t>(c.u64());
  if (c.ok() && (ps < 0 || ps >= ptime::ps_per_day))
    return c.fail("a time outside a day's picoseconds");
  return c.ok();
}

/// A one-byte code in [lo, hi].
inline bool read_code(cursor& c, std::uint8_t lo, std::uint8_t hi, const char* unknown) {
  auto x = c.u8();
  if (c.ok() && (x < lo || x > hi))
    return c.fail(unknown);
  return c.ok();
}

/// kvmem::expect: absent, version.
inline bool read_expect(cursor& c) {
  c.flag();
  c.u64();
  return c.ok();
}

/// kvmem::write_op: op, path, destination, data, offset, size, has_time,
/// time, has_pre, pre.
inline constexpr std::size_t write_op_min_bytes = 1 + 1 + 1 + 1 + 8 + 8 + 1 + 16 + 1 + 9;
inline bool read_write_op(cursor& c) {
  read_code(c, 1, write_op::max_code, "an unknown write operation");
  read_key(c);
  read_key(c);
  read_bytes(c);
  c.u64();
  c.u64();
  c.flag();
  read_ptime(c);
  c.flag();
  return read_expect(c);
}

/// kvmem::read_op: op, path, offset, length.
inline constexpr std::size_t read_op_min_bytes = 1 + 1 + 8 + 8;
inline bool read_read_op(cursor& c) {
  read_code(c, 1, read_op::max_code, "an unknown read operation");
  read_key(c);
  c.u64();
  c.u64();
  return c.ok();
}

/// kvmem::pin: its id.
inline bool read_pin(cursor& c) { return read_u64(c); }

/// A sequence of at most `limit` elements of at least `min_bytes` each.
inline bool read_sequence(cursor& c, std::uint64_t limit, std::size_t min_bytes, field_reader element,
                          std::uint64_t* count = nullptr) {
  auto n = c.count(limit, min_bytes, "a sequence above the limit");
  for (std::uint64_t i = 0; i < n && element(c); ++i) {
  }
  if (count != nullptr)
    *count = n;
  return c.ok();
}

/// kvmem::requirement: path, expect.
inline bool read_requirement(cursor& c) {
  read_key(c);
  return read_expect(c);
}

/// kvmem::commit: base, ops, reads, reads_complete, requirements, pinned,
/// owners (key and actor pairs; no more than the commit has writes: a
/// batch owns only keys it sets).
inline bool read_commit(cursor& c) {
  c.u64();
  std::uint64_t ops = 0;
  read_sequence(c, wire_limits::elements, write_op_min_bytes, read_write_op, &ops);
  read_sequence(c, wire_limits::elements, read_op_min_bytes, read_read_op);
  c.flag();
  read_sequence(c, wire_limits::elements, 1 + 9, read_requirement);
  c.u64();
  auto owners = [](cursor& in) { return read_key(in) && read_actor(in); };
  auto n = c.count(ops, 1 + 16, "a commit owning more keys than it writes");
  for (std::uint64_t i = 0; i < n && owners(c); ++i) {
  }
  return c.ok();
}

/// kvmem::watch_request: prefix, has_from, from, window.
inline bool read_watch_request(cursor& c) {
  read_key(c);
  c.flag();
  c.u64();
  c.u32();
  return c.ok();
}

/// kvmem::entry_stat: kind, size, last_modified, created, modified,
/// subtree, entries.
inline bool read_entry_stat(cursor& c) {
  read_code(c, 1, 2, "an unknown kind");
  c.u64();
  read_ptime(c);
  for (int i = 0; i < 4; ++i)
    c.u64();
  return c.ok();
}

/// kvmem::read_result (wire.cpp): the alternative's index, then its value;
/// a kind as a code (0: absent), a listing as (key, kind) pairs.
inline bool read_read_result(cursor& c) {
  auto which = c.u8();
  if (!c.ok())
    return false;
  switch (which) {
    case 0: return read_code(c, 0, 2, "an unknown kind");
    case 1: return read_bytes(c);
    case 2: return read_u64(c);
    case 3:
      return read_sequence(c, wire_limits::elements, 2, [](cursor& in) {
        return read_key(in) && read_code(in, 1, 2, "an unknown kind in a listing");
      });
    case 4: return read_ptime(c);
    case 5: return c.raw(32), c.ok(); // a digest: 32 bytes, no size
    case 6: return read_entry_stat(c);
    default: return c.fail("an unknown kind of read result");
  }
}

/// kvmem::snapshot: version, pin.
inline bool read_snapshot(cursor& c) {
  c.u64();
  return read_u64(c);
}

/// kvmem::store_info: nineteen counters.
inline bool read_store_info(cursor& c) {
  for (int i = 0; i < 19; ++i)
    c.u64();
  return c.ok();
}

/// kvmem::watch_started: id, version.
inline bool read_watch_started(cursor& c) { return read_snapshot(c); }

/// kvmem::change: version, op, path, what, has_other, other, value.
inline bool read_change(cursor& c) {
  c.u64();
  read_code(c, 1, max_change_op, "an unknown change");
  read_key(c);
  read_code(c, 1, 2, "an unknown kind");
  c.flag();
  read_key(c);
  return read_bytes(c);
}

/// kvmem::change_list: a sequence of changes.
inline bool read_change_list(cursor& c) {
  return read_sequence(c, wire_limits::elements, 8 + 1 + 1 + 1 + 1 + 1 + 1, read_change);
}

/// kvmem::changes: id, seq, from, to, events, coalesced, resync.
inline bool read_changes(cursor& c) {
  for (int i = 0; i < 4; ++i)
    c.u64();
  read_change_list(c);
  c.flag();
  c.flag();
  return c.ok();
}

/// std::vector<kvmem::key> and std::vector<std::uint64_t> (error contexts).
inline bool read_key_vector(cursor& c) { return read_sequence(c, wire_limits::elements, 1, read_key); }
inline bool read_u64_vector(cursor& c) { return read_sequence(c, wire_limits::elements, 8, read_u64); }

// --- messages -------------------------------------------------------------------

/// A named field reader: a type as CAF names it in a message, and its reader.
struct named_field {
  std::string_view name;
  field_reader read;
};

/// A message's type list: a u16 type number (0: no numbered type), then
/// "@<>" or "@<>+name+name..." (at most a few hundred bytes for what kvmem
/// sends). Returns the names after "@<>" (empty, or "+name+name...").
inline std::string_view read_type_list(cursor& c) {
  if (c.be(2) != 0 && c.ok())
    return c.fail("a message with a numbered type"), std::string_view{};
  auto names = c.string(1024, "a message type list above the limit");
  if (!c.ok())
    return {};
  if (names.substr(0, 3) != "@<>")
    return c.fail("a malformed message type list"), std::string_view{};
  return names.substr(3);
}

/// CAF's scalars and strings: what a message may hold that needs no
/// structure (an error's context, a mistaken request; message_schema.hpp).
inline constexpr named_field scalar_fields[] = {
    {"@atom", read_u64}, {"bool", read_bool}, {"@i8", read_u8},   {"@u8", read_u8},
    {"@i16", read_u16},  {"@u16", read_u16},  {"@i32", read_u32}, {"@u32", read_u32},
    {"@i64", read_u64},  {"@u64", read_u64},  {"@str", read_string},
};

/// What else an error's context may hold: the keys and versions of
/// kvmem's errors (wire.cpp, to_caf). No nested message, no value, no
/// actor.
inline constexpr named_field error_fields[] = {
    {"kvmem::key", read_key},
    {"std::vector<kvmem::key>", read_key_vector},
    {"std::vector<std::uint64_t>", read_u64_vector},
};

/// The reader named `name` in `fields`, or null.
template <std::size_t N>
constexpr field_reader find_in(const named_field (&fields)[N], std::string_view name) noexcept {
  for (auto& f : fields)
    if (f.name == name)
      return f.read;
  return nullptr;
}

/// An error's context: a message of at most wire_limits::context_elements
/// elements of scalar_fields' and error_fields' types.
inline bool read_context(cursor& c) {
  auto names = read_type_list(c);
  std::size_t count = 0;
  while (c.ok() && !names.empty()) {
    if (names[0] != '+' || ++count > wire_limits::context_elements)
      return c.fail("an error context of an unexpected shape");
    names.remove_prefix(1);
    auto name = names.substr(0, names.find('+'));
    names.remove_prefix(name.size());
    auto read = find_in(scalar_fields, name);
    if (read == nullptr)
      read = find_in(error_fields, name);
    if (read == nullptr)
      return c.fail("an error context holding a type that is not flat");
    read(c);
  }
  return c.ok();
}

/// caf::error: a code, a category (an atom), a context message.
inline bool read_error(cursor& c) {
  c.u8();
  c.u64();
  return read_context(c);
}

// --- by name ----------------------------------------------------------------

/// Every type a kvmem message may hold as an element, by the name CAF writes
/// for it (wire_types.hpp for kvmem's; CAF's built-in names for the rest).
/// Not here, so never read: nested messages, config values, char buffers,
/// floating point, CAF's system messages (down, exit, stream, ...).
inline constexpr named_field fields[] = {
    {"kvmem::key", read_key},
    {"kvmem::bytes", read_bytes},
    {"kvmem::ptime", read_ptime},
    {"kvmem::write_op", read_write_op},
    {"kvmem::read_op", read_read_op},
    {"kvmem::commit", read_commit},
    {"kvmem::pin", read_pin},
    {"kvmem::watch_request", read_watch_request},
    {"kvmem::read_result", read_read_result},
    {"kvmem::snapshot", read_snapshot},
    {"kvmem::store_info", read_store_info},
    {"kvmem::watch_started", read_watch_started},
    {"kvmem::changes", read_changes},
    {"kvmem::change_list", read_change_list},
    {"std::vector<kvmem::key>", read_key_vector},
    {"std::vector<std::uint64_t>", read_u64_vector},
    {"@atom", read_u64},
    {"bool", read_bool},
    {"@i8", read_u8},
    {"@u8", read_u8},
    {"@i16", read_u16},
    {"@u16", read_u16},
    {"@i32", read_u32},
    {"@u32", read_u32},
    {"@i64", read_u64},
    {"@u64", read_u64},
    {"@str", read_string},
    {"@actor", read_actor},
    {"@strong_actor_ptr", read_actor},
    {"@error", read_error},
};

/// The reader of the type named `name`, or null.
constexpr field_reader find_field(std::string_view name) noexcept { return find_in(fields, name); }

} // namespace kvmem::detail::wire
