// A store's persistence (internal): its directory's lock, its journal, and
// its checkpoints, run on a background thread from a snapshot while the
// store goes on serving. Owned by the store's state; the store's thread
// calls everything but the callbacks, which run on the background threads.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kvmem/persistence.hpp"
#include "persist/checkpoint.hpp"
#include "persist/journal.hpp"

namespace kvmem::detail {

/// The persistence figures info() reports.
struct persistence_status {
  sync_policy sync = sync_policy::always;
  journal::stats log;
  version_t checkpoint_version = 0;
  ptime checkpoint_taken;
  std::uint64_t checkpoint_bytes = 0;
  bool checkpoint_running = false;
  bool refusing = false;
};

class persister {
public:
  /// `kick`: asks the store for another checkpoint (from the background
  /// thread, when requests wait for a version newer than the one written).
  persister(persistence_options o, std::unique_ptr<file_lock> lock, std::unique_ptr<journal> j,
            version_t checkpoint_version, ptime checkpoint_taken, std::uint64_t checkpoint_bytes);
  /// Stops a running checkpoint (its temporary file is removed), then closes
  /// the journal (which syncs it) and releases the lock.
  ~persister();
  persister(const persister&) = delete;
  persister& operator=(const persister&) = delete;

  const persistence_options& options() const noexcept { return opts_; }
  journal& log() noexcept { return *journal_; }
  /// The store's thread's buffer for encoding records.
  std::string scratch;

  void set_kick(std::function<void()> kick) { kick_ = std::move(kick); }
  using checkpoint_waiter = std::function<void(const result<version_t>&)>;
  /// `w` is called (on the background thread) once a checkpoint of at least
  /// version `at_least` is durable, or with the error of the next one.
  void wait_checkpoint(version_t at_least, checkpoint_waiter w);
  /// How many wait_checkpoint callers wait now.
  std::size_t checkpoint_waiters() const;
  /// Whether a checkpoint should start: one is wanted (a waiter, or the
  /// journal grew past checkpoint_bytes since the last) and none runs.
  bool checkpoint_due() const;
  /// Starts writing `c` on the background thread (none may run).
  void start_checkpoint(checkpoint_data c);

  persistence_status status() const;

private:
  void run_checkpoint(checkpoint_data c);

  persistence_options opts_;
  std::unique_ptr<file_lock> lock_;
  std::unique_ptr<journal> journal_;
  std::function<void()> kick_;
  mutable std::mutex m_;
  bool running_ = false;                       // m_
  std::vector<std::pair<version_t, checkpoint_waiter>> waiters_; // m_
  version_t checkpoint_version_ = 0;           // m_
  ptime checkpoint_taken_;                     // m_
  std::uint64_t checkpoint_bytes_ = 0;         // m_
  std::atomic<bool> cancel_{false};
  std::atomic<bool> waiting_{false}; // waiters_ is not empty
  std::thread thread_;
};

} // namespace kvmem::detail
