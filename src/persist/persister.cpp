// Checkpoints on a background thread, and the persistence status (see
// persister.hpp).
#include "persist/persister.hpp"

#include <fmt/core.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "persist/removal.hpp"

namespace kvmem::detail {

persister::persister(persistence_options o, std::unique_ptr<file_lock> lock,
                     std::unique_ptr<journal> j, version_t checkpoint_version,
                     ptime checkpoint_taken, std::uint64_t checkpoint_bytes)
  : opts_(std::move(o)), lock_(std::move(lock)), journal_(std::move(j)),
    checkpoint_version_(checkpoint_version), checkpoint_taken_(checkpoint_taken),
    checkpoint_bytes_(checkpoint_bytes) {}

persister::~persister() {
  cancel_ = true;
  if (thread_.joinable())
    thread_.join();
  std::vector<std::pair<version_t, checkpoint_waiter>> ws;
  {
    std::lock_guard lk{m_};
    ws.swap(waiters_);
  }
  result<version_t> gone = error::make(errc::unavailable, "the store shut down");
  for (auto& [v, w] : ws)
    w(gone);
  journal_.reset(); // syncs, then the lock goes
}

void persister::wait_checkpoint(version_t at_least, checkpoint_waiter w) {
  std::lock_guard lk{m_};
  waiters_.emplace_back(at_least, std::move(w));
  waiting_ = true;
}

std::size_t persister::checkpoint_waiters() const {
  std::lock_guard lk{m_};
  return waiters_.size();
}

bool persister::checkpoint_due() const {
  // The common case first, without a lock: no waiter can have come since the
  // store's thread (the only caller) last looked without one being started.
  if (!waiting_.load(std::memory_order_relaxed) &&
      (opts_.checkpoint_bytes == 0 || journal_->since_checkpoint() < opts_.checkpoint_bytes))
    return false;
  std::lock_guard lk{m_};
  if (running_)
    return false;
  if (!waiters_.empty())
    return true;
  return opts_.checkpoint_bytes > 0 && journal_->since_checkpoint() >= opts_.checkpoint_bytes;
}

void persister::start_checkpoint(checkpoint_data c) {
  if (thread_.joinable())
    thread_.join(); // the previous one has finished (running_ is false)
  {
    std::lock_guard lk{m_};
    running_ = true;
  }
  journal_->mark_checkpoint();
  try {
    thread_ = std::thread([this, c = std::move(c)]() mutable { run_checkpoint(std::move(c)); });
  } catch (...) {
    std::lock_guard lk{m_};
    running_ = false;
    throw;
  }
}

void persister::run_checkpoint(checkpoint_data c) {
  const version_t v = c.version;
  result<version_t> outcome = v;
  // The journal up to v is synced first: a checkpoint is never ahead of
  // the journal it replaces (under `none` and `interval` it may be).
  if (auto r = journal_->sync_now(); !r) {
    outcome = r.error();
  } else {
    // Then the lowest CPU priority for this thread (Linux: nice applies per
    // thread; after the sync, which holds the journal's writer lock): the
    // checkpoint may take longer on a busy machine, but the store and its
    // clients win every contest for a core with it.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 19);
    // Under sync=always the checkpoint goes 128 KiB at a time, each piece
    // only while no commit waits for a journal sync (at most 50 ms: a stuck
    // sync does not stop it), so that a sync finds at most one piece ahead
    // of it in the disk's queue and cache. Otherwise no commit waits for a
    // sync, and 1 MiB pieces (fewer write-backs) cost the writers less CPU.
    checkpoint_pacing pacing;
    if (opts_.sync == sync_policy::always) {
      pacing.unit = std::size_t{128} << 10;
      pacing.before_each = [this] {
        if (!cancel_)
          journal_->yield_to_syncs(std::chrono::milliseconds(50));
      };
    }
    auto size = write_checkpoint(*opts_.fs, opts_.dir, c, &cancel_, pacing);
    if (!size) {
      outcome = size.error();
    } else {
      {
        std::lock_guard lk{m_};
        checkpoint_version_ = v;
        checkpoint_taken_ = c.taken;
        checkpoint_bytes_ = *size;
      }
      // Durable: what it replaces can go, a piece at a time (removal.hpp:
      // freeing a whole file's blocks at once held a journal sync for
      // 43-63 ms), paced as the checkpoint's pieces were.
      journal_->drop_through(v, pacing.before_each);
      if (auto names = opts_.fs->list(opts_.dir))
        for (auto& n : *names)
          if (auto cv = parse_checkpoint_name(n); cv && *cv < v)
            remove_gradually(*opts_.fs, opts_.dir, n, std::uint64_t{16} << 20, pacing.before_each);
    }
  }
  c.root = tree{}; // the snapshot's nodes go now, not when the thread is joined
  std::vector<std::pair<version_t, checkpoint_waiter>> done;
  bool more = false;
  {
    std::lock_guard lk{m_};
    running_ = false;
    for (auto i = waiters_.begin(); i != waiters_.end();) {
      if (!outcome || i->first <= v) {
        done.push_back(std::move(*i));
        i = waiters_.erase(i);
      } else {
        ++i;
      }
    }
    more = !waiters_.empty();
    waiting_ = more;
  }
  for (auto& [at_least, w] : done)
    w(outcome);
  if (more && kick_ && !cancel_)
    kick_();
}

persistence_status persister::status() const {
  persistence_status s;
  s.sync = opts_.sync;
  s.log = journal_->info();
  s.refusing = journal_->refused().has_value();
  std::lock_guard lk{m_};
  s.checkpoint_version = checkpoint_version_;
  s.checkpoint_taken = checkpoint_taken_;
  s.checkpoint_bytes = checkpoint_bytes_;
  s.checkpoint_running = running_;
  return s;
}

} // namespace kvmem::detail
