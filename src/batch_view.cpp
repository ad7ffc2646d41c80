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
