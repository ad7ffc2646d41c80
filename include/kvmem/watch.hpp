// Change feeds: watching the keys under a prefix from a version.
//
// A subscriber gets ordered deliveries (kvmem::changes, messages.hpp), each
// covering a contiguous range of versions (from, to] and listing the events
// under the prefix in it — version, operation, key, kind, and a value's bytes
// — so that a subscriber can prove it missed nothing: each delivery's `from`
// is the previous one's `to`. A batch's events share its version; removing a
// dictionary of a million entries is one event. Events at an ancestor of the
// prefix (removing it, renaming it away) are delivered too.
//
// Flow control: while fewer than `window` deliveries are unacknowledged, a
// subscriber is sent each commit that concerns it at once; with its window
// full, it gathers, and when it acknowledges (cumulatively: `seq` covers
// every delivery up to it) it gets what it missed as one delivery of
// per-write events, read from a shared, bounded log of the commits' lists
// (no queue per subscriber grows). While its window is full the store also
// keeps the root the subscriber last saw, and if the log was cut
// past it, sends one coalesced delivery — the diff of the prefix between that
// root and the current one (set, remove and dictionary events). In the
// store's process the events are shared, not copied (event_list.hpp).
// Starting from an older version works if the store retains it
// (store_options::history_*): everything since, as one coalesced delivery;
// if not, the first delivery is an explicit `resync` (read a snapshot at its
// `to`; the feed continues after it), never a gap. A subscription ends when
// its subscriber terminates — for a remote subscriber, when its link drops.
//
// Actors subscribe with (watch_atom, watch_request) and receive
// (changes_atom, changes) messages, acknowledging them with
// (ack_atom, id, seq), cumulatively, e.g. every half window (store.hpp,
// store_feeds); docs/watch.md has the contract and an example. Blocking code uses client::watch (client.hpp),
// which returns a kvmem::watcher.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "kvmem/messages.hpp"
#include "kvmem/result.hpp"

namespace kvmem {

namespace detail {
class watch_inbox;
}

/// A blocking subscription (see client::watch). Not thread-safe: one thread
/// at a time. Move-only; destroying it unsubscribes.
class watcher {
public:
  watcher(watcher&&) noexcept;
  watcher& operator=(watcher&&) noexcept;
  ~watcher();

  /// The version the feed starts after.
  version_t start_version() const noexcept;
  /// For a store in this process: its root at start_version(), so that a
  /// read of it plus the feed is the complete picture (list-then-watch
  /// without a race). Empty for a remote store, and when the watch started
  /// from a version no longer retained (the first delivery is a resync).
  /// Released by the first next() so that the watcher does not keep an old
  /// state alive: copy it (O(1)) to keep it longer.
  const std::optional<tree>& start_snapshot() const noexcept;

  /// For a store in this process: its root at the `to` of the delivery
  /// next() returned last, when that delivery needs one to be read — a
  /// dictionary renamed in or appearing (rename_in, dictionary events), a
  /// resync. Empty otherwise, and for a remote store (read at a version
  /// instead). Released by the next next(): copy it (O(1)) to keep it.
  const std::optional<tree>& delivery_snapshot() const noexcept;

  /// The next delivery, waiting at most `timeout` (0: do not wait); nullopt
  /// if none came in time. Acknowledges the deliveries returned before, in
  /// one cumulative ack, once none is queued or half the window is
  /// unacknowledged (so the store sends more as this one consumes them).
  /// Errors: unavailable once the store is gone or unreachable.
  result<std::optional<changes>> next(std::chrono::milliseconds timeout);

  /// `to` of the last delivery returned (start_version() before any): where
  /// to resume from with another watch.
  version_t last_version() const noexcept;

  /// Wakes a thread waiting in next() (which then returns nullopt at once,
  /// as on a timeout, even if a delivery is queued: it stays queued), e.g.
  /// from a signal-handling thread. Thread-safe; an interrupt that arrives
  /// while nobody waits is kept for the next call.
  void interrupt() noexcept;

  /// Range-style iteration: each step waits (without a deadline) for the
  /// next delivery; the range ends when the store goes away.
  class iterator {
  public:
    const changes& operator*() const { return *current_; }
    const changes* operator->() const { return &*current_; }
    iterator& operator++();
    bool operator==(std::default_sentinel_t) const noexcept { return !current_; }

  private:
    friend class watcher;
    explicit iterator(watcher* w) : w_(w) { ++*this; }
    watcher* w_;
    std::optional<changes> current_;
  };
  iterator begin() { return iterator{this}; }
  std::default_sentinel_t end() const noexcept { return {}; }

private:
  friend class client;
  explicit watcher(std::unique_ptr<detail::watch_inbox> in) noexcept;
  std::unique_ptr<detail::watch_inbox> in_;
};

} // namespace kvmem
