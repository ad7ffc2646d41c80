// kvmem::batch_view — what a batch function sees, and the batch protocol.
//
// A batch runs a function f(batch_view&) against a store:
//   1. the attempt takes a snapshot of the store (version v, root r);
//   2. f runs; its reads see r — the state before the whole batch, never its
//      own buffered writes, never a concurrent writer — and are recorded
//      (which read, which key); its writes are buffered in order;
//   3. if f wrote nothing, the batch ends (it cannot conflict);
//   4. otherwise it sends commit{v, reads, requirements, writes}; the store
//      applies the writes all or none as one new version if it is still at
//      v, or if every read would return the same in its current state (the
//      default store_options::validation::by_reads); otherwise it rejects
//      the commit and f runs again from step 1;
//   5. after `retries` rejected attempts, the batch fails with
//      too_many_retries(retries).
// Committed batches and single writes are serializable in version order:
// each committed batch's reads equal what the store held just before its
// commit (docs/design.md has the argument).
// f may therefore run several times: it must not have effects outside the
// view (or must tolerate repetition). If f throws, nothing is applied, f is
// not run again and the batch fails with batch_aborted carrying what().
// A batch_view lives only during one run of f; it is not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kvmem/messages.hpp"
#include "kvmem/result.hpp"

namespace kvmem {

/// mirage-kv's default number of attempts.
inline constexpr int default_retries = 13;

namespace detail {
class message_reads;
struct batch_access;
} // namespace detail

class batch_view {
public:
  batch_view(const batch_view&) = delete;
  batch_view& operator=(const batch_view&) = delete;

  // --- reads: the snapshot, as of the start of this attempt (see tree.hpp) --
  // For a store in this process they read its immutable root directly (no
  // message); for a remote store each is a message to a snapshot the store
  // keeps pinned for the batch, and may fail with errc::unavailable. Every
  // read is recorded (which read of which key) for the store's validation.

  /// Any read, as a value (read_op.hpp); the typed reads below forward here.
  result<read_result> read(const read_op& op) const;

  result<std::optional<kind>> exists(const key& k) const {
    return read_as<std::optional<kind>>(read(read_op::exists(k)));
  }
  result<bytes> get(const key& k) const { return read_as<bytes>(read(read_op::get(k))); }
  result<bytes> get_partial(const key& k, std::uint64_t off, std::uint64_t len) const {
    return read_as<bytes>(read(read_op::get_partial(k, off, len)));
  }
  result<std::uint64_t> size(const key& k) const {
    return read_as<std::uint64_t>(read(read_op::size(k)));
  }
  result<listing> list(const key& k) const { return read_as<listing>(read(read_op::list(k))); }
  result<ptime> last_modified(const key& k) const {
    return read_as<ptime>(read(read_op::last_modified(k)));
  }
  result<kvmem::digest> digest(const key& k) const {
    return read_as<kvmem::digest>(read(read_op::digest(k)));
  }
  result<entry_stat> stat(const key& k) const { return read_as<entry_stat>(read(read_op::stat(k))); }

  /// Requires that `e` holds for k (k absent, or k's modified version):
  /// checked now in the snapshot, and again by the store at commit against
  /// its current state. If it does not hold at either point, the batch fails
  /// with version_mismatch, applies nothing and is not re-run. Returns the
  /// check in the snapshot (the batch fails even if f ignores it).
  result<void> require(const key& k, expect e);

  // --- writes: buffered, applied in this order at commit ---------------------
  // Each returns an error only when a batch limit (store_options'
  // max_batch_writes, max_batch_bytes) is exceeded, or set_owned has no
  // owner (invalid_argument); the batch then fails with that error even if
  // f ignores it. Errors of the writes themselves
  // (not_found, value_expected, ...) are known only at commit.
  // Keys are taken by value and moved into the buffered write: pass a
  // temporary, or std::move a key you no longer need, to copy nothing.
  result<void> set(key k, bytes v);
  result<void> set_partial(key k, std::uint64_t offset, bytes data);
  result<void> remove(key k);
  result<void> rename(key src, key dst);
  result<void> allocate(key k, std::uint64_t size, std::optional<ptime> mtime = {});
  /// Any write, as a value.
  result<void> write(write_op w);
  /// A set that makes `owner` the key's owner (store.hpp, keys owned by an
  /// actor) once the batch commits — unless a later write of the batch at
  /// the key or above it ends that, as it would after the commit.
  result<void> set_owned(const key& k, bytes v, caf::actor owner);

  /// The version of the snapshot this attempt reads.
  version_t version() const noexcept { return version_; }
  /// The writes buffered so far.
  const std::vector<write_op>& writes() const noexcept { return ops_; }

private:
  friend struct detail::batch_access; // the batch runner builds and drains views
  struct limits {
    std::size_t max_writes; // also the most reads recorded (then: validate by version)
    std::uint64_t max_bytes;
  };
  batch_view(version_t v, tree root, pin pinned, limits lim, detail::message_reads* remote) noexcept
    : version_(v), root_(std::move(root)), pinned_(pinned), limits_(lim), remote_(remote) {}
  void record(const read_op& op) const;

  version_t version_;
  tree root_;  // the snapshot (a store in this process)
  pin pinned_; // the snapshot's pin (a remote store)
  limits limits_;
  std::vector<write_op> ops_;
  std::uint64_t bytes_ = 0;
  std::optional<error> failed_;
  mutable std::vector<read_op> reads_;
  mutable bool reads_complete_ = true;
  std::vector<requirement> requirements_;
  std::vector<std::pair<key, caf::actor>> owners_;
  detail::message_reads* remote_; // reads by message (a remote store), or null: root_
};

} // namespace kvmem
