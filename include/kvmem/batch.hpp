// kvmem::batch_view — what a batch function sees, and the batch protocol.
//
// A batch runs a function f(batch_view&) in its own batch actor:
//   1. the attempt takes a snapshot of the store (version v, root r);
//   2. f runs; its reads see r — the state before the whole batch, never its
//      own buffered writes, never a concurrent writer — and its writes are
//      buffered in order;
//   3. if f wrote nothing, the batch ends (it cannot conflict);
//   4. otherwise it sends commit{v, writes}; the store applies them all or
//      none as one new version if it is still at v, and rejects the commit
//      if its version moved, in which case f runs again from step 1;
//   5. after `retries` rejected attempts, the batch fails with
//      too_many_retries(retries).
// f may therefore run several times: it must not have effects outside the
// view (or must tolerate repetition). If f throws, nothing is applied, f is
// not run again and the batch fails with batch_aborted carrying what().
// A batch_view lives only during one run of f; it is not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kvmem/detail/reads.hpp"
#include "kvmem/messages.hpp"
#include "kvmem/result.hpp"

namespace kvmem {

/// mirage-kv's default number of attempts.
inline constexpr std::uint32_t default_retries = 13;

struct batch_limits {
  std::size_t max_writes = 1'000'000;
  std::uint64_t max_bytes = std::uint64_t{1} << 30; // keys + data of all writes
};


class batch_view {
public:
  /// A view of `snap`; reads go to `remote` if given (a remote store's
  /// pinned snapshot), else to snap.root directly.
  batch_view(snapshot snap, batch_limits limits, detail::reads* remote = nullptr)
    : snap_(std::move(snap)), limits_(limits), local_(snap_.root),
      reads_(remote ? remote : &local_) {}
  batch_view(const batch_view&) = delete; // reads_ may point into *this
  batch_view& operator=(const batch_view&) = delete;

  // --- reads: the snapshot, as of the start of this attempt (see tree.hpp) --
  // Locally they read the immutable root in this process (no message); for a
  // remote store each is a message, and may fail with errc::unavailable.
  result<std::optional<kind>> exists(const key& k) const { return reads_->exists(k); }
  result<bytes> get(const key& k) const { return reads_->get(k); }
  result<bytes> get_partial(const key& k, std::uint64_t off, std::uint64_t len) const {
    return reads_->get_partial(k, off, len);
  }
  result<std::uint64_t> size(const key& k) const { return reads_->size(k); }
  result<listing> list(const key& k) const { return reads_->list(k); }
  result<ptime> last_modified(const key& k) const { return reads_->last_modified(k); }
  result<kvmem::digest> digest(const key& k) const { return reads_->digest(k); }

  // --- writes: buffered, applied in this order at commit ---------------------
  // Each returns an error only when a batch limit is exceeded; the batch then
  // fails with that error even if f ignores it. Errors of the writes
  // themselves (not_found, value_expected, ...) are known only at commit.
  result<void> set(const key& k, bytes v);
  result<void> set_partial(const key& k, std::uint64_t offset, bytes data);
  result<void> remove(const key& k);
  result<void> rename(const key& src, const key& dst);
  result<void> allocate(const key& k, std::uint64_t size, std::optional<ptime> mtime = {});

  /// The version of the snapshot this attempt reads.
  version_t version() const noexcept { return snap_.version; }
  /// The writes buffered so far.
  const std::vector<write_op>& writes() const noexcept { return ops_; }

  // For the batch runner.
  std::vector<write_op> take_writes() noexcept { return std::move(ops_); }
  const std::optional<error>& failure() const noexcept { return failed_; }

private:
  result<void> push(write_op w);

  snapshot snap_;
  batch_limits limits_;
  std::vector<write_op> ops_;
  std::uint64_t bytes_ = 0;
  std::optional<error> failed_;
  detail::tree_reads local_;
  detail::reads* reads_;
};

namespace detail {
/// True while the current thread runs a batch function (nested batches are
/// refused with errc::nested_batch instead of deadlocking).
bool in_batch_body() noexcept;
} // namespace detail

} // namespace kvmem
