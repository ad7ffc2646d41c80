// The vocabulary of the store's messages: atoms, wire types, and how kvmem
// values travel through CAF 0.17 (inspect overloads, error mapping).
//
// Every type here serializes (so a store can be reached over CAF's network
// layer), and loading validates its input: a key with an empty segment or a
// '/', a time outside one day's picoseconds, or an unknown enum value fails
// to deserialize instead of reaching the store. Only this header and the
// actor-facing headers include CAF; the tree does not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>

#include "kvmem/bytes.hpp"
#include "kvmem/digest.hpp"
#include "kvmem/error.hpp"
#include "kvmem/key.hpp"
#include "kvmem/time.hpp"
#include "kvmem/tree.hpp"

namespace kvmem {

// --- atoms (CAF 0.17: at most 10 characters) ---------------------------------
using exists_atom = caf::atom_constant<caf::atom("kv_exists")>;
using get_atom = caf::atom_constant<caf::atom("kv_get")>;
using get_partial_atom = caf::atom_constant<caf::atom("kv_getp")>;
using size_atom = caf::atom_constant<caf::atom("kv_size")>;
using list_atom = caf::atom_constant<caf::atom("kv_list")>;
using last_modified_atom = caf::atom_constant<caf::atom("kv_mtime")>;
using digest_atom = caf::atom_constant<caf::atom("kv_digest")>;
using set_atom = caf::atom_constant<caf::atom("kv_set")>;
using set_partial_atom = caf::atom_constant<caf::atom("kv_setp")>;
using remove_atom = caf::atom_constant<caf::atom("kv_remove")>;
using rename_atom = caf::atom_constant<caf::atom("kv_rename")>;
using allocate_atom = caf::atom_constant<caf::atom("kv_alloc")>;
using snapshot_atom = caf::atom_constant<caf::atom("kv_snap")>;
using commit_atom = caf::atom_constant<caf::atom("kv_commit")>;
using version_atom = caf::atom_constant<caf::atom("kv_version")>;
using pin_atom = caf::atom_constant<caf::atom("kv_pin")>;
using unpin_atom = caf::atom_constant<caf::atom("kv_unpin")>;
using info_atom = caf::atom_constant<caf::atom("kv_info")>;

/// The category of kvmem's errors inside caf::error.
inline constexpr caf::atom_value error_category = caf::atom("kvmem");

/// A store version: moves by one on every successful write or commit.
using version_t = std::uint64_t;

/// The reply to exists (CAF 0.17 unwraps optional replies, so an enum).
/// Enums travel as their underlying integer.
enum class presence : std::uint8_t { absent = 0, value = 1, dictionary = 2 };

inline presence to_presence(std::optional<kind> k) noexcept {
  return k ? static_cast<presence>(*k) : presence::absent;
}
inline std::optional<kind> to_kind(presence p) noexcept {
  if (p == presence::absent)
    return std::nullopt;
  return static_cast<kind>(p);
}

/// One buffered write of a batch.
struct write_op {
  enum class code : std::uint8_t { set = 1, set_partial, remove, rename, allocate };
  code op = code::set;
  key k;                // the key (rename: source)
  key k2;               // rename: destination
  bytes data;           // set, set_partial
  std::uint64_t n = 0;  // set_partial: offset; allocate: size
  bool has_time = false; // allocate: whether `time` is given
  ptime time;            // allocate: last-modified time

  friend bool operator==(const write_op&, const write_op&) = default;
};

/// A write that cannot be a no-op: success means "changed" (true).
inline result<bool> changed(result<void> r) {
  if (!r)
    return std::move(r).error();
  return true;
}

/// Applies one write to a tree at time `now`; returns whether it changed
/// anything (false for the no-ops: removing an absent key, renaming a value
/// onto itself). Fails exactly as the tree operation does.
result<bool> apply(tree& t, const write_op& w, ptime now);

/// A batch's request to the store: apply `ops` in order, all or nothing, if
/// the store is still at `base`.
struct commit {
  version_t base = 0;
  std::vector<write_op> ops;
};

/// A snapshot the store keeps alive for reads by message (a remote batch's),
/// until unpinned or until the actor that pinned it terminates.
struct pin {
  std::uint64_t id = 0;
  friend bool operator==(const pin&, const pin&) = default;
};

/// A versioned snapshot of the store. `root` travels only within one process
/// (it is an in-memory handle); over the network only the version and, for a
/// pinned snapshot, its pin do: remote readers read it through messages.
struct snapshot {
  version_t version = 0;
  tree root;
  pin pinned; // id 0: not pinned
};

/// What the store reports about itself (info_atom).
struct store_info {
  version_t version = 0;
  std::uint64_t used = 0;     // bytes counted against the capacity
  std::uint64_t capacity = 0; // kvmem::unlimited if none
  std::uint64_t pinned = 0;   // snapshots pinned by remote batches
};

// --- errors through caf::error --------------------------------------------------

/// kvmem::error as caf::error: code = errc, category "kvmem", context =
/// (k, k2, attempts, detail).
caf::error to_caf(const error& e);
/// Back again. A caf::error of another category (the store is gone, a
/// timeout, a network failure) becomes errc::unavailable with its rendering.
error from_caf(const caf::error& e);
/// ADL hook so that handlers can `return errc::...;` (CAF 0.17 convention).
inline caf::error make_error(errc c) { return caf::error{static_cast<std::uint8_t>(c), error_category}; }

// --- inspect overloads (wire format) --------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, key& x) {
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
typename Inspector::result_type inspect(Inspector& f, write_op& x) {
  auto op = static_cast<std::uint8_t>(x.op);
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (op < 1 || op > 5)
      return caf::make_error(caf::sec::invalid_argument, "kvmem::write_op: unknown operation");
    x.op = static_cast<write_op::code>(op);
    return caf::none;
  });
  return f(caf::meta::type_name("kvmem::write_op"), op, x.k, x.k2, x.data, x.n, x.has_time, x.time,
           load);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, commit& x) {
  return f(caf::meta::type_name("kvmem::commit"), x.base, x.ops);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_info& x) {
  return f(caf::meta::type_name("kvmem::store_info"), x.version, x.used, x.capacity, x.pinned);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pin& x) {
  return f(caf::meta::type_name("kvmem::pin"), x.id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot& x) {
  return f(caf::meta::type_name("kvmem::snapshot"), x.version, x.pinned);
}

std::string to_string(kind k);
std::string to_string(presence p);

} // namespace kvmem
