// The batch protocol, written once (internal): snapshot -> run f -> commit
// -> on conflict run again; too_many_retries after `retries` attempts; f's
// exceptions and the batch limits. See batch.hpp for the contract.
//
// batch_runner decides and never waits: it says what its driver must do next
// (step) and is told what came of it. Two drivers move it: the blocking
// client's batches (drive_blocking below: synchronous calls through a
// caller, on the calling thread) and the batch actor of actor clients
// (batch_actor.cpp: asynchronous requests). A store in this process needs no
// message for the snapshot: the runner reads its published root itself. A
// remote store's batch pins a snapshot, reads it by message, and unpins it
// once the store has answered its commit (which validates the batch's reads
// against that snapshot).
#pragma once

#include <functional>

#include "kvmem/batch.hpp"
#include "kvmem/store.hpp"

namespace kvmem::detail {

class caller;
class message_reads;

/// The batch function, type-erased.
using batch_body = std::function<void(batch_view&)>;

class batch_runner {
public:
  /// What the driver must do next.
  enum class step {
    pin,    // remote store: request pin_atom, then call pinned()
    commit, // send take_commit() as commit_atom, then call committed()
    done,   // the batch is over: outcome() holds its result
  };

  /// A batch of `body` against `target`. Precondition: retries >= 1.
  batch_runner(store target, batch_body body, int retries);

  /// Starts the first attempt. For a local store this runs f at once.
  step start();
  /// Remote stores: the pinned snapshot (or why there is none) and the reads
  /// of it by message; runs f.
  step pinned(result<snapshot> snap, message_reads& pinned_reads);
  /// The pin to release now, if any: call after pinned() and committed()
  /// (a remote attempt's snapshot stays pinned until its commit is answered,
  /// as the store validates the batch's reads against it).
  std::optional<pin> release_pin() noexcept {
    if (step_ == step::commit)
      return std::nullopt; // the commit still needs it
    return std::exchange(pin_, std::nullopt);
  }
  /// The commit to send (moved out; call once per step::commit).
  commit take_commit() noexcept { return std::move(commit_); }
  /// For a store in this process, the root the attempt read: send the
  /// commit with it, as a local_commit (take it before take_commit()).
  std::optional<tree> take_base_root() noexcept { return std::exchange(base_root_, std::nullopt); }
  /// For a store in this process, the attempt's writes already applied to a
  /// copy of that root, if they could be (send them in the local_commit).
  std::optional<applied_writes> take_applied() noexcept {
    return std::exchange(applied_, std::nullopt);
  }
  /// The store's answer to the commit: done, or (on conflict) the next
  /// attempt, which for a local store runs f at once.
  step committed(result<version_t> r);

  /// The batch's result: the version it committed (or read, for a batch that
  /// wrote nothing), or its error. Valid after step::done.
  const result<version_t>& outcome() const noexcept { return outcome_; }
  const store& target() const noexcept { return target_; }

private:
  step next_attempt();
  step run_body(version_t base, tree root, pin pinned, message_reads* remote);
  step finish(result<version_t> r);
  std::optional<applied_writes> apply_here(version_t base, const tree& root) const;

  store target_;
  batch_body body_;
  int retries_;
  int attempts_ = 0;
  step step_ = step::done;
  std::optional<pin> pin_; // the pinned snapshot of the current attempt
  commit commit_;
  std::optional<tree> base_root_;
  std::optional<applied_writes> applied_;
  result<version_t> outcome_{version_t{0}};
};

/// Runs a whole batch synchronously through `c` (a caller aimed at the
/// store), on this thread: a blocking client's batch.
result<version_t> drive_blocking(batch_runner& r, caller& c);

/// True while the current thread runs a batch function (nested batches are
/// refused with errc::nested_batch instead of deadlocking).
bool in_batch_body() noexcept;

} // namespace kvmem::detail
