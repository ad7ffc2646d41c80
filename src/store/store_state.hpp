// The store actor's state and the pieces of its implementation shared by
// its files (internal): store.cpp (the behavior), store_commit.cpp (the one
// write path) and store_pins.cpp (pinned snapshots).
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "kvmem/store.hpp"
#include "persist/persister.hpp"
#include "store/commit_record.hpp"
#include "store/node_quota.hpp"
#include "store/published.hpp"
#include "store/subscription_index.hpp"

namespace kvmem::detail {

struct store_state {
  tree root;
  version_t version = 0;
  any_clock clock;
  store_options opts;
  std::shared_ptr<published> pub;
  std::uint32_t linger_hold = 0;    // writes to skip lingering after
  std::uint32_t linger_backoff = 1; // the next hold, doubling on overruns
  // Persistence (null without it): every commit is journaled before it is
  // applied (store_commit.cpp); checkpoints run beside the store.
  std::shared_ptr<persister> persist;
  // Pinned snapshots (see store.hpp), and which actor holds which pins.
  struct pinned_snapshot {
    tree root;
    caf::actor_addr owner;
  };
  std::unordered_map<std::uint64_t, pinned_snapshot> pins;
  std::unordered_map<caf::actor_addr, std::vector<std::uint64_t>> pins_by_owner;
  std::uint64_t next_pin = 1;
  // Pins and subscriptions held by each other process (peer node).
  node_quota by_node;
  // Change feeds (store_feeds.cpp).
  struct subscription {
    std::uint64_t id = 0;
    caf::strong_actor_ptr subscriber;
    key prefix;
    std::uint32_t window = 1;
    std::uint64_t sent = 0;  // deliveries sent (their seq)
    std::uint64_t acked = 0; // the highest seq acknowledged
    version_t delivered = 0; // `to` of the last delivery (or where the feed started)
    /// The log has been read for it up to here (>= delivered): nothing
    /// under its prefix in (delivered, seen].
    version_t seen = 0;
    bool local = false; // deliveries as local_changes (with the root)
    /// While its window is full: the root as of `delivered`, for a diff if
    /// the log no longer holds what it missed.
    std::optional<tree> behind;
    /// A delivery was lost (out of memory after a commit): the next one is
    /// an explicit resync from `delivered` to the store's version.
    bool resync_pending = false;
    bool full() const noexcept { return sent - acked >= window; }
    /// Room in its window: a commit that concerns it is sent at once;
    /// otherwise it gathers in the log until the subscriber acknowledges
    /// (the window is the only rule: a subscriber may ack as late as its
    /// window allows, cumulatively).
    bool eager() const noexcept { return !full(); }
  };
  std::map<std::uint64_t, subscription> subs; // node-based: the index points into it
  std::unordered_map<caf::actor_addr, std::vector<std::uint64_t>> subs_by_actor;
  prefix_index<subscription*> subs_by_prefix; // to find who an event concerns
  std::uint64_t next_sub = 1;
  std::size_t resyncs_pending = 0; // subscriptions with resync_pending set
  /// The events of each commit since the oldest point a subscription with
  /// deliveries unacknowledged has read to, shared by every delivery they go
  /// into; kept only while there is such a subscription, and bounded
  /// (store_feeds.cpp: log_max_commits, log_max_bytes).
  struct logged {
    version_t version;
    std::shared_ptr<const change_list> events;
    std::size_t bytes; // about what its events hold (keys and values)
  };
  std::deque<logged> log;
  std::size_t log_bytes = 0;
  std::size_t busy = 0; // subscriptions that are not eager(): they read the log
  std::vector<subscription*> concerned; // after_commit's scratch: who a commit concerns
  // Retained versions, oldest first (store_options::history_*).
  struct retained {
    version_t version;
    ptime at; // the store's clock when it was made (history_age)
    tree root;
    std::uint64_t alone = 0; // bytes it does not share with the next newer
  };
  std::deque<retained> history;   // consecutive versions, the newest the current
  std::uint64_t history_bytes = 0; // the sum of their `alone`
  // Keys owned by an actor (store_owners.cpp), and each owner's keys.
  std::map<key, caf::actor_addr> owned;
  std::unordered_map<caf::actor_addr, std::set<key>> owned_by;
  /// Whether `who` holds a pin, a subscription or an owned key: the store
  /// monitors an actor (once) while it holds any of them.
  bool holds_any(const caf::actor_addr& who) const {
    auto in = [&](const auto& m) {
      auto i = m.find(who);
      return i != m.end() && !i->second.empty();
    };
    return in(pins_by_owner) || in(subs_by_actor) || in(owned_by);
  }
  /// Whether commits must be described as events (someone watches or owns).
  bool wants_events() const noexcept { return !subs.empty() || !owned.empty(); }
  static inline const char* name = "kvmem.store";
};

using store_self = store_actor::stateful_pointer<store_state>;

/// The bounds of the feeds' shared log (store_state::log): past either, its
/// older half is dropped, after the subscriptions that still need it (and
/// have room in their window) are sent what they gathered; one whose window
/// is full catches up by a diff from its root instead. Process-wide; tests
/// lower them (only while no store runs).
struct feed_log_limits {
  std::size_t commits = 4096;
  std::size_t bytes = std::size_t{16} << 20;
};
extern feed_log_limits feed_log_bounds;

/// Stops monitoring `who` once it holds no pin, subscription or owned key.
void demonitor_if_unused(store_self self, const caf::actor_addr& who);

/// An error reply for an exception escaping a handler (errc::internal).
caf::error internal_error(const char* what);

// --- the write path (store_commit.cpp) -------------------------------------

/// Applies c.ops in order, all or nothing, as one new version if any of them
/// changed something; replies with the version after it (or the error of the
/// first write that failed, nothing applied). The commit must be admitted
/// first: its requirements hold (else version_mismatch), and if the store
/// moved past c.base, its reads are still current (else conflict; see
/// messages.hpp): judged against `base_root` (a batch in this process: the
/// root its reads saw) or else its pin. Every write — single or batch —
/// goes through here: same limits, same application, same publishing
/// (before the reply), same reply.
/// `applied`: c.ops already applied by the batch to a copy of base_root
/// (messages.hpp); adopted if the store is still at c.base and describes no
/// events, else ignored.
caf::result<version_t> commit_batch(store_self self, const commit& c, const tree* base_root,
                                    applied_writes* applied = nullptr);
/// One write, unconditional on the store's version (its own precondition, if
/// any, is checked as it is applied); with `owner`, the key becomes its.
caf::result<version_t> commit_single(store_self self, write_op w,
                                    std::optional<caf::actor> owner = std::nullopt);
/// Applies `ops` as one commit of the store's own (an owner's keys when it
/// terminated): no reply.
void commit_internal(store_self self, std::vector<write_op> ops);

// --- change feeds and history (store_feeds.cpp) ----------------------------

/// Subscribes the sender; `local`: its deliveries are local_changes (with
/// the store's root). Calls `reply` with the start before the first
/// delivery goes out; returns why the watch is refused, if it is.
std::optional<error> watch(store_self self, const watch_request& req, bool local,
                           const std::function<void(local_watch_started)>& reply);
void ack(store_self self, std::uint64_t id, std::uint64_t seq);
void unwatch(store_self self, std::uint64_t id);
/// A pinned snapshot of a retained version (or the current one), the pin
/// owned by the sender.
caf::result<snapshot> snapshot_at(store_self self, version_t v);
/// The root of a retained version (or the current one), or not_retained.
result<local_snapshot> local_snapshot_at(const store_state& st, version_t v);
caf::result<change_list> diff_versions(store_self self, version_t v1, version_t v2,
                                       const key& prefix);
/// After commit `rec` made version st.version: retains the version and
/// delivers its effects, which it moves out of rec (they go into one shared
/// list; nothing reads rec.effects after this).
void after_commit(store_self self, commit_record& rec);
/// After a commit whose deliveries failed part way (out of memory): every
/// subscription that may have missed it resyncs at its next chance.
void recover_feeds(store_self self) noexcept;
/// Retains the current version if history is on (at spawn, after commits),
/// made at `now` on the store's clock, and drops those past the limits.
void retain_version(store_state& st, ptime now);
/// Drops the subscriptions of an actor that terminated.
void drop_subscriptions_of(store_self self, const caf::actor_addr& who);
/// Versions retained and (about) the bytes only they hold.
std::pair<std::uint64_t, std::uint64_t> history_info(const store_state& st);

// --- keys owned by an actor (store_owners.cpp) -----------------------------

/// Keeps ownership in step with what commit `rec` did, then gives `owners`
/// their keys (monitoring new owners).
void update_owners(store_self self, const commit_record& rec,
                   const std::vector<std::pair<key, caf::actor>>& owners);
/// After update_owners failed part way (out of memory): ends the ownership
/// of every key commit `rec` touched (best effort, allocation-free).
void release_owned_on_failure(store_self self, const commit_record& rec) noexcept;
/// An owner terminated: removes every key it still owns, in one commit.
void owner_down(store_self self, const caf::actor_addr& who);

// --- persistence (store_persist.cpp) ---------------------------------------

/// Journals commit `rec` (its stamp, writes and the keys it makes owned)
/// before it is applied; the error to reply if that fails (nothing of it
/// is kept). Call only with a persister.
std::optional<error> journal_commit(store_self self, const commit_record& rec,
                                    const std::vector<std::pair<key, caf::actor>>& owners);
/// Replies `v` to the current request once the journal holds it on disk
/// (sync_policy::always): from the journal's sync thread, or here after a
/// sync of its own if the request cannot be answered from another thread.
void answer_when_synced(store_self self, version_t v) noexcept;
/// Starts a checkpoint if one is due (size, or a request waiting).
void maybe_checkpoint(store_self self) noexcept;
/// The checkpoint request (checkpoint_atom).
caf::result<version_t> request_checkpoint(store_self self);
/// The persistence fields of info().
void fill_persistence_info(const store_state& st, store_info& info);

// --- pinned snapshots (store_pins.cpp) -------------------------------------

/// Pins the current root for reads by message (pin_atom); the pin belongs to
/// the current sender, whom the store monitors.
caf::result<snapshot> pin_snapshot(store_self self);
/// Pins `root` (the store's at version v) for the current sender.
result<snapshot> pin_root(store_self self, const tree& root, version_t v);
/// Releases a pin (unpin_atom) if the sender owns it; others are ignored.
void unpin(store_self self, pin p);
/// Releases every pin of an actor that terminated.
void drop_pins_of(store_self self, const caf::actor_addr& owner);
/// The root of a pinned snapshot, or null if the pin is unknown or released.
const tree* pinned_root(store_self self, pin p);

} // namespace kvmem::detail
