#include "net/guarded_scribe.hpp"

#include <algorithm>

#include <sys/socket.h>

#include <caf/io/network/native_socket.hpp>
#include <caf/message_id.hpp>

#include <fmt/format.h>

#include "net/basp_payload.hpp"
#include "net/basp_reply.hpp"
#include "net/peer_process.hpp"

namespace kvmem::detail::net {

namespace {
// What one read may bring in: also the stream's (permanent) read buffer.
constexpr std::size_t read_chunk = 64 * 1024;
// The largest one-way message a client may send a store (acknowledgements,
// unpin and unwatch take a few dozen bytes).
constexpr std::uint32_t max_one_way_bytes = 64 * 1024;
} // namespace

void guard_stream::removed_from_loop(caf::io::network::operation op) {
  caf::intrusive_ptr<caf::io::network::stream_manager> keep{owner_};
  stream::removed_from_loop(op);
  backend().post([keep = std::move(keep)]() mutable { keep.reset(); });
}

void guard_stream::stop_reading() {
  bool polled = (eventbf() & caf::io::network::input_mask) != 0;
  passivate();
  if (!polled)
    removed_from_loop(caf::io::network::operation::read);
}

guarded_scribe::guarded_scribe(caf::io::network::default_multiplexer& mx,
                               caf::io::network::native_socket fd,
                               std::shared_ptr<guard_state> state)
  : caf::io::scribe(caf::io::connection_handle::from_int(unique_handle_id())),
    state_(std::move(state)),
    stream_(mx, fd), filter_(state_->from(), state_->limits().frames, &state_->budget()),
    reply_size_(std::max<std::size_t>(state_->limits().max_pending_output, 64 * 1024)),
    opened_(guard_state::clock::now()), progress_(opened_) {
  header_buf_.reserve(basp_header_size);
  who_.self = state_->self();
  who_.actors = &named_;
  stream_.set_owner(this);
  state_->enlist(this);
}

guarded_scribe::~guarded_scribe() {
  if (claimed_)
    release_peer(who_.self, who_.peer, this);
  state_->delist(this);
}

void guarded_scribe::configure_read(caf::io::receive_policy::config) {
  // The broker asks for a header, then for its payload; the filter already
  // cuts the input that way. Only the first request matters: it starts the
  // read loop (as CAF's own scribe does).
  if (launched_)
    return;
  launched_ = true;
  stream_.ack_writes(broker_acks_ || tracks_output());
  stream_.configure_read(caf::io::receive_policy::at_most(read_chunk));
  stream_.start(this);
}

void guarded_scribe::ack_writes(bool enable) {
  broker_acks_ = enable;
  stream_.ack_writes(enable || paused_ || tracks_output());
}

bool guarded_scribe::tracks_output() const noexcept {
  return state_->from() == sender::client && state_->limits().max_pending_output > 0;
}

void guarded_scribe::graceful_shutdown() {
  stream_.graceful_shutdown();
  detach(&stream_.backend(), false);
}

std::vector<char>& guarded_scribe::wr_buf() {
  if (drop_posted_) {
    // The peer is being dropped: what the broker writes for it now (in the
    // same turn of the loop, before the drop) is thrown away, not held.
    discard_.clear();
    return discard_;
  }
  scan_output();
  return stream_.wr_buf();
}

void guarded_scribe::flush() {
  if (drop_posted_) {
    discard_.clear();
    return;
  }
  scan_output();
  stream_.flush(this);
  out_mark_ = stream_.wr_buf().size(); // 0 if the stream took it for sending
  if (tracks_output() && !dropped_) {
    if (auto why = overdue(guard_state::clock::now()); !why.empty())
      drop_later(std::move(why));
  }
}

void guarded_scribe::scan_output() {
  if (!tracks_output())
    return;
  // The broker appends whole frames between our wr_buf() and flush() calls;
  // a buffer smaller than the mark was taken by the stream for sending.
  auto& buf = stream_.wr_buf();
  if (buf.size() < out_mark_)
    out_mark_ = 0;
  while (out_mark_ + basp_header_size <= buf.size()) {
    auto h = decode_header(buf.data() + out_mark_);
    std::uint64_t size = basp_header_size + std::uint64_t{h.payload_len};
    if (out_mark_ + size > buf.size())
      break;
    if (appended_ == written_)
      took_at_ = guard_state::clock::now(); // owed nothing until now
    appended_ += size;
    if (h.operation == static_cast<std::uint8_t>(basp_op::direct_message)) {
      if (caf::message_id(h.operation_data).is_response()) {
        ++replies_;
        if (!in_flight_.empty()) {
          in_flight_bytes_ -= in_flight_.front();
          in_flight_.pop_front();
        }
        if (replies_ >= requests_) { // replies may come out of order: resync
          in_flight_.clear();
          in_flight_bytes_ = 0;
        }
        reply_size_ = std::max<std::size_t>(h.payload_len, reply_size_ - reply_size_ / 8);
      } else {
        deliveries_.push_back({appended_, size});
        owed_deliveries_ += size;
      }
    }
    out_mark_ += size;
  }
}

std::string guarded_scribe::overdue(guard_state::clock::time_point now) const {
  auto& lim = state_->limits();
  if (lim.max_owed_deliveries > 0 && owed_deliveries_ > lim.max_owed_deliveries)
    return fmt::format("owed {} bytes of watch deliveries, above the limit of {}",
                       owed_deliveries_, lim.max_owed_deliveries);
  if (lim.stall_timeout.count() > 0 && owed() > lim.max_pending_output &&
      now - took_at_ > lim.stall_timeout)
    return fmt::format("took none of the {} bytes owed to it for {} ms", owed(),
                       lim.stall_timeout.count());
  return {};
}

void guarded_scribe::drop_later(std::string why) {
  if (drop_posted_)
    return;
  drop_posted_ = true;
  auto& mx = stream_.backend();
  caf::intrusive_ptr<guarded_scribe> self{this};
  mx.post([self = std::move(self), why = std::move(why), &mx]() mutable {
    if (!self->detached())
      self->drop(&mx, why, guard_state::event::expired);
  });
}

std::string guarded_scribe::addr() const {
  auto x = caf::io::network::remote_addr_of_fd(stream_.fd());
  return x ? *x : std::string{};
}

std::uint16_t guarded_scribe::port() const {
  auto x = caf::io::network::remote_port_of_fd(stream_.fd());
  return x ? *x : 0;
}

void guarded_scribe::add_to_loop() {
  stream_.activate(this);
}

void guarded_scribe::remove_from_loop() {
  stream_.stop_reading();
}

bool guarded_scribe::consume(caf::execution_unit* ctx, const void* buf, std::size_t n) {
  if (detached() || dropped_)
    return false;
  auto p = static_cast<const char*>(buf);
  progress_ = guard_state::clock::now();
  if (paused_) {
    // Reads are off while paused; bytes that were already on their way wait.
    backlog_.insert(backlog_.end(), p, p + n);
    return false;
  }
  auto seen = filter_.first_len();
  auto ok = process(ctx, p, p + n);
  if (state_->from() == sender::server && !dropped_ && !first_settled_) {
    // A client explains a peer that closes without a valid handshake by
    // what it sent.
    if (filter_.handshaken()) {
      state_->record_first_bytes({});
      first_settled_ = true;
    } else if (filter_.first_len() != seen) {
      auto first = filter_.first_bytes();
      state_->record_first_bytes(describe_bytes(first.data(), first.size()));
    }
  }
  return ok;
}

bool guarded_scribe::process(caf::execution_unit* ctx, const char* p, const char* end) {
  for (;;) {
    switch (filter_.feed(p, end)) {
      case frame_filter::status::reject:
        drop(ctx, filter_.reason(), guard_state::event::dropped);
        return false;
      case frame_filter::status::need_more:
        return true;
      case frame_filter::status::frame:
        if (must_pause()) {
          pause(p, end);
          return false;
        }
        if (!deliver(ctx))
          return false;
        break;
    }
  }
}

bool guarded_scribe::deliver(caf::execution_unit* ctx) {
  // scribe::consume hands the broker whatever rd_buf() returns (swapped into
  // its new_data_msg and back): first the header, then the payload, which is
  // what the broker expects after asking for 32 bytes, then payload_len.
  auto& h = filter_.header();
  // CAF decodes a message's payload trusting it (basp_payload.hpp).
  auto& payload = filter_.payload();
  auto op = static_cast<basp_op>(h.operation);
  if ((op == basp_op::client_handshake || op == basp_op::server_handshake) && !identify(ctx))
    return false;
  if (second_ && op != basp_op::server_handshake) {
    drop(ctx, "a frame on a second connection to a server already connected",
         guard_state::event::dropped);
    return false;
  }
  named_.clear();
  // Every other frame comes after the handshake (frame_rules).
  const wire::speaker* who = identified_ ? &who_ : nullptr;
  auto check = state_->from() == sender::client
                   ? check_client_payload(h, payload.data(), payload.size(), who)
                   : check_server_payload(h, payload.data(), payload.size(), who);
  switch (check.action) {
    case verdict::drop:
      drop(ctx, check.why, guard_state::event::dropped);
      return false;
    case verdict::answer:
      answer(h);
      filter_.next();
      return true;
    case verdict::deliver:
      break;
  }
  if (!count_actors(ctx))
    return false;
  if (state_->from() == sender::client &&
      h.operation == static_cast<std::uint8_t>(basp_op::direct_message) &&
      (h.flags & named_receiver_flag) == 0) {
    if (caf::message_id(h.operation_data).is_request()) {
      // Decoded by CAF and queued for the store until it replies.
      ++requests_;
      in_flight_.push_back(h.payload_len);
      in_flight_bytes_ += h.payload_len;
    } else if (h.payload_len > max_one_way_bytes) {
      // A one-way message is not held back by any reply: a peer could queue
      // any amount of them in the store's mailbox.
      drop(ctx,
           fmt::format("a one-way message of {} bytes (above {}; a larger one must be a "
                       "request, which waits for its reply)",
                       h.payload_len, max_one_way_bytes),
           guard_state::event::dropped);
      return false;
    }
  }
  if (held_) {
    // The process named by the handshake held back in identify() uses this
    // connection: its old one goes, and CAF sees the handshake now.
    if (!take_over(ctx))
      return false;
  } else if (holding_) {
    holding_ = false; // the handshake held back: nothing else to send yet
    held_ = true;
    filter_.next();
    return true;
  }
  if (!pass(ctx, filter_.header_bytes(), filter_.payload()))
    return false;
  filter_.next();
  return true;
}

bool guarded_scribe::pass(caf::execution_unit* ctx, const char* header, std::vector<char>& payload) {
  header_buf_.assign(header, header + basp_header_size);
  delivering_ = &header_buf_;
  caf::io::scribe::consume(ctx, nullptr, basp_header_size);
  if (detached())
    return false;
  if (!payload.empty()) {
    delivering_ = &payload;
    caf::io::scribe::consume(ctx, nullptr, payload.size());
    delivering_ = &header_buf_;
    if (detached())
      return false;
  }
  return true;
}

bool guarded_scribe::take_over(caf::execution_unit* ctx) {
  held_ = false;
  if (auto* holder = peer_holder(who_.self, who_.peer); holder != nullptr && holder != this) {
    // Both connections live on this multiplexer thread.
    caf::intrusive_ptr<guarded_scribe> old{holder};
    old->drop(ctx, "replaced by a new connection of the same process", guard_state::event::dropped);
  }
  hold_peer(who_.self, who_.peer, this);
  claimed_ = true;
  return pass(ctx, held_header_.data(), held_payload_);
}

bool guarded_scribe::identify(caf::execution_unit* ctx) {
  auto& payload = filter_.payload();
  auto claimed = handshake_node(filter_.header(), payload.data(), payload.size(), who_.self);
  if (auto* why = std::get_if<std::string>(&claimed)) {
    drop(ctx, *why, guard_state::event::dropped);
    return false;
  }
  auto& node = std::get<wire::node_ref>(claimed);
  if (identified_) {
    // A client's second handshake (CAF's select-connection step) repeats it.
    if (node == who_.peer)
      return true;
    drop(ctx, "a second handshake with another node id", guard_state::event::dropped);
    return false;
  }
  if (node != who_.self) {
    // Node ids are guessable (a process id, and a host id every process of
    // a host shares), so a claim the kernel confirms (the process named
    // holds the peer's end of this connection) outranks one it cannot: the
    // process itself connecting again replaces its old connection (lost,
    // or a relay's, or a squatter's), and nobody else can take a node id
    // that a connection holds. Unconfirmed claims (remote peers, relays)
    // are first come, first served.
    // A node id with this node's host id names a process of this host
    // (CAF 0.17.6 derives the host id from the machine, per actor system
    // of a process, so a program's first system shares it with the
    // server's): one that does not hold this connection is an impostor.
    // Other node ids cannot be checked (another host, a relay): first come,
    // first served, unless the kernel confirms a later claim.
    if (node.host == who_.self.host && state_->from() == sender::client &&
        process_holds_peer(fd(), node.process) == ownership::does_not) {
      drop(ctx,
           fmt::format("a handshake with the node id of process {} of this host, which does not "
                       "hold this connection",
                       node.process),
           guard_state::event::dropped);
      return false;
    }
    auto* holder = peer_holder(who_.self, node);
    if (holder != nullptr && holder != this && state_->from() == sender::server) {
      // A client's second connection to a server it is connected to: CAF
      // closes it after this handshake and hands out the first one's actor.
      // It speaks for nobody: anything after the handshake drops it.
      who_.peer = node;
      identified_ = true;
      second_ = true;
      return true;
    }
    if (holder != nullptr && holder != this) {
      if (process_holds_peer(fd(), node.process) != ownership::holds) {
        drop(ctx, "a handshake with the node id of a peer already connected",
             guard_state::event::dropped);
        return false;
      }
      // The process itself, connecting again. Either its old connection is
      // lost (or a relay's, or a squatter's) and it will use this one, or
      // this one is redundant and CAF on its side closes it after the
      // server's handshake. So the handshake is held back until the peer
      // sends anything else (take_over), and the old connection stays
      // until then.
      who_.peer = node;
      identified_ = true;
      holding_ = true;
      held_header_.assign(filter_.header_bytes(), filter_.header_bytes() + basp_header_size);
      held_payload_ = filter_.payload();
      return true;
    }
    hold_peer(who_.self, node, this);
    claimed_ = true;
  }
  who_.peer = node;
  identified_ = true;
  return true;
}

bool guarded_scribe::count_actors(caf::execution_unit* ctx) {
  // CAF keeps a proxy for the peer's actor that sent a message and for each
  // one a message names, until the peer sends a down message for it.
  auto& h = filter_.header();
  auto op = static_cast<basp_op>(h.operation);
  if (op == basp_op::down_message) {
    peer_actors_.erase(h.source_actor);
    return true;
  }
  if (op != basp_op::direct_message)
    return true;
  if (h.source_actor != 0)
    peer_actors_.insert(h.source_actor);
  peer_actors_.insert(named_.begin(), named_.end());
  auto limit = state_->limits().max_peer_actors;
  if (limit == 0 || peer_actors_.size() <= limit)
    return true;
  drop(ctx, fmt::format("more than {} of its actors known here at once (CAF keeps a proxy for each)",
                        limit),
       guard_state::event::dropped);
  return false;
}

void guarded_scribe::answer(const basp_header& h) {
  if (!is_request(h))
    return; // a message nobody waits for: dropped, as the store would
  // Counted as a request delivered, and its reply as a reply (scan_output).
  ++requests_;
  in_flight_.push_back(0);
  auto frame = unexpected_message_reply(h);
  auto& out = wr_buf();
  out.insert(out.end(), frame.begin(), frame.end());
  flush();
}

void guarded_scribe::drop(caf::execution_unit* ctx, const std::string& why,
                          guard_state::event kind) {
  if (dropped_)
    return;
  dropped_ = true;
  if (claimed_)
    release_peer(who_.self, who_.peer, this); // a new connection may take it now
  claimed_ = false;
  auto first = filter_.first_bytes();
  state_->record_drop(why, describe_bytes(first.data(), first.size()));
  auto peer = addr();
  state_->note(kind, fmt::format("{}: dropped a connection from {}:{}: {}", state_->endpoint(),
                                 peer.empty() ? "?" : peer, port(), why));
  // As if the peer had closed the connection: the broker forgets it. The
  // socket is shut down at once, so that replies still waiting for this peer
  // fail now instead of holding the scribe (and their memory) until it reads.
  io_failure(ctx, caf::io::network::operation::read);
  ::shutdown(stream_.fd(), SHUT_RDWR);
}

std::uint64_t guarded_scribe::in_flight_limit() const {
  auto limit = state_->limits().max_pending_output;
  auto per_reply = std::max<std::size_t>(reply_size_, 64 * 1024);
  return std::clamp<std::uint64_t>(limit / per_reply, 4, 64);
}

bool guarded_scribe::must_pause() {
  auto limit = state_->limits().max_pending_output;
  if (state_->from() != sender::client || limit == 0)
    return false;
  scan_output();
  if (stream_.wr_buf().size() > limit)
    return true;
  auto& h = filter_.header();
  return h.operation == static_cast<std::uint8_t>(basp_op::direct_message) &&
         caf::message_id(h.operation_data).is_request() &&
         (requests_ - replies_ >= in_flight_limit() ||
          (requests_ > replies_ && in_flight_bytes_ >= limit));
}

bool guarded_scribe::may_resume() {
  scan_output();
  return stream_.wr_buf().size() <= state_->limits().max_pending_output / 2 &&
         requests_ - replies_ < in_flight_limit() &&
         (requests_ == replies_ || in_flight_bytes_ < state_->limits().max_pending_output);
}

void guarded_scribe::pause(const char* p, const char* end) {
  paused_ = true;
  paused_since_ = guard_state::clock::now();
  backlog_.assign(p, end);
  stream_.ack_writes(true);
  stream_.passivate();
}

void guarded_scribe::data_transferred(caf::execution_unit* ctx, std::size_t written,
                                      std::size_t remaining) {
  if (broker_acks_)
    caf::io::scribe::data_transferred(ctx, written, remaining);
  if (written > 0) {
    written_ += written;
    took_at_ = guard_state::clock::now();
    while (delivered_head_ < deliveries_.size() && deliveries_[delivered_head_].end <= written_)
      owed_deliveries_ -= deliveries_[delivered_head_++].size;
    if (delivered_head_ == deliveries_.size()) {
      deliveries_.clear();
      delivered_head_ = 0;
    } else if (delivered_head_ > 1024 && delivered_head_ * 2 > deliveries_.size()) {
      deliveries_.erase(deliveries_.begin(),
                        deliveries_.begin() + static_cast<std::ptrdiff_t>(delivered_head_));
      delivered_head_ = 0;
    }
  }
  if (!paused_)
    return;
  paused_since_ = guard_state::clock::now(); // the peer is reading: not stalled
  if (remaining <= state_->limits().max_pending_output / 2 && may_resume())
    resume(ctx);
}

void guarded_scribe::resume(caf::execution_unit* ctx) {
  if (detached() || dropped_)
    return;
  paused_ = false;
  stream_.ack_writes(broker_acks_ || tracks_output());
  std::vector<char> held;
  held.swap(backlog_);
  // The backlog first, and reading again only if it did not pause us anew:
  // resume_reading() and pause()'s passivate() in the same turn of the loop
  // cancel out in the multiplexer, which then never tells the stream that
  // reading stopped, so the stream keeps its reference to this scribe (its
  // own owner) forever: a scribe, its buffers and the guard's state leaked
  // per peer that was paused twice in a row (LeakSanitizer, remote_guard_test).
  process(ctx, held.data(), held.data() + held.size());
  if (!paused_ && !dropped_ && !detached())
    stream_.resume_reading(this);
}

void guarded_scribe::expire(caf::execution_unit* ctx, guard_state::clock::time_point now) {
  if (dropped_ || detached())
    return;
  auto& lim = state_->limits();
  auto past = [&](guard_state::clock::time_point since, std::chrono::milliseconds limit) {
    return limit.count() > 0 && now - since > limit;
  };
  if (!filter_.handshaken() && past(opened_, lim.handshake_timeout))
    drop(ctx, fmt::format("no handshake within {} ms", lim.handshake_timeout.count()),
         guard_state::event::expired);
  else if (filter_.mid_frame() && past(progress_, lim.stall_timeout))
    drop(ctx, fmt::format("a message stalled for {} ms", lim.stall_timeout.count()),
         guard_state::event::expired);
  else if (paused_ && past(paused_since_, lim.stall_timeout))
    drop(ctx, fmt::format("took none of its replies for {} ms", lim.stall_timeout.count()),
         guard_state::event::expired);
  else if (auto why = tracks_output() ? overdue(now) : std::string{}; !why.empty())
    drop(ctx, why, guard_state::event::expired);
}

} // namespace kvmem::detail::net
