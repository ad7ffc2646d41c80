#include "kvmem/batch.hpp"

#include <fmt/format.h>

namespace kvmem {

namespace {
std::uint64_t key_bytes(const key& k) {
  std::uint64_t n = 0;
  for (auto& s : k.segments())
    n += s.size() + 1;
  return n;
}
} // namespace

result<std::optional<kind>> batch_view::exists(const key& k) const {
  if (remote_)
    return remote_->exists(k);
  return snap_.root.exists(k);
}

result<bytes> batch_view::get(const key& k) const {
  return remote_ ? remote_->get(k) : snap_.root.get(k);
}

result<bytes> batch_view::get_partial(const key& k, std::uint64_t off, std::uint64_t len) const {
  return remote_ ? remote_->get_partial(k, off, len) : snap_.root.get_partial(k, off, len);
}

result<std::uint64_t> batch_view::size(const key& k) const {
  return remote_ ? remote_->size(k) : snap_.root.size(k);
}

result<listing> batch_view::list(const key& k) const {
  return remote_ ? remote_->list(k) : snap_.root.list(k);
}

result<ptime> batch_view::last_modified(const key& k) const {
  return remote_ ? remote_->last_modified(k) : snap_.root.last_modified(k);
}

result<kvmem::digest> batch_view::digest(const key& k) const {
  return remote_ ? remote_->digest(k) : snap_.root.digest(k);
}

result<void> batch_view::push(write_op w) {
  if (failed_)
    return *failed_;
  auto n = key_bytes(w.k) + key_bytes(w.k2) + w.data.size();
  if (ops_.size() >= limits_.max_writes)
    failed_ = error::make(errc::batch_too_large,
                          fmt::format("more than {} writes", limits_.max_writes));
  else if (n > limits_.max_bytes - std::min(limits_.max_bytes, bytes_))
    failed_ = error::make(errc::batch_too_large,
                          fmt::format("more than {} bytes of keys and data", limits_.max_bytes));
  if (failed_)
    return *failed_;
  bytes_ += n;
  ops_.push_back(std::move(w));
  return {};
}

result<void> batch_view::set(const key& k, bytes v) {
  return push({write_op::code::set, k, {}, std::move(v), 0, false, {}});
}

result<void> batch_view::set_partial(const key& k, std::uint64_t offset, bytes data) {
  return push({write_op::code::set_partial, k, {}, std::move(data), offset, false, {}});
}

result<void> batch_view::remove(const key& k) {
  return push({write_op::code::remove, k, {}, {}, 0, false, {}});
}

result<void> batch_view::rename(const key& src, const key& dst) {
  return push({write_op::code::rename, src, dst, {}, 0, false, {}});
}

result<void> batch_view::allocate(const key& k, std::uint64_t size, std::optional<ptime> mtime) {
  return push({write_op::code::allocate, k, {}, {}, size, mtime.has_value(), mtime.value_or(ptime{})});
}

} // namespace kvmem
