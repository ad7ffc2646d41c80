// What the connections of one guarded endpoint share (internal): limits,
// the budget for incomplete messages, the set of live connections (for
// deadlines), the accept throttle, and rate-limited logging.
//
// Threads: everything but the counters, the log and last_drop() is used on
// CAF's multiplexer thread only (where the guard's doorman and scribes run).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>

#include "net/frame_filter.hpp"
#include "wire/wire_cursor.hpp"

namespace kvmem::detail::net {

class guarded_scribe;
class guard_doorman;

struct guard_limits {
  frame_limits frames;
  std::size_t max_connections = 512;
  std::size_t max_buffered = std::size_t{1} << 30;
  std::size_t max_pending_output = std::size_t{64} << 20; // 0: no back-pressure
  /// Bytes of one-way messages (watch deliveries) a peer may owe at once
  /// (written by the broker, not yet taken by the peer); beyond, it is
  /// dropped. 0: no limit.
  std::size_t max_owed_deliveries = std::size_t{64} << 20;
  std::chrono::milliseconds handshake_timeout{10'000};    // 0: none
  std::chrono::milliseconds stall_timeout{30'000};        // 0: none
  /// Actors of one peer that this node may know at once: CAF keeps a proxy
  /// (~0.8 KB) for each actor of the peer that a message came from or
  /// named, until the peer reports it gone.
  std::size_t max_peer_actors = 16'384;
};

/// This node's id as it travels (CAF's binary format, read back).
wire::node_ref node_ref_of(const caf::node_id& id);

/// Which connection speaks for which peer node, per local node, process-wide:
/// a node id is held by one connection at a time (CAF ignores a second
/// handshake with it but then takes that connection's down messages as the
/// first one's). All connections of one local node live on its multiplexer
/// thread; the registry itself is thread-safe.
guarded_scribe* peer_holder(const wire::node_ref& self, const wire::node_ref& peer);
void hold_peer(const wire::node_ref& self, const wire::node_ref& peer, guarded_scribe* by);
/// Forgets the claim if `by` still holds it.
void release_peer(const wire::node_ref& self, const wire::node_ref& peer,
                  const guarded_scribe* by) noexcept;

/// A handle id for a guarded scribe or doorman that no other connection of
/// this process ever had. CAF names connections by their file descriptor,
/// and a descriptor is reused as soon as it is closed: with BASP workers
/// (middleman.workers > 0) the broker may clean up after a closed connection
/// only after a new one got the same descriptor, and then wipes the new
/// connection's route, so its replies are lost (reproduced: 6 of 2,000
/// one-shot clients 8 at a time with workers = 2; none with unique ids).
std::int64_t unique_handle_id() noexcept;

class guard_state {
public:
  using clock = std::chrono::steady_clock;
  using log_fn = std::function<void(const std::string&)>;
  enum class event { refused, fd_limit, dropped, expired, accept_error };

  /// `sys` may be null for a client-side guard (no spawn-server cleanup);
  /// `self` is the local node's id.
  guard_state(caf::actor_system* sys, wire::node_ref self, sender from, guard_limits limits,
              log_fn log, std::string endpoint);
  ~guard_state();
  guard_state(const guard_state&) = delete;
  guard_state& operator=(const guard_state&) = delete;

  const guard_limits& limits() const noexcept { return limits_; }
  sender from() const noexcept { return from_; }
  const wire::node_ref& self() const noexcept { return self_; }
  byte_budget& budget() noexcept { return budget_; }
  const std::string& endpoint() const noexcept { return endpoint_; }

  /// Open connections (scribes alive), for the connection limit.
  std::size_t open() const noexcept { return open_.load(std::memory_order_relaxed); }

  // -- multiplexer thread ----------------------------------------------------

  void enlist(guarded_scribe* s);
  void delist(guarded_scribe* s);
  /// The doorman and its multiplexer (the execution unit for deadlines), or
  /// nulls once it is gone.
  void set_doorman(guard_doorman* d, caf::execution_unit* mpx) noexcept {
    doorman_ = d;
    mpx_ = mpx;
  }

  /// Closes connections past their deadlines and drops the BASP broker's
  /// per-node state for nodes that left; at most every 100 ms unless forced.
  /// ctx: the multiplexer (null: the doorman's).
  void sweep(caf::execution_unit* ctx, bool force = false);

  /// accept() failed with EMFILE/ENFILE: refuse one waiting connection with
  /// the spare descriptor, or stop accepting until a connection closes.
  void out_of_descriptors(int listen_fd);

  // -- any thread --------------------------------------------------------------

  /// Logs msg, at most one line per kind of event every 10 s (the next line
  /// says how many were not logged).
  void note(event kind, const std::string& msg);

  /// The last connection this guard dropped: why, and the peer's first bytes
  /// (described; also recorded as they arrive, for peers that just close).
  void record_drop(std::string reason, std::string first_bytes);
  void record_first_bytes(std::string first_bytes);
  std::pair<std::string, std::string> last_drop() const;

private:
  void forget_departed_nodes();
  void reserve_spare() noexcept;

  caf::actor_system* sys_;
  wire::node_ref self_;
  sender from_;
  guard_limits limits_;
  log_fn log_;
  std::string endpoint_;
  byte_budget budget_;
  std::atomic<std::size_t> open_{0};
  std::vector<guarded_scribe*> live_;
  guard_doorman* doorman_ = nullptr;
  caf::execution_unit* mpx_ = nullptr;
  clock::time_point last_sweep_{};
  bool accepting_paused_ = false;
  int spare_fd_ = -1;
  mutable std::mutex m_; // log state and last drop
  struct log_slot {
    clock::time_point last{};
    std::size_t suppressed = 0;
  };
  log_slot slots_[5];
  std::string drop_reason_;
  std::string drop_first_;
};

} // namespace kvmem::detail::net
