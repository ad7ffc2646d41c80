#include "net/frame_filter.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace kvmem::detail::net {

namespace {
// A payload buffer this small is kept for the next frame; a bigger one is
// returned to the allocator once its frame is delivered.
constexpr std::size_t keep_capacity = 64 * 1024;
} // namespace

frame_filter::status frame_filter::reject(std::string why) {
  reason_ = std::move(why);
  release();
  return status::reject;
}

void frame_filter::release() noexcept {
  if (budget_ != nullptr)
    budget_->give(charged_);
  charged_ = 0;
}

frame_filter::status frame_filter::feed(const char*& p, const char* end) {
  if (!reason_.empty())
    return status::reject;
  if (complete_)
    return status::frame;
  if (first_len_ < sizeof first_ && p < end) {
    auto n = std::min<std::size_t>(sizeof first_ - first_len_, static_cast<std::size_t>(end - p));
    std::memcpy(first_ + first_len_, p, n);
    first_len_ += n;
  }
  if (have_ < basp_header_size) {
    auto n = std::min<std::size_t>(basp_header_size - have_, static_cast<std::size_t>(end - p));
    if (n > 0) // p may be null when there is no input (memcpy's contract)
      std::memcpy(hdr_ + have_, p, n);
    have_ += n;
    p += n;
    if (have_ < basp_header_size)
      return status::need_more;
    header_ = decode_header(hdr_);
    if (auto why = rules_.check(header_))
      return reject(std::move(*why));
  }
  auto want = static_cast<std::size_t>(header_.payload_len);
  auto got = have_ - basp_header_size;
  auto n = std::min<std::size_t>(want - got, static_cast<std::size_t>(end - p));
  if (n > 0) {
    // Grow with the bytes that actually arrived, never to the declared
    // length at once; charge what is reserved.
    if (payload_.size() + n > payload_.capacity()) {
      auto cap = std::max({payload_.capacity() * 2, payload_.size() + n, std::size_t{4096}});
      cap = std::min(cap, want);
      auto extra = cap > charged_ ? cap - charged_ : 0;
      if (budget_ != nullptr && !budget_->take(extra))
        return reject(fmt::format("a {}-byte message while the server buffers {} of at most {} "
                                  "bytes of incomplete messages",
                                  want, budget_->used, budget_->limit));
      charged_ += extra;
      payload_.reserve(cap);
    }
    payload_.insert(payload_.end(), p, p + n);
    p += n;
    have_ += n;
  }
  if (have_ - basp_header_size < want)
    return status::need_more;
  complete_ = true;
  return status::frame;
}

void frame_filter::next() {
  have_ = 0;
  complete_ = false;
  payload_.clear();
  if (payload_.capacity() > keep_capacity)
    std::vector<char>{}.swap(payload_);
  release();
}

} // namespace kvmem::detail::net
