// The store's messages: atoms and the types requests and replies carry.
//
// store.hpp groups them into the store actor's typed interface; wire.hpp
// says how each type travels through CAF (inspect overloads, errors).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "kvmem/change.hpp"
#include "kvmem/event_list.hpp"
#include "kvmem/read_op.hpp"
#include "kvmem/tree.hpp"
#include "kvmem/version.hpp"
#include "kvmem/write_op.hpp"

namespace kvmem {

// --- atoms (CAF 0.17: at most 10 characters) ---------------------------------
using read_atom = caf::atom_constant<caf::atom("kv_read")>;
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
using watch_atom = caf::atom_constant<caf::atom("kv_watch")>;
using ack_atom = caf::atom_constant<caf::atom("kv_ack")>;
using unwatch_atom = caf::atom_constant<caf::atom("kv_unwatch")>;
using changes_atom = caf::atom_constant<caf::atom("kv_changes")>;
using at_atom = caf::atom_constant<caf::atom("kv_at")>;
using diff_atom = caf::atom_constant<caf::atom("kv_diff")>;
using checkpoint_atom = caf::atom_constant<caf::atom("kv_ckpt")>;

/// A snapshot the store keeps alive for reads by message (a remote batch's),
/// until unpinned or until the actor that pinned it terminates.
struct pin {
  std::uint64_t id = 0;
  friend bool operator==(const pin&, const pin&) = default;
};

/// A batch's requirement on a key (batch_view::require).
struct requirement {
  key path;
  expect what;
  friend bool operator==(const requirement&, const requirement&) = default;
};

/// A batch's request to the store: apply `ops` in order, all or nothing, as
/// one new version. The store first checks `requirements` against its
/// current state (version_mismatch if one fails: the batch is not re-run).
/// Then, if it is still at `base`, it applies; if it moved, it applies to its
/// current state only if every read in `reads` would return what it
/// returned at `base` (see docs/design.md), and rejects the commit with
/// errc::conflict otherwise — as it always does under
/// store_options::validation::by_version, or when it cannot tell. Single
/// writes are commits too, of one op and no base (store_commit.cpp).
struct commit {
  commit() = default;
  /// A commit of `ops` against version `base`, with no reads to validate.
  commit(version_t base_version, std::vector<write_op> writes)
    : base(base_version), ops(std::move(writes)) {}

