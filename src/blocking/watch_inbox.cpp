#include "blocking/watch_inbox.hpp"

#include <algorithm>

#include <caf/mailbox_element.hpp>

#include "kvmem/wire.hpp"

namespace kvmem::detail {

struct watch_inbox::shared {
  std::mutex m;
  std::condition_variable cv;
  std::deque<local_changes> queue; // a remote store's deliveries have no root
  caf::mailbox_element_ptr reply; // to the subscribe request
  caf::message_id expected;
  bool gone = false;
  bool interrupted = false;
  std::string why;

  void arrive(caf::mailbox_element_ptr p) {
    std::lock_guard g{m};
    auto& msg = p->content();
    if (p->mid.is_response()) {
      if (p->mid == expected)
        reply = std::move(p);
    } else if (msg.match_elements<changes_atom, local_changes>()) {
      queue.push_back(msg.get_as<local_changes>(1));
    } else if (msg.match_elements<changes_atom, changes>()) {
      queue.push_back(local_changes{msg.get_as<changes>(1), std::nullopt});
    } else {
      return; // not ours
    }
    cv.notify_all();
  }
  void fail(const caf::error& e) {
    std::lock_guard g{m};
    gone = true;
    why = from_caf(e ? e : caf::make_error(caf::sec::request_receiver_down)).detail;
    cv.notify_all();
  }
};

watch_inbox::watch_inbox(caf::actor_system& sys, caf::strong_actor_ptr store, bool local,
                         bool run_inline)
  : local_(local), s_(std::make_shared<shared>()),
    companion_(
        sys, std::move(store),
        [w = std::weak_ptr<shared>(s_)](caf::mailbox_element_ptr p) {
          if (auto s = w.lock())
            s->arrive(std::move(p));
        },
        [w = std::weak_ptr<shared>(s_)](const caf::error& why) {
          if (auto s = w.lock())
            s->fail(why);
        },
        run_inline) {}

watch_inbox::~watch_inbox() {
  if (subscribed_)
    companion_.send(caf::make_message_id(), unwatch_atom::value, started_.id);
}

result<watch_started> watch_inbox::subscribe(const watch_request& req,
                                             std::chrono::milliseconds timeout) {
  auto mid = companion_.new_request_id();
  {
    std::lock_guard g{s_->m};
    s_->expected = mid.response_id();
  }
  window_ = req.window;
  if (local_)
    companion_.send(mid, watch_atom::value, local_watch{req});
  else
    companion_.send(mid, watch_atom::value, req);
  std::unique_lock g{s_->m};
  auto ready = [&] { return s_->reply || s_->gone; };
  if (timeout.count() > 0) {
    if (!s_->cv.wait_for(g, timeout, ready))
      return error::make(errc::unavailable, "no reply to the watch in time");
  } else {
    s_->cv.wait(g, ready);
  }
  if (!s_->reply)
    return error::make(errc::unavailable, s_->why);
  auto& msg = s_->reply->content();
  if (msg.match_elements<local_watch_started>() || msg.match_elements<watch_started>()) {
    if (msg.match_elements<local_watch_started>()) {
      auto& s = msg.get_as<local_watch_started>(0);
      started_ = s.started;
      start_root_ = s.root;
    } else {
      started_ = msg.get_as<watch_started>(0);
    }
    subscribed_ = true;
    last_ = started_.version;
    return started_;
  }
  if (msg.match_elements<caf::error>())
    return from_caf(msg.get_as<caf::error>(0));
  return error::make(errc::unavailable, "unexpected reply from the store");
}

result<std::optional<changes>> watch_inbox::take(std::chrono::steady_clock::time_point deadline) {
  // The start snapshot is for reading before the feed: holding it longer
  // would keep an old state alive and make every write copy its path.
  start_root_.reset();
  delivery_root_.reset();
  // One cumulative ack for what was taken, once nothing more is queued (so
  // that what the store gathers comes soon) or half the window is
  // unacknowledged (so that the window never fills while we read).
  bool drained;
  {
    std::lock_guard g{s_->m};
    drained = s_->queue.empty();
  }
  if (taken_ > acked_ && (drained || taken_ - acked_ >= std::max<std::uint32_t>(1, window_ / 2))) {
    companion_.send(caf::make_message_id(), ack_atom::value, started_.id, taken_);
    acked_ = taken_;
  }
  std::unique_lock g{s_->m};
  auto ready = [&] { return !s_->queue.empty() || s_->gone || s_->interrupted; };
  if (!s_->cv.wait_until(g, deadline, ready) || s_->interrupted) {
    s_->interrupted = false; // an interrupt wins over a queued delivery
    return std::optional<changes>{};
  }
  if (s_->queue.empty())
    return error::make(errc::unavailable, s_->why);
  auto c = std::move(s_->queue.front());
  s_->queue.pop_front();
  taken_ = c.delivery.seq;
  last_ = c.delivery.to;
  delivery_root_ = std::move(c.root);
  return std::optional<changes>{std::move(c.delivery)};
}

void watch_inbox::interrupt() noexcept {
  std::lock_guard g{s_->m};
  s_->interrupted = true;
  s_->cv.notify_all();
}

} // namespace kvmem::detail
