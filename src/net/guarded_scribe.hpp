// A CAF scribe that lets only well-formed BASP frames reach the BASP broker
// (internal; reaches into CAF 0.17.6's I/O layer, see below).
//
// CAF's own scribe reads exactly what the broker asks for: 32 header bytes,
// then as many payload bytes as the header declares, into a buffer sized
// up front. This one reads whatever arrives (at most 64 KiB at a time), cuts
// it into frames with a frame_filter, and hands the broker a frame only when
// it is complete, its header passed the rules of basp_frame.hpp and its
// payload the schema of basp_payload.hpp (on both ends: a server checks its
// clients, a client its server); a peer that breaks them is disconnected
// before the broker sees a byte of the bad frame. The broker's own read requests are ignored: the filter knows BASP's
// framing. It runs on CAF's multiplexer thread, like every scribe, so it adds
// no thread hop and no copy of small frames beyond one memcpy.
//
// Back-pressure (server side): a peer's next request waits, and its
// connection is not read, while more than max_pending_output bytes wait to
// be sent to it, or while it has too many requests in flight: as many as
// max_pending_output / (the size of its recent replies, at least 64 KiB), 4
// to 64 (4 at first). Replies are counted in the output the
// broker writes; a peer that sends requests and never reads the replies
// cannot make the server hold more than about max_pending_output plus a few
// replies. A request waits too while the requests in flight hold more than
// max_pending_output bytes (so a peer has at most that much, or one
// request, decoded and queued for the store); a one-way message above
// 64 KiB drops the peer (nothing would hold such messages back). One-way
// messages to the peer (watch deliveries) cannot wait: a peer is
// dropped when more than max_owed_deliveries of them wait for it, or when
// it owes more than max_pending_output and has taken nothing for
// stall_timeout (checked as output arrives, and by the sweep).
//
// Version-fragile: relies on CAF 0.17.6's scribe/stream/event_handler
// contracts (scribe::consume reads rd_buf(); a stream passivates when
// consume returns false; event registrations squash). Written against the
// 0.17.6 headers and sources; cmake/kvmemCAF.cmake pins that version.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/stream_impl.hpp>
#include <caf/io/scribe.hpp>
#include <caf/policy/tcp.hpp>

#include "net/frame_filter.hpp"
#include "net/guard_state.hpp"

namespace kvmem::detail::net {

/// CAF's TCP stream, with a way to resume reading that works whether or not
/// the multiplexer has already processed an earlier passivate(), and that
/// never destroys itself inside its own removed_from_loop().
class guard_stream final : public caf::io::network::stream_impl<caf::policy::tcp> {
public:
  using stream_impl::stream_impl;
  void set_owner(caf::io::network::stream_manager* owner) noexcept { owner_ = owner; }
  void resume_reading(caf::io::network::stream_manager* mgr) {
    activate(mgr);                              // re-attaches a detached reader
    this->caf::io::network::event_handler::activate(); // cancels a pending del
  }
  // The multiplexer calls this on the stream, and the stream drops its
  // reference to the scribe that contains it: when that is the last one,
  // CAF's own scribes are destroyed in the middle of this call, and the
  // multiplexer may still call removed_from_loop(write) on the freed stream
  // when both directions went at once. Here the last reference is dropped on
  // the loop's next turn instead.
  void removed_from_loop(caf::io::network::operation op) override;
  /// Stops reading for good. CAF's multiplexer squashes an add and a del of
  /// one socket queued in the same turn of its loop into nothing, and then
  /// never calls removed_from_loop(read): the stream (or acceptor) would keep
  /// its reference to its owner forever (LeakSanitizer: a doorman published
  /// and unpublished in one turn, remote_test). So when the socket was not
  /// yet in the poller, the reference is dropped here.
  void stop_reading();

private:
  caf::io::network::stream_manager* owner_ = nullptr;
};

class guarded_scribe final : public caf::io::scribe {
public:
  guarded_scribe(caf::io::network::default_multiplexer& mx, caf::io::network::native_socket fd,
                 std::shared_ptr<guard_state> state);
  ~guarded_scribe() override;

  // -- caf::io::scribe --------------------------------------------------------
  void configure_read(caf::io::receive_policy::config config) override;
  void ack_writes(bool enable) override;
  std::vector<char>& wr_buf() override;
  std::vector<char>& rd_buf() override { return *delivering_; }
  void graceful_shutdown() override;
  void flush() override;
  std::string addr() const override;
  std::uint16_t port() const override;
  void add_to_loop() override;
  void remove_from_loop() override;
  bool consume(caf::execution_unit* ctx, const void* buf, std::size_t n) override;
  void data_transferred(caf::execution_unit* ctx, std::size_t written,
                        std::size_t remaining) override;

