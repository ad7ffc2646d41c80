// The batch view: reads of the attempt's snapshot (recorded for the store's
// validation), requirements, and writes buffered against the batch limits.
#include "kvmem/batch.hpp"

#include <fmt/core.h>

#include "blocking/message_reads.hpp"

namespace kvmem {

void batch_view::record(const read_op& op) const {
  if (!reads_complete_)
    return;
  if (reads_.size() >= limits_.max_writes) {
    // Too many to send: the store will validate this batch by its version.
    reads_complete_ = false;
    reads_.clear();
    reads_.shrink_to_fit();
    return;
  }
  // A partial get depends on what a get does: record it as one.
  if (op.op == read_op::code::get_partial)
    reads_.push_back(read_op::get(op.path));
  else
    reads_.push_back(op);
}

result<read_result> batch_view::read(const read_op& op) const {
  record(op);
  return remote_ ? remote_->read(op) : apply(root_, op);
}

result<void> batch_view::require(const key& k, expect e) {
  if (failed_)
    return *failed_;
  result<void> held;
  if (remote_) {
    auto s = read_as<entry_stat>(remote_->read(read_op::stat(k)));
    if (!s && s.error().code != errc::not_found && s.error().code != errc::dictionary_expected)
      return *(failed_ = std::move(s).error()); // the store is unreachable
    held = check_expect(k, e, s ? std::optional<version_t>{s->modified} : std::nullopt);
  } else {
    held = root_.check(k, e);
  }
  if (!held)
    return *(failed_ = std::move(held).error());
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

result<void> batch_view::set(key k, bytes v) { return write(write_op::set(std::move(k), std::move(v))); }

result<void> batch_view::set_owned(const key& k, bytes v, caf::actor owner) {
  if (!owner)
    return *(failed_ = error::make(errc::invalid_argument, "an owned key needs an owner"));
  auto r = write(write_op::set(k, std::move(v)));
  if (r)
    owners_.emplace_back(k, std::move(owner));
  return r;
}

result<void> batch_view::set_partial(key k, std::uint64_t offset, bytes data) {
  return write(write_op::set_partial(std::move(k), offset, std::move(data)));
}

result<void> batch_view::remove(key k) { return write(write_op::remove(std::move(k))); }

result<void> batch_view::rename(key src, key dst) {
  return write(write_op::rename(std::move(src), std::move(dst)));
}

result<void> batch_view::allocate(key k, std::uint64_t size, std::optional<ptime> mtime) {
  return write(write_op::allocate(std::move(k), size, mtime));
}

} // namespace kvmem
