// The batch protocol (internal): snapshot, run f, commit {base version,
// writes}, and on conflict run again. run_attempts runs it synchronously on
// the calling thread — a blocking client's batch, whose batch actor is the
// caller `c` spawned for it; the event-based batch actor of actor clients
// (batch_actor.cpp) runs the same steps with asynchronous commits. Both use
// run_body_once. See batch.hpp for the contract.
#pragma once

#include <functional>

#include "detail/caller.hpp"
#include "kvmem/batch.hpp"
#include "kvmem/store.hpp"

namespace kvmem::detail {

/// What one run of a batch function produced: the writes to commit against
/// `base`, or why the batch ends now (f threw, a limit was exceeded).
struct attempt_outcome {
  std::optional<error> failed;
  version_t base = 0;
  std::vector<write_op> ops;
};

/// Runs f once against `snap` (marking the thread as inside a batch body);
/// reads go to `remote` if given.
attempt_outcome run_body_once(snapshot snap, const std::function<void(batch_view&)>& body,
                              batch_limits limits, reads* remote = nullptr);

/// Runs attempts of `body` against `s` through `c` until a commit succeeds,
/// f throws (batch_aborted), a limit or a write fails, or `retries` attempts
/// were rejected (too_many_retries). `abandon()`, if given, is asked before
/// each commit; if true, the batch stops without committing.
result<version_t> run_attempts(caller& c, const store& s,
                               const std::function<void(batch_view&)>& body, std::uint32_t retries,
                               const std::function<bool()>& abandon = {});

} // namespace kvmem::detail
