// The batch view: reads of the attempt's snapshot (recorded for the store's
// validation), requirements, and writes buffered against the batch limits.
#include "kvmem/batch.hpp"

#include <fmt/core.h>

#include "blocking/reads.hpp"

namespace kvmem {

using rc = read_record::code;

void batch_view::record(rc op, const key& k) const {
  if (!reads_complete_)
    return;
  if (reads_.size() >= limits_.max_writes) {
    // Too many to send: the store will validate this batch by its version.
    reads_complete_ = false;
    reads_.clear();
    reads_.shrink_to_fit();
    return;
  }
  reads_.push_back({op, k});
}

result<std::optional<kind>> batch_view::exists(const key& k) const {
  record(rc::exists, k);
  if (remote_)
    return remote_->exists(k);
  return snap_.root.exists(k);
}

result<bytes> batch_view::get(const key& k) const {
  record(rc::get, k);
  return remote_ ? remote_->get(k) : snap_.root.get(k);
}

result<bytes> batch_view::get_partial(const key& k, std::uint64_t off, std::uint64_t len) const {
  record(rc::get, k);
  return remote_ ? remote_->get_partial(k, off, len) : snap_.root.get_partial(k, off, len);
}

result<std::uint64_t> batch_view::size(const key& k) const {
  record(rc::size, k);
  return remote_ ? remote_->size(k) : snap_.root.size(k);
}

result<listing> batch_view::list(const key& k) const {
  record(rc::list, k);
  return remote_ ? remote_->list(k) : snap_.root.list(k);
}

result<ptime> batch_view::last_modified(const key& k) const {
  record(rc::last_modified, k);
  return remote_ ? remote_->last_modified(k) : snap_.root.last_modified(k);
}

result<kvmem::digest> batch_view::digest(const key& k) const {
  record(rc::digest, k);
  return remote_ ? remote_->digest(k) : snap_.root.digest(k);
}

result<entry_stat> batch_view::stat(const key& k) const {
  record(rc::stat, k);
  return remote_ ? remote_->stat(k) : snap_.root.stat(k);
}

result<void> batch_view::require(const key& k, expect e) {
  if (failed_)
    return *failed_;
  std::optional<version_t> actual;
  if (remote_) {
    auto s = remote_->stat(k);
    if (s)
      actual = s->modified;
    else if (s.error().code != errc::not_found && s.error().code != errc::dictionary_expected)
      return *(failed_ = std::move(s).error()); // the store is unreachable
  } else if (auto s = snap_.root.stat(k)) {
    actual = s->modified;
  }
  std::optional<version_t> expected;
  if (!e.absent)
    expected = e.version;
  if (actual != expected)
    return *(failed_ = error::version_mismatch(k, expected, actual));
  requirements_.push_back({k, e});
  return {};
}

result<void> batch_view::write(write_op w) {
  if (failed_)
    return *failed_;
  auto n = w.payload_bytes();
  if (ops_.size() >= limits_.max_writes)
    failed_ = error::make(errc::batch_too_large,
                          fmt::format("more than {} writes", limits_.max_writes));
  else if (n > limits_.max_bytes - std::min(limits_.max_bytes, bytes_))
    failed_ = error::make(errc::batch_too_large,
                          fmt::format("more than {} bytes of keys and data", limits_.max_bytes));
  if (failed_)
    return *failed_;
  bytes_ += n;
  // A later write at an owned key, or above it, ends that ownership, as the
  // same write after the commit would: the last write to a key decides.
  if (!owners_.empty())
    std::erase_if(owners_, [&](const auto& o) {
      return w.path.is_prefix_of(o.first) || (w.op == write_op::code::rename && w.destination.is_prefix_of(o.first));
    });
  ops_.push_back(std::move(w));
  return {};
}

result<void> batch_view::set(const key& k, bytes v) { return write(write_op::set(k, std::move(v))); }

result<void> batch_view::set_owned(const key& k, bytes v, caf::actor owner) {
  if (!owner)
    return *(failed_ = error::make(errc::invalid_argument, "an owned key needs an owner"));
  auto r = write(write_op::set(k, std::move(v)));
  if (r)
    owners_.emplace_back(k, std::move(owner));
  return r;
}

result<void> batch_view::set_partial(const key& k, std::uint64_t offset, bytes data) {
  return write(write_op::set_partial(k, offset, std::move(data)));
}

result<void> batch_view::remove(const key& k) { return write(write_op::remove(k)); }

result<void> batch_view::rename(const key& src, const key& dst) {
  return write(write_op::rename(src, dst));
}

result<void> batch_view::allocate(const key& k, std::uint64_t size, std::optional<ptime> mtime) {
  return write(write_op::allocate(k, size, mtime));
}

} // namespace kvmem