  version_t base = 0;
  std::vector<write_op> ops;
  std::vector<read_op> reads; // get_partial recorded as get: both depend on the same
  bool reads_complete = true; // false: the batch read more than it records
  std::vector<requirement> requirements;
  /// The snapshot the reads saw, for validating them: a remote batch's pin
  /// (kept until after its commit); a batch in the store's process sends
  /// the snapshot's root itself instead, in a local_commit.
  pin pinned;
  /// Keys the commit makes owned by an actor (after its writes applied): see
  /// store.hpp, "keys owned by an actor".
  std::vector<std::pair<key, caf::actor>> owners;
};

/// A request to watch the keys under `prefix` (the prefix itself, and its
/// ancestors when they are written over it, included): see watch.hpp.
struct watch_request {
  key prefix;
  /// Start after this version (the subscriber has seen everything up to it);
  /// nullopt: start now.
  std::optional<version_t> from;
  /// Most deliveries sent and not yet acknowledged (at least 1).
  std::uint32_t window = 16;
};

/// The reply to a watch_request.
struct watch_started {
  std::uint64_t id = 0;  // the subscription, in deliveries, acks and unwatch
  version_t version = 0; // the feed starts after this version
};

/// One delivery of a subscription: every version in (from, to] is accounted
/// for — the events under the prefix in that range, in version order (a
/// batch's events share its version); a delivery's `from` is the previous
/// one's `to`. A delivery may cover several commits (a subscriber catching
/// up after it was held back at its window).
struct changes {
  std::uint64_t id = 0;
  std::uint64_t seq = 0; // 1, 2, ...: acknowledge with (ack_atom, id, seq),
                         // which acknowledges every delivery up to seq; sent
                         // by the subscriber itself (the store ignores acks
                         // and unwatch from other actors: ids are guessable)
  version_t from = 0;
  version_t to = 0;
  /// The store's per-commit lists, shared with every other subscriber they
  /// concern (event_list.hpp); over the network, a plain list.
  event_list events;
  /// The subscriber fell more than its window behind: the events are a diff
  /// of (from, to] (set, remove and dictionary events), not per write.
  bool coalesced = false;
  /// The requested start is no longer retained: no events; read a snapshot
  /// at `to` and continue from the next delivery.
  bool resync = false;
};

/// A snapshot the store keeps pinned for reads by message (pin_atom, and
/// at_atom for a retained version): its version and its pin.
struct snapshot {
  version_t version = 0;
  pin pinned;
};

// --- in-process envelopes ----------------------------------------------------
// A tree is an in-memory handle: it never crosses a process. What only a
// client in the store's own process can be given travels in these
// envelopes, in messages of their own (store_local in store.hpp); they are
// not registered for the network, so no peer can send or receive one.

/// A snapshot with its root: what the store publishes for readers in its
/// process, and the reply to snapshot_atom.
struct local_snapshot {
  version_t version = 0;
  tree root;
};

/// A batch's writes already applied by the batch itself, on its own thread,
/// to a copy of the root its reads saw: c.ops in order, every entry stamped
/// `at` (the store's clock when the batch committed, version c.base + 1).
struct applied_writes {
  tree root;
  stamp at;
  bool changed = false; // whether any write changed the tree
};

/// A batch's commit with the root its reads saw (for validating them) and,
/// optionally, its writes already applied: a store still at c.base that
/// describes no events adopts that root (O(1)) instead of applying c.ops
/// again; otherwise it applies c.ops to its current root as usual.
struct local_commit {
  commit c;
  tree base_root;
  std::optional<applied_writes> applied{};
};

/// A watch whose deliveries come as local_changes.
struct local_watch {
  watch_request request;
};

/// The reply to a local_watch: the start, and the store's root at its
/// version, so that a read of it plus the feed is the complete picture
/// (empty when the watch started from a version the store no longer
/// retains: the first delivery is then a resync).
struct local_watch_started {
  watch_started started;
  std::optional<tree> root;
};

/// A delivery to a local_watch subscriber: the delivery, and the store's
/// root at its `to`, where a rename_in or dictionary event's contents (and
/// a resync's state) are read.
struct local_changes {
  changes delivery;
  std::optional<tree> root;
};

/// What the store reports about itself (info_atom).
struct store_info {
  version_t version = 0;
  std::uint64_t used = 0;     // bytes counted against the capacity
  std::uint64_t capacity = 0; // kvmem::unlimited if none
  std::uint64_t pinned = 0;   // snapshots pinned by remote batches
  std::uint64_t max_batch_writes = 0; // the store's batch limits
  std::uint64_t max_batch_bytes = 0;
  std::uint64_t retained_versions = 0; // versions kept for reads at a version and diffs (the current one included)
  std::uint64_t retained_bytes = 0;    // about what those hold that the current state does not
  std::uint64_t subscriptions = 0;     // active watches
  std::uint64_t owned_keys = 0;        // keys owned by an actor
  // Persistence (persistence.hpp; all 0 for a store without it):
  std::uint64_t sync = 0;               // 0: none; else 1 + the sync_policy (none, interval, always)
  std::uint64_t journal_bytes = 0;      // in all journal segments
  std::uint64_t journal_segments = 0;
  std::uint64_t synced_version = 0;     // the last version known on disk
  std::uint64_t checkpoint_version = 0; // the last durable checkpoint
  std::uint64_t checkpoint_bytes = 0;   // its size
  std::uint64_t checkpoint_unix_ms = 0; // when it was taken (the store's clock)
  std::uint64_t checkpoint_running = 0; // 1 while one is being written
  std::uint64_t writes_refused = 0;     // 1 after a failed journal sync (read_only)
};

} // namespace kvmem

// In-process only (see above): CAF may carry them between actors of one
// system without a serializer.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kvmem::local_snapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kvmem::local_commit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kvmem::local_watch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kvmem::local_watch_started)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kvmem::local_changes)
