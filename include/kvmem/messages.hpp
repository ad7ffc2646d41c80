// The store's messages: atoms and the types requests and replies carry.
//
// store.hpp groups them into the store actor's typed interface; wire.hpp
// says how each type travels through CAF (inspect overloads, errors).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <caf/atom.hpp>

#include "kvmem/tree.hpp"
#include "kvmem/version.hpp"
#include "kvmem/write_op.hpp"

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
using write_atom = caf::atom_constant<caf::atom("kv_write")>;
using snapshot_atom = caf::atom_constant<caf::atom("kv_snap")>;
using commit_atom = caf::atom_constant<caf::atom("kv_commit")>;
using version_atom = caf::atom_constant<caf::atom("kv_version")>;
using pin_atom = caf::atom_constant<caf::atom("kv_pin")>;
using unpin_atom = caf::atom_constant<caf::atom("kv_unpin")>;
using info_atom = caf::atom_constant<caf::atom("kv_info")>;

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
/// "absent", "value" or "dictionary".
constexpr std::string_view to_string(presence p) noexcept {
  return p == presence::absent ? "absent" : to_string(static_cast<kind>(p));
}

/// A request to apply `ops` in order, all or nothing, as one new version if
/// the store is still at `base`. Every write reaches the store as one: a
/// single write is a commit of one op that does not care about the base.
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
  std::uint64_t max_batch_writes = 0; // the store's batch limits
  std::uint64_t max_batch_bytes = 0;
};

} // namespace kvmem
