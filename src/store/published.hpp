// Where a local store publishes its current root for readers in the same
// process (internal).
//
// The store actor publishes a new snapshot after every successful write or
// commit, before it replies. A reader keeps the snapshot it loaded last and
// only compares versions on later reads (a plain atomic load of a line that
// is written once per write), so reads from several threads share nothing
// writable and scale; a read that starts after a write was acknowledged loads
// the newer version and sees it (linearizable).
//
// Reclaiming: before a write, the store takes the current snapshot back out
// of the slot (so no reader can load it any more). If no reader had loaded
// it, the store held the only other reference to its root, and dropping the
// snapshot makes the root unshared again: the write then edits the tree in
// place instead of copying the path. A reader that finds the slot empty
// waits for the store to publish the write in progress, which the store does
// before replying to anyone; seeing that newer version is linearizable, as
// the write is concurrent with such a read.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "core/cpu_relax.hpp"
#include "kvmem/clock.hpp"
#include "kvmem/messages.hpp"

namespace kvmem::detail {

class published {
public:
  explicit published(local_snapshot first, any_clock clock = {})
    : current_(std::make_shared<const local_snapshot>(std::move(first))),
      version_(current_.load()->version), clock_(std::move(clock)) {}

  /// The store's clock: a batch in this process stamps the writes it applies
  /// to its own copy with it (batch_runner.cpp).
  const any_clock& clock() const noexcept { return clock_; }

  /// Whether the store describes its commits as events (someone watches or
  /// owns a key), as of the last publish: a batch then does not apply its
  /// writes itself, as the store would apply them again. A hint only.
  bool describes_commits() const noexcept { return describes_.load(std::memory_order_relaxed); }
  /// Store side only.
  void describes_commits(bool yes) noexcept { describes_.store(yes, std::memory_order_relaxed); }

  /// The version of the snapshot being published or last published
  /// (acquire): never older than a snapshot any reader has loaded, and
  /// never older than the last acknowledged write.
  version_t version() const noexcept { return version_.load(std::memory_order_acquire); }

  /// The current snapshot (an atomic shared_ptr load); waits while the
  /// store has it out for a write (never longer than that write).
  std::shared_ptr<const local_snapshot> load() const {
    for (int spins = 0;; ++spins) {
      if (auto s = current_.load(std::memory_order_acquire))
        return s;
      if (spins < 64)
        cpu_relax();
      else
        std::this_thread::yield();
    }
  }

  /// What reclaim() took out of the slot: the snapshot if a reader may still
  /// hold it (the caller keeps it until after its reply, and the root's nodes
  /// immutable, which the tree's path copying does by itself); or, if nobody
  /// had loaded it, its object emptied for the next publish (no allocation
  /// per write): its root is dropped, so the store's root is ours alone.
  struct reclaimed {
    std::shared_ptr<const local_snapshot> held;
    std::shared_ptr<local_snapshot> spare;
  };

  /// Store side only: takes the current snapshot out of the slot (see
  /// reclaimed). Follow with publish().
  reclaimed reclaim() {
    auto s = current_.exchange(nullptr, std::memory_order_acq_rel);
    if (!s || s.use_count() != 1)
      return {std::move(s), nullptr};
    // Nobody loaded it and nobody can now: the object is ours to reuse.
    auto spare = std::const_pointer_cast<local_snapshot>(std::move(s));
    spare->root = tree{};
    return {nullptr, std::move(spare)};
  }

  /// Store side only: makes `s` current, then its version visible. Returns
  /// the previous snapshot, so that the caller decides when to free it (after
  /// replying, off the writer's critical path).
  ///
  /// The version goes first. A reader that loads `s` (acquire) therefore
  /// sees a version at least as new, so its cache reloads rather than serve
  /// an older cached snapshot after it saw this one. The other order left a
  /// window in which a batch read version v and the next get read v - 1
  /// (caught by concurrency_test in CI; published_test reproduces it). A
  /// reader that sees the new version before the slot is filled waits in
  /// load(): the slot is empty from reclaim() until here.
  [[nodiscard]] std::shared_ptr<const local_snapshot> publish(std::shared_ptr<const local_snapshot> s) {
    version_.store(s->version, std::memory_order_release);
    return current_.exchange(std::move(s), std::memory_order_acq_rel);
  }

private:
  std::atomic<std::shared_ptr<const local_snapshot>> current_;
  alignas(64) std::atomic<version_t> version_;
  any_clock clock_;
  std::atomic<bool> describes_{false};
};

/// A reader's cached view of a published store: refresh() returns the
/// current snapshot, reloading only when the version moved.
class snapshot_cache {
public:
  const local_snapshot& refresh(const published& p) {
    auto v = p.version();
    if (!cur_ || cur_->version != v)
      cur_ = p.load();
    return *cur_;
  }
  void clear() noexcept { cur_.reset(); }

private:
  std::shared_ptr<const local_snapshot> cur_;
};

} // namespace kvmem::detail
