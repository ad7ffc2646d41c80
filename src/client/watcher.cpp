// kvmem::watcher: a blocking subscription over a watch_inbox.
#include "kvmem/watch.hpp"

#include "blocking/watch_inbox.hpp"

namespace kvmem {

watcher::watcher(std::unique_ptr<detail::watch_inbox> in) noexcept : in_(std::move(in)) {}
watcher::watcher(watcher&&) noexcept = default;
watcher& watcher::operator=(watcher&&) noexcept = default;
watcher::~watcher() = default;

version_t watcher::start_version() const noexcept { return in_ ? in_->started().version : 0; }

const std::optional<tree>& watcher::start_snapshot() const noexcept {
  static const std::optional<tree> none;
  return in_ ? in_->start_root() : none;
}

const std::optional<tree>& watcher::delivery_snapshot() const noexcept {
  static const std::optional<tree> none;
  return in_ ? in_->delivery_root() : none;
}

version_t watcher::last_version() const noexcept { return in_ ? in_->last_version() : 0; }

void watcher::interrupt() noexcept {
  if (in_)
    in_->interrupt();
}

result<std::optional<changes>> watcher::next(std::chrono::milliseconds timeout) {
  if (!in_)
    return error::make(errc::disconnected, "the watcher was moved from");
  return in_->take(std::chrono::steady_clock::now() + timeout);
}

watcher::iterator& watcher::iterator::operator++() {
  current_.reset();
  if (!w_->in_)
    return *this;
  auto r = w_->in_->take(std::chrono::steady_clock::time_point::max());
  if (r && *r)
    current_ = std::move(**r);
  return *this;
}

} // namespace kvmem
