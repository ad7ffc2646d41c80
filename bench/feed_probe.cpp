#include "feed_probe.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

namespace bench {

void feed_probe::started(kvmem::version_t v, bool ok) {
  std::lock_guard<std::mutex> g{m_};
  started_ = true;
  failed_ = !ok;
  seen_ = v;
  cv_.notify_all();
}

void feed_probe::delivered(kvmem::version_t to, std::size_t events) {
  auto now = clock_type::now(); // before taking the lock: the arrival time
  std::lock_guard<std::mutex> g{m_};
  ++deliveries_;
  events_ += events;
  if (to > seen_) {
    seen_ = to;
    last_at_ = now;
  }
  cv_.notify_all();
}

bool feed_probe::wait_started(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> g{m_};
  return cv_.wait_for(g, timeout, [&] { return started_; }) && !failed_;
}

std::optional<clock_type::time_point> feed_probe::wait_for(kvmem::version_t v,
                                                           std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> g{m_};
  if (!cv_.wait_for(g, timeout, [&] { return seen_ >= v; }))
    return std::nullopt;
  return last_at_;
}

namespace {

caf::behavior subscriber(caf::event_based_actor* self, kvmem::store_actor store, kvmem::key prefix,
                         std::shared_ptr<feed_probe> probe) {
  constexpr std::uint32_t window = 16;
  auto acked = std::make_shared<std::uint64_t>(0);
  self->request(store, std::chrono::seconds(30), kvmem::watch_atom::value,
                kvmem::watch_request{std::move(prefix), std::nullopt, window})
      .then([=](const kvmem::watch_started& w) { probe->started(w.version, true); },
            [=](caf::error&) { probe->started(0, false); });
  return {
      [=](kvmem::changes_atom, const kvmem::changes& d) {
        probe->delivered(d.to, d.events.size());
        // Cumulative acks, one per half window (docs/watch.md): the window
        // never fills, and the store hears of progress every window/2.
        if (d.seq - *acked >= window / 2) {
          self->send(store, kvmem::ack_atom::value, d.id, d.seq);
          *acked = d.seq;
        }
      },
  };
}

} // namespace

caf::actor spawn_subscriber(caf::actor_system& sys, const kvmem::store_actor& store,
                            kvmem::key prefix, std::shared_ptr<feed_probe> probe) {
  return sys.spawn(subscriber, store, std::move(prefix), std::move(probe));
}

} // namespace bench
