// Where a local store publishes its current root for readers in the same
// process (internal).
//
// The store actor publishes a new snapshot after every successful write or
// commit, before it replies. A reader keeps the snapshot it loaded last and
// only compares versions on later reads (a plain atomic load of a line that
// is written once per write), so reads from several threads share nothing
// writable and scale; a read that starts after a write was acknowledged loads
// the newer version and sees it (linearizable).
#pragma once

#include <atomic>
#include <memory>

#include "kvmem/messages.hpp"

namespace kvmem::detail {

class published {
public:
  explicit published(snapshot first)
    : current_(std::make_shared<const snapshot>(std::move(first))),
      version_(current_.load()->version) {}

  /// The store's version as of its last acknowledged write (acquire).
  version_t version() const noexcept { return version_.load(std::memory_order_acquire); }

  /// The current snapshot (an atomic shared_ptr load).
  std::shared_ptr<const snapshot> load() const { return current_.load(std::memory_order_acquire); }

  /// Store side only: makes `s` current, then its version visible.
  void publish(std::shared_ptr<const snapshot> s) {
    auto v = s->version;
    current_.store(std::move(s), std::memory_order_release);
    version_.store(v, std::memory_order_release);
  }

private:
  std::atomic<std::shared_ptr<const snapshot>> current_;
  alignas(64) std::atomic<version_t> version_;
};

/// A reader's cached view of a published store: refresh() returns the
/// current snapshot, reloading only when the version moved.
class snapshot_cache {
public:
  const snapshot& refresh(const published& p) {
    auto v = p.version();
    if (!cur_ || cur_->version != v)
      cur_ = p.load();
    return *cur_;
  }
  void clear() noexcept { cur_.reset(); }

private:
  std::shared_ptr<const snapshot> cur_;
};

} // namespace kvmem::detail
