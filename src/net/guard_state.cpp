#include "net/guard_state.hpp"

#include <algorithm>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_cast.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/intrusive_ptr.hpp>
#include <caf/send.hpp>

#include <fmt/format.h>

#include "net/guard_doorman.hpp"
#include "net/guarded_scribe.hpp"
#include "wire/wire_fields.hpp"

namespace kvmem::detail::net {

std::int64_t unique_handle_id() noexcept {
  // Above any file descriptor, so never equal to a handle CAF makes itself.
  static std::atomic<std::int64_t> next{std::int64_t{1} << 32};
  return next.fetch_add(1, std::memory_order_relaxed);
}

wire::node_ref node_ref_of(const caf::node_id& id) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  if (sink(const_cast<caf::node_id&>(id)))
    return {};
  wire::cursor c{buf.data(), buf.size()};
  return wire::read_node(c).value_or(wire::node_ref{});
}

namespace {
struct claim {
  wire::node_ref self, peer;
  guarded_scribe* by;
};
std::mutex claims_m;
std::vector<claim> claims; // one per connection; searched once per handshake
} // namespace

guarded_scribe* peer_holder(const wire::node_ref& self, const wire::node_ref& peer) {
  std::lock_guard g{claims_m};
  for (auto& c : claims)
    if (c.self == self && c.peer == peer)
      return c.by;
  return nullptr;
}

void hold_peer(const wire::node_ref& self, const wire::node_ref& peer, guarded_scribe* by) {
  std::lock_guard g{claims_m};
  for (auto& c : claims)
    if (c.self == self && c.peer == peer) {
      c.by = by;
      return;
    }
  claims.push_back({self, peer, by});
}

void release_peer(const wire::node_ref& self, const wire::node_ref& peer,
                  const guarded_scribe* by) noexcept {
  std::lock_guard g{claims_m};
  for (auto& c : claims)
    if (c.self == self && c.peer == peer && c.by == by) {
      c = claims.back();
      claims.pop_back();
      return;
    }
}

guard_state::guard_state(caf::actor_system* sys, wire::node_ref self, sender from,
                         guard_limits limits, log_fn log, std::string endpoint)
  : sys_(sys), self_(self), from_(from), limits_(limits), log_(std::move(log)), endpoint_(std::move(endpoint)) {
  budget_.limit = limits_.max_buffered;
  if (from_ == sender::client)
    reserve_spare();
}

guard_state::~guard_state() {
  if (spare_fd_ >= 0)
    ::close(spare_fd_);
}

void guard_state::reserve_spare() noexcept {
  if (spare_fd_ < 0)
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void guard_state::enlist(guarded_scribe* s) {
  std::lock_guard g{m_};
  live_.push_back(s);
  open_.fetch_add(1, std::memory_order_relaxed);
}

void guard_state::delist(guarded_scribe* s) {
  {
    std::lock_guard g{m_};
    live_.erase(std::remove(live_.begin(), live_.end(), s), live_.end());
    open_.fetch_sub(1, std::memory_order_relaxed);
  }
  // A descriptor came back: accept again if we had stopped for lack of them.
  if (accepting_paused_ && doorman_ != nullptr) {
    accepting_paused_ = false;
    reserve_spare();
    doorman_->resume_accepting();
    note(event::fd_limit, fmt::format("{}: accepting connections again", endpoint_));
  }
}

void guard_state::sweep(caf::execution_unit* ctx, bool force) {
  auto now = clock::now();
  if (!force && now - last_sweep_ < std::chrono::milliseconds(100))
    return;
  last_sweep_ = now;
  if (ctx == nullptr)
    ctx = mpx_;
  if (ctx != nullptr) {
    std::vector<caf::intrusive_ptr<guarded_scribe>> live;
    {
      std::lock_guard g{m_};
      live.reserve(live_.size());
      for (auto* s : live_)
        live.emplace_back(s);
    }
    for (auto& s : live)
      s->expire(ctx, now);
  }
  forget_departed_nodes();
}

void guard_state::forget_departed_nodes() {
  // CAF 0.17.6's BASP broker spawns a "spawn server" actor for every node
  // that handshakes and keeps its handle in `spawn_servers` forever: ~1.1 KB
  // per client process that ever connected (measured with heaptrack). Stop
  // those of nodes the broker no longer has a route to (as the broker does
  // for all of them when it exits) and drop their handles.
  if (sys_ == nullptr || !sys_->has_middleman())
    return;
  auto hdl = sys_->middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  auto* a = caf::actor_cast<caf::abstract_actor*>(hdl);
  if (a == nullptr)
    return;
  // g++ 12 at -O3 reports the atomic load inside CAF's getf() as writing
  // into "a region of size 0" (GCC bug 104475, a false positive on atomics
  // reached through a pointer derived from an actor handle).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
  const bool terminated = a->getf(caf::abstract_actor::is_terminated_flag);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  if (terminated)
    return;
  auto* b = static_cast<caf::io::basp_broker*>(a);
  auto& table = b->instance.tbl();
  for (auto i = b->spawn_servers.begin(); i != b->spawn_servers.end();) {
    if (table.lookup(i->first)) {
      ++i;
    } else {
      caf::anon_send_exit(i->second, caf::exit_reason::kill);
      i = b->spawn_servers.erase(i);
    }
  }
}

void guard_state::out_of_descriptors(int listen_fd) {
  if (spare_fd_ >= 0) {
    // The classic way out: give back the spare descriptor, accept the
    // waiting client and close it at once (it sees the connection closed
    // instead of waiting), then take the spare again.
    ::close(spare_fd_);
    spare_fd_ = -1;
    int s = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    note(event::fd_limit,
         fmt::format("{}: out of file descriptors with {} connections open: refusing new "
                     "connections (raise the limit with ulimit -n, or lower max_connections)",
                     endpoint_, open()));
    if (s >= 0)
      ::close(s);
    reserve_spare();
    if (spare_fd_ >= 0)
      return;
  }
  // Without a spare descriptor a waiting client cannot be refused; stop
  // accepting (clients wait in the backlog) until a connection closes.
  if (!accepting_paused_ && doorman_ != nullptr) {
    accepting_paused_ = true;
    doorman_->pause_accepting();
    note(event::fd_limit,
         fmt::format("{}: out of file descriptors with {} connections open: not accepting "
                     "until a connection closes",
                     endpoint_, open()));
  }
}

void guard_state::note(event kind, const std::string& msg) {
  if (!log_)
    return;
  std::lock_guard g{m_};
  auto& slot = slots_[static_cast<int>(kind)];
  auto now = clock::now();
  if (slot.last != clock::time_point{} && now - slot.last < std::chrono::seconds(10)) {
    ++slot.suppressed;
    return;
  }
  auto line = msg;
  if (slot.suppressed > 0)
    line += fmt::format(" (and {} more like it in the last 10 s)", slot.suppressed);
  slot.suppressed = 0;
  slot.last = now;
  log_(line);
}

void guard_state::record_drop(std::string reason, std::string first_bytes) {
  std::lock_guard g{m_};
  drop_reason_ = std::move(reason);
  drop_first_ = std::move(first_bytes);
}

void guard_state::record_first_bytes(std::string first_bytes) {
  std::lock_guard g{m_};
  drop_first_ = std::move(first_bytes);
}

std::pair<std::string, std::string> guard_state::last_drop() const {
  std::lock_guard g{m_};
  return {drop_reason_, drop_first_};
}

} // namespace kvmem::detail::net
