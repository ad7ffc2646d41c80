// The store: one CAF actor owning a kvmem::tree, and how to start one.
//
// kvmem::store_actor is the typed interface; every read is one message
// carrying a read_op (read_op.hpp), every write one carrying a write_op (or
// its sugar); failures come back through CAF's error path as caf::error of
// category "kvmem" (kvmem::from_caf turns them back into kvmem::error), so
// `self->request(s.actor(), caf::infinite, kvmem::read_atom::value,
//                kvmem::read_op::get(k))
//    .then([](kvmem::read_result& r) { auto v = r.get_if<kvmem::bytes>(); ...},
//          [](caf::error& e) {...})`
// works for CAF code. Writes reply with the store's version after the write.
//
// Readers in other processes cannot share the tree's memory: a remote batch
// pins a snapshot (pin_atom), reads it with the pinned read message
// (read_atom, pin, read_op), and unpins it; the store also drops the pins of
// an actor that terminates (a remote client whose connection is gone).
//
// Keys owned by an actor: a set with an owner (an actor handle) makes that
// actor the key's owner. When the owner terminates — or, for an actor in
// another process, when its link drops (CAF kills the proxy) — the store
// removes every key it still owns in one commit of its own: watchers see one
// version. Any other write to the key, or removing or renaming it (or an
// ancestor), ends the ownership (as etcd's put without a lease); a key is
// owned by one actor at a time. This gives ZooKeeper's ephemeral nodes and
// etcd's leases without heartbeats: service registries, leader election
// (examples/registry.cpp, examples/leader_election.cpp).
//
// The store keeps a version that moves by one on every successful write and
// every successful batch commit, and never otherwise: failed writes and
// no-ops (removing an absent key, renaming a value onto itself, a batch of
// only such writes) move neither the tree nor the version. Before replying
// to a write, a local store publishes its new root, so blocking clients in
// the same process read without sending a message (see client.hpp). The
// store never dies from a client's mistake: bad arguments get error replies,
// exceptions in handlers become error replies, replies to dead clients are
// dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "kvmem/clock.hpp"
#include "kvmem/messages.hpp"
#include "kvmem/persistence.hpp"
#include "kvmem/wire.hpp"