  // -- for the guard's sweep (multiplexer thread) -----------------------------
  /// Drops the connection if it is past a deadline at `now`.
  void expire(caf::execution_unit* ctx, guard_state::clock::time_point now);

  int fd() const noexcept { return stream_.fd(); }

private:
  // Parses and delivers frames from [p, end); false once the connection is
  // dropped, detached or paused (the rest of the input is then kept).
  bool process(caf::execution_unit* ctx, const char* p, const char* end);
  bool deliver(caf::execution_unit* ctx);
  // The peer's handshake names its node: claimed for this connection.
  bool identify(caf::execution_unit* ctx);
  // Hands one frame to the broker; false if that closed the connection.
  bool pass(caf::execution_unit* ctx, const char* header, std::vector<char>& payload);
  // The held handshake's process uses this connection: its old one goes.
  bool take_over(caf::execution_unit* ctx);
  // The peer's actors CAF now keeps a proxy for (or forgot): false if the
  // peer has too many.
  bool count_actors(caf::execution_unit* ctx);
  // Answers a request CAF is not shown (basp_payload.hpp, verdict::answer)
  // with unexpected_message, as the store would.
  void answer(const basp_header& h);
  void drop(caf::execution_unit* ctx, const std::string& why, guard_state::event kind);
  bool must_pause();
  bool may_resume();
  std::uint64_t in_flight_limit() const;
  // Counts the replies among the frames the broker wrote since last time.
  void scan_output();
  void pause(const char* p, const char* end);
  // Bytes written by the broker and not yet taken by the peer.
  std::uint64_t owed() const noexcept { return appended_ - written_; }
  // Why the peer must go for what it owes at `now`, or empty.
  std::string overdue(guard_state::clock::time_point now) const;
  // Drops the peer on the multiplexer's next turn (not inside the broker's
  // own write).
  void drop_later(std::string why);
  bool tracks_output() const noexcept;
  void resume(caf::execution_unit* ctx);

  std::shared_ptr<guard_state> state_;
  guard_stream stream_;
  frame_filter filter_;
  bool launched_ = false;
  bool broker_acks_ = false; // the broker asked for data_transferred_msg
  bool paused_ = false;
  bool dropped_ = false;
  bool first_settled_ = false; // client side: the server's handshake arrived
  // Who speaks (the peer's node once its handshake arrived, and ours), and
  // the peer's actor ids the frame being checked named.
  wire::speaker who_;
  bool identified_ = false;
  bool second_ = false; // a client's second connection to its server (CAF closes it)
  bool claimed_ = false; // this connection holds who_.peer's claim (hold_peer)
  // A handshake with a node id another connection holds, from the process
  // it names: held back until the peer sends anything else (take_over).
  bool holding_ = false, held_ = false;
  std::string held_header_;
  std::vector<char> held_payload_;
  std::vector<std::uint64_t> named_;
  std::unordered_set<std::uint64_t> peer_actors_; // those CAF keeps proxies for
  std::vector<char> header_buf_;
  std::vector<char>* delivering_ = &header_buf_;
  std::vector<char> backlog_; // input read while paused
  std::size_t out_mark_ = 0;  // output bytes already scanned for replies
  std::uint64_t requests_ = 0, replies_ = 0;
  // The sizes of the requests in flight (oldest first; a reply retires the
  // oldest) and their sum.
  std::deque<std::uint32_t> in_flight_;
  std::uint64_t in_flight_bytes_ = 0;
  // Output: bytes the broker appended and the peer took, the one-way
  // messages among them not yet taken (end offset, size), and when the
  // peer last took a byte (or was last owed nothing).
  std::uint64_t appended_ = 0, written_ = 0;
  struct owed_frame {
    std::uint64_t end, size;
  };
  std::vector<owed_frame> deliveries_; // a queue: [delivered_head_, end)
  std::size_t delivered_head_ = 0;
  std::uint64_t owed_deliveries_ = 0;
  guard_state::clock::time_point took_at_;
  bool drop_posted_ = false;
  std::vector<char> discard_; // the broker's output once a drop is posted
  // The size of recent replies: the largest, decaying by 1/8 per reply. It
  // starts at max_pending_output (4 requests in flight), so a new peer opens
  // up to 64 only after ~30 small replies, whatever arrives first.
  std::size_t reply_size_;
  guard_state::clock::time_point opened_;
  guard_state::clock::time_point progress_; // last byte of a frame in progress
  guard_state::clock::time_point paused_since_;
};

} // namespace kvmem::detail::net
