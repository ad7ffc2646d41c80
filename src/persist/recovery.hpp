// Opening a store's directory: its lock, the newest valid checkpoint, and
// the journal after it, replayed record by record (internal).
// docs/persistence.md, "Recovery", says what is an error and what is not.
#pragma once

#include <memory>
#include <set>
#include <vector>

#include "kvmem/persistence.hpp"
#include "kvmem/tree.hpp"
#include "persist/journal.hpp"

namespace kvmem::detail {

struct recovered {
  std::unique_ptr<file_lock> lock;
  tree root;
  version_t version = 0;
  /// Keys owned by an actor at the recovered version: their owners are gone;
  /// the store removes them in one commit of its own when it starts.
  std::set<key> owned;
  std::vector<journal::segment> segments; // what the journal appends after
  version_t checkpoint_version = 0;
  ptime checkpoint_taken;
  std::uint64_t checkpoint_bytes = 0;
  recovery_report report;
};

/// Locks o.dir (creating it if missing) and recovers the store in it; a
/// directory with no store gets a new one: an empty root made at `now`,
/// written as the checkpoint of version 0. The root it returns has no
/// capacity: the records are commits that applied, and the store sets its
/// own capacity for later writes. Errors: unavailable (locked), io_error,
/// corrupt (file and offset; see recover_to_damage).
result<recovered> recover(const persistence_options& o, ptime now);

/// The keys owned after applying `effects`: ownership ends at every key a
/// change touched (and below it, for a remove or a rename), as the store's
/// own rule (store_owners.cpp); then `made` that exist in `t` become owned.
void replay_owners(std::set<key>& owned, const change_list& effects, const std::vector<key>& made,
                   const tree& t);

} // namespace kvmem::detail