namespace kvmem {

// --- the store actor's interface, by role -----------------------------------

/// Reads of the store's current state (Mirage_kv.RO and stat): any read as a
/// read_op; the reply holds that read's result (read_op.hpp).
using store_reads = caf::typed_actor<caf::replies_to<read_atom, read_op>::with<read_result>>;

/// Single writes (Mirage_kv.RW): each replies with the store's version after
/// it. write_atom takes any write as a write_op — conditional writes
/// included (write_op::precondition) — and the others are its sugar.
using store_writes = caf::typed_actor<
    caf::replies_to<set_atom, key, bytes>::with<version_t>,
    caf::replies_to<set_partial_atom, key, std::uint64_t, bytes>::with<version_t>,
    caf::replies_to<remove_atom, key>::with<version_t>,
    caf::replies_to<rename_atom, key, key>::with<version_t>,
    caf::replies_to<allocate_atom, key, std::uint64_t>::with<version_t>,
    caf::replies_to<allocate_atom, key, std::uint64_t, ptime>::with<version_t>,
    caf::replies_to<write_atom, write_op>::with<version_t>,
    // Writes that make `owner` the owner of the key (keys owned by an actor,
    // below): a set, or a set, set_partial or allocate as a write_op (e.g. a
    // set conditional on absence); invalid_argument for a remove, a rename
    // or an empty owner handle.
    caf::replies_to<set_atom, key, bytes, caf::actor>::with<version_t>,
    caf::replies_to<write_atom, write_op, caf::actor>::with<version_t>>;

/// The batch protocol (see batch.hpp) and the store's state.
using store_batches = caf::typed_actor<
    caf::replies_to<commit_atom, commit>::with<version_t>,
    caf::replies_to<version_atom>::with<version_t>,
    caf::replies_to<info_atom>::with<store_info>,
    // A checkpoint of at least the store's current version, durable when
    // the reply (its version) comes; invalid_argument for a store without
    // persistence (persistence.hpp).
    caf::replies_to<checkpoint_atom>::with<version_t>>;

/// Pinned snapshots, for batches of readers in other processes: pin, read
/// with the pin first, unpin.
using store_pinned_reads = caf::typed_actor<caf::replies_to<pin_atom>::with<snapshot>,
                                            caf::reacts_to<unpin_atom, pin>,
                                            caf::replies_to<read_atom, pin, read_op>::with<read_result>>;

/// Change feeds and history (watch.hpp): subscribe, acknowledge deliveries
/// (sent to the subscriber as (changes_atom, changes)), unsubscribe; pin the
/// snapshot of a retained version (the pin belongs to the sender, who reads
/// it with the pinned reads and unpins it); the diff between two retained
/// versions under a prefix.
using store_feeds = caf::typed_actor<
    caf::replies_to<watch_atom, watch_request>::with<watch_started>,
    caf::reacts_to<ack_atom, std::uint64_t, std::uint64_t>,
    caf::reacts_to<unwatch_atom, std::uint64_t>,
    caf::replies_to<at_atom, version_t>::with<snapshot>,
    caf::replies_to<diff_atom, version_t, version_t, key>::with<change_list>>;

/// What an actor in the store's own process may also ask (messages.hpp,
/// "in-process envelopes": a tree never crosses a process): the current root
/// or a retained one, a batch's commit with the root its reads saw, and a
/// watch whose start and deliveries carry the store's root.
using store_local = caf::typed_actor<
    caf::replies_to<snapshot_atom>::with<local_snapshot>,
    caf::replies_to<snapshot_atom, version_t>::with<local_snapshot>,
    caf::replies_to<commit_atom, local_commit>::with<version_t>,
    caf::replies_to<watch_atom, local_watch>::with<local_watch_started>>;

/// What a store serves over the network (remote.hpp): every role but the
/// in-process one.
using store_remote_actor = store_reads::extend_with<store_writes>::extend_with<store_batches>
    ::extend_with<store_pinned_reads>::extend_with<store_feeds>;

/// The whole store.
using store_actor = store_remote_actor::extend_with<store_local>;

/// How the store decides whether a batch's commit, made against a snapshot at
/// version `base`, may apply after the store moved past `base`.
enum class validation : std::uint8_t {
  /// By what the batch read: it applies to the current state if every read
  /// would return the same now (docs/design.md). Batches on disjoint keys
  /// never conflict. The default.
  by_reads = 1,
  /// By the store's version: any commit since `base` rejects it (the
  /// mirage-kv-mem rule; cheaper to check, more re-runs).
  by_version = 2,
};

struct store_options {
  /// Bytes of values plus segment names the store may hold (no_space beyond).
  std::uint64_t capacity = unlimited;
  /// Largest commit (a batch's writes): number of writes, and bytes of keys
  /// and data (write_op::payload_bytes). Checked by batch views as writes
  /// are buffered and again by the store at commit; batch_too_large beyond.
  std::size_t max_batch_writes = 1'000'000;
  std::uint64_t max_batch_bytes = std::uint64_t{1} << 30;
  /// Run the store on its own thread (spawn<detached>) instead of on CAF's
  /// scheduler. The default (false) serves both kinds of client at full
  /// speed: actor clients on CAF's workers reach it without a thread switch,
  /// and blocking clients run it themselves when it is idle (caller_runs).
  /// A detached store costs actor clients a thread switch per request (20x
  /// slower on this machine); it suits a store whose clients are all
  /// blocking threads and that must never run on theirs. See docs/design.md.
  bool detached = false;
  /// For a store on CAF's scheduler: a blocking client (kvmem::client, its
  /// batches and watchers) whose request finds the store idle runs the store
  /// on its own thread until that request is answered (at most 16 messages,
  /// other clients' included; then CAF's scheduler takes over), instead of
  /// waking a CAF worker that may be asleep. The store stays one actor run
  /// by one thread at a time. Set false to keep store code off client
  /// threads (each blocking call then waits for a worker: ~70 us idle).
  bool caller_runs = true;
  /// Run each batch actor on its own thread. Needed whenever a batch
  /// function may block (e.g. call a blocking client); tests on CAF's
  /// deterministic test coordinator set it false.
  bool detached_batches = true;
  /// After replying to a write, a detached store polls its mailbox for up to
  /// this many microseconds before its thread goes to sleep, so that a
  /// client's next request finds it awake (no wake-up on either side).
  /// Detached stores only.
  std::uint32_t linger_us = 20;
  /// Versions retained for reads at a version, diffs, and watchers resuming
  /// from an older version: the last `history_versions`, and those younger
  /// than `history_age` on the store's clock, measured when a write commits
  /// (0 and 0: none, the default). Each retained version keeps alive what it
  /// does not share with the current state (info() reports it), and while
  /// any is retained the store's root is always shared, so every write
  /// copies the path it changes instead of editing in place.
  std::size_t history_versions = 0;
  std::chrono::milliseconds history_age{0};
  /// How commits of batches whose snapshot is no longer current are judged.
  kvmem::validation validation = kvmem::validation::by_reads;
  /// Most snapshots pinned at once (by remote batches), in all, per client
  /// (the actor that pinned them) and per other process (all its actors
  /// together; the store's own process is not limited); more are refused.
  std::size_t max_pins = 4096;
  std::size_t max_pins_per_owner = 16;
  std::size_t max_pins_per_node = 256;
  /// Watches: most subscriptions at once, in all, per subscriber (an actor,
  /// or a remote client's proxy) and per other process (all its actors
  /// together; the store's own process is not limited), and the largest
  /// flow-control window a subscription may ask for. A subscriber's
  /// deliveries in flight are at most its window, so these bound what
  /// watchers can make the store send ahead (a remote one that stops
  /// reading included).
  std::size_t max_subscriptions = 4096;
  std::size_t max_subscriptions_per_owner = 64;
  std::size_t max_subscriptions_per_node = 512;
  std::uint32_t max_watch_window = 1024;
  /// Persistence: a directory, a sync policy, checkpoints (persistence.hpp;
  /// docs/persistence.md). Off (no directory) by default: the store is then
  /// exactly as fast as without this option. A store with a directory is
  /// opened with open_store (or spawn_store, which throws on its errors).
  persistence_options persistence{};
};

namespace detail {
class published;
struct store_access;
} // namespace detail

/// A running store: a handle to its actor and, for a store in this process,
/// to where it publishes its current root (so that blocking clients read
/// without a message). Cheap to copy; copies refer to one store. A handle
/// does not keep the store alive or stop it: see scoped_store.
class store {
public:
  /// A handle to no store.
  store() = default;

  /// The store's typed actor: send it the messages of store_actor.
  const store_actor& actor() const noexcept { return actor_; }
  /// The store's options as it was spawned with them; for a remote store,
  /// its limits (capacity, batch limits) as the server reported them when
  /// connecting, the rest defaulted.
  const store_options& options() const noexcept { return opts_; }
  /// Default bound on one blocking call of this store's clients (0: none);
  /// set for remote stores (see remote.hpp).
  std::chrono::milliseconds call_timeout() const noexcept { return call_timeout_; }
  /// True for a store in this process (reads need no message).
  bool is_local() const noexcept { return local_ != nullptr; }
  explicit operator bool() const noexcept { return static_cast<bool>(actor_); }

private:
  friend struct detail::store_access;
  store_actor actor_;
  std::shared_ptr<const detail::published> local_; // null for a remote store
  store_options opts_;
  std::chrono::milliseconds call_timeout_{0};
};

/// Spawns a store (mirage-kv-mem's `connect`): an empty root created at
/// clock.now(). The store runs until it is told to exit (e.g.
/// caf::anon_send_exit(s.actor(), caf::exit_reason::user_shutdown)), which an
/// actor system's destructor waits for: hold it in a scoped_store to have
/// that done when the handle goes out of scope.
store spawn_store(caf::actor_system& sys, any_clock clock = {}, store_options opts = {});

/// Spawns a store holding `initial` (e.g. built offline with kvmem::tree)
/// at version 0. The capacity of opts applies to later writes. With
/// opts.persistence.dir set, both forms open the store in that directory as
/// open_store does (a directory holding a store recovers it and ignores
/// `initial`), and throw std::runtime_error with the error's message if
/// that fails.
store spawn_store(caf::actor_system& sys, tree initial, any_clock clock, store_options opts = {});

/// Opens the persistent store in opts.persistence.dir (created if missing):
/// locks the directory (one store per directory, across processes), loads
/// the newest checkpoint, replays the journal after it, drops a torn final
/// record (a crash in mid-write), removes the keys that were owned by an
/// actor (their owners are gone) in one commit, and spawns the store at the
/// recovered version. What it recovers is kept whatever opts.capacity is;
/// the capacity applies to later writes (a store reopened with a smaller
/// one refuses writes with no_space until enough is removed). `report`, if
/// given, says what was found. Errors:
/// invalid_argument (no directory), unavailable (another store holds the
/// directory), io_error, corrupt (damage before the journal's tail: the
/// file and the offset; see persistence_options::recover_to_damage).
result<store> open_store(caf::actor_system& sys, any_clock clock, store_options opts,
                         recovery_report* report = nullptr);

/// An owning store handle: tells its store to shut down (user_shutdown) when
/// it is destroyed or reset, so that the actor system can end. Move-only;
/// converts to a plain (non-owning) `store` for sharing. Pending and later
/// calls of clients then fail with errc::unavailable.
class scoped_store {
public:
  scoped_store() = default;
  /// Takes ownership of `s` (e.g. `kvmem::scoped_store s{kvmem::spawn_store(sys)};`).
  explicit scoped_store(store s) noexcept : s_(std::move(s)) {}
  scoped_store(scoped_store&& x) noexcept : s_(std::exchange(x.s_, store{})) {}
  scoped_store& operator=(scoped_store&& x) noexcept {
    if (this != &x) {
      reset();
      s_ = std::exchange(x.s_, store{});
    }
    return *this;
  }
  ~scoped_store() { reset(); }

  /// The shared handle (valid to copy; stops working once this shuts down).
  const store& get() const noexcept { return s_; }
  operator const store&() const noexcept { return s_; }
  const store* operator->() const noexcept { return &s_; }

  /// Shuts the store down now (if any) and holds none. Does not wait.
  void reset() noexcept;
  /// Gives up ownership: the store keeps running.
  store release() noexcept { return std::exchange(s_, store{}); }

private:
  store s_;
};

} // namespace kvmem
