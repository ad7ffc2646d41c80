// The payloads of the BASP frames kvmem's peers exchange, checked against
// the schema before CAF decodes a byte of them (internal; header-only,
// CAF-free at run time).
//
// CAF 0.17.6 decodes a direct message's payload (forwarding stack, then a
// caf::message) and a down message's (two node ids, then a caf::error whose
// context is a caf::message) trusting the peer as it trusts headers: a
// message holding only a caf::error kills the store actor, a `@charbuf`
// declaring 4 GiB makes CAF allocate and zero 4 GiB before it checks
// anything, a key of 40 million empty segments costs 2.18 GB, a
// `@config_value` with an unknown variant index throws (the BASP broker
// dies), a message nested 40,000 deep overflows the stack (SIGSEGV).
//
// So a message must be of one of the shapes of message_schema.hpp (exact
// type list, atoms' values, every field read and bounded by
// wire/wire_fields.hpp, every byte of the payload consumed):
// - from a client (a server's guard): to a named receiver, CAF's info
//   request; otherwise a request of the store's interface, or CAF's info
//   reply. Nothing else reaches CAF: no error, no nested message, no
//   config value, no char buffer, no (atom, actor pointer) pair (which CAF
//   takes for a link request and casts to a proxy unchecked). A message of
//   flat, well-formed types that is no served shape (another kvmem version,
//   a wrong argument) is answered as the store would answer it, without
//   CAF (verdict::answer, basp_reply.hpp); anything else drops the client.
// - from a server (a client's guard): to a named receiver, CAF's info
//   request; a response, one of the store's replies or an error; any other
//   message, a watch's delivery or CAF's info reply. Anything else drops
//   the connection: the client's calls then fail with `unavailable`.
// - a down message (either way): two node ids, then an error with a flat
//   context (or none); a monitor message: two node ids.
// - a handshake: the peer's node id (a client's is all its handshake holds;
//   a server's is followed by its application ids, the published actor's
//   id and its interface).
// Identity (when the caller says who speaks, wire::speaker): a peer speaks
// only for itself. Every node id it names is its own, this node's, or
// none: in a down or monitor message the first must be its own and the
// second this node's (CAF relays either to the node named second, and
// takes a down message as the end of that node's actor, whoever sends it);
// an actor handle naming any other node is refused (CAF would create a
// proxy and a route for the invented node and keep both).
//
// Layout (CAF 0.17.6 binary serializer, verified on its output by
// tests/message_schema_test.cpp): a node id is u64 atom of its kind, then
// for "default" a u32 process id and a 20-byte host id (atom("") is none);
// an actor pointer is u64 id then node id; a message is u16 type number (0)
// then a string "@<>" or "@<>+name+..." then the elements; an error is u8
// code, u64 category atom, then its context message.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "net/basp_frame.hpp"
#include "net/message_schema.hpp"
#include "wire/wire_cursor.hpp"
#include "wire/wire_fields.hpp"

namespace kvmem::detail::net {

/// caf::message_id's response flag, in a direct message's operation data.
inline constexpr std::uint64_t response_flag = std::uint64_t{1} << 63;
/// caf::io::basp::header::named_receiver_flag: dest_actor is a name (atom).
inline constexpr std::uint8_t named_receiver_flag = 0x01;
/// Most stages of a message's forwarding stack.
inline constexpr std::uint64_t max_stages = 16;

/// What the guard does with a frame.
enum class verdict {
  deliver, // to CAF's broker
  answer,  // not delivered; a request is answered with unexpected_message
  drop,    // the peer is disconnected
};

struct payload_check {
  verdict action = verdict::deliver;
  std::string why; // for drop: what the peer sent
};

namespace payload_detail {

inline payload_check drop(std::string why) { return {verdict::drop, std::move(why)}; }

// "a message of a shape not served: @<>+@atom+@message" (truncated), and
// for an error its context's type list: what the log says about a refusal.
inline std::string describe_refusal(const wire::cursor& c, std::string_view list, const char* p,
                                    std::size_t n, std::size_t message_at) {
  std::string out = c.why();
  out += ": @<>";
  out.append(list.substr(0, 96));
  if (list == "+@error") {
    wire::cursor at{p + message_at, n - message_at};
    wire::read_type_list(at);
    at.u8();
    at.u64();
    auto context = wire::read_type_list(at);
    if (at.ok())
      out += " (context @<>" + std::string(context.substr(0, 96)) + ")";
  }
  return out;
}

inline bool read_stages(wire::cursor& c) {
  auto n = c.size();
  if (c.ok() && n > max_stages)
    return c.fail("a forwarding stack above the limit");
  for (std::uint64_t i = 0; i < n && wire::read_actor(c); ++i) {
  }
  return c.ok();
}

// A direct message's payload: stages, then a message of `shapes`, then
// nothing. `unserved`: a client's flat message of no served shape is
// answered instead of dropping the client.
inline payload_check check_message(const char* p, std::size_t n, std::span<const shape> shapes,
                                   bool unserved, const wire::speaker* who) {
  wire::cursor c{p, n, who};
  if (!read_stages(c))
    return drop(std::string(c.why()) + " in a message's forwarding stack");
  auto message_at = n - c.remaining();
  std::string_view list;
  if (read_message(c, shapes, list)) {
    if (!c.at_end())
      return drop("a message with bytes after its end");
    return {};
  }
  if (unserved) {
    wire::cursor again{p + message_at, n - message_at, who};
    wire::read_type_list(again);
    if (read_unserved(again, list) && again.at_end())
      return {verdict::answer, {}};
  }
  return drop(describe_refusal(c, list, p, n, message_at));
}

// Two node ids that a peer sends about an actor (down and monitor
// messages): the first must be its own, the second this node's.
inline std::optional<std::string> check_route(wire::cursor& c, const wire::speaker* who,
                                              const char* what) {
  auto first = wire::read_node(c);
  auto second = wire::read_node(c);
  if (!first || !second)
    return std::string(what) + " with a malformed node id (" + c.why() + ")";
  if (who == nullptr)
    return std::nullopt;
  if (*first != who->peer)
    return std::string(what) + " about another node's actor";
  if (*second != who->self)
    return std::string(what) + " for another node";
  return std::nullopt;
}

// A down message's payload: two node ids, then why the actor went down.
inline payload_check check_down(const char* p, std::size_t n, const wire::speaker* who) {
  wire::cursor c{p, n};
  if (auto bad = check_route(c, who, "a down message"))
    return drop(std::move(*bad));
  auto at = n - c.remaining();
  if (!wire::read_error(c)) {
    std::string why = "a down message whose reason is ";
    why += c.why();
    wire::cursor again{p + at, n - at};
    again.u8();
    again.u64();
    auto context = wire::read_type_list(again);
    if (again.ok())
      why += ": @<>" + std::string(context.substr(0, 96));
    return drop(std::move(why));
  }
  if (!c.at_end())
    return drop("a down message with bytes after its end");
  return {};
}

// A monitor message's payload: two node ids.
inline payload_check check_monitor(const char* p, std::size_t n, const wire::speaker* who) {
  wire::cursor c{p, n};
  if (auto bad = check_route(c, who, "a monitor message"))
    return drop(std::move(*bad));
  if (!c.at_end())
    return drop("a monitor message with bytes after its end");
  return {};
}

// What either side does with a frame other than a direct message.
inline payload_check check_control(const basp_header& h, const char* p, std::size_t n,
                                   const wire::speaker* who) {
  switch (static_cast<basp_op>(h.operation)) {
    case basp_op::down_message:
      return check_down(p, n, who);
    case basp_op::monitor_message:
      return check_monitor(p, n, who);
    default:
      return {}; // handshakes (handshake_node) and heartbeats: basp_frame.hpp
  }
}

} // namespace payload_detail

/// What a kvmem server does with frame h and payload [p, p + n) from a
/// client. `who`: the client's node and this one's (after the handshake;
/// null: identities unchecked); the client's actor ids the frame names are
/// added to who->actors.
inline payload_check check_client_payload(const basp_header& h, const char* p, std::size_t n,
                                          const wire::speaker* who = nullptr) {
  using namespace payload_detail;
  if (static_cast<basp_op>(h.operation) != basp_op::direct_message)
    return check_control(h, p, n, who);
  if ((h.flags & named_receiver_flag) != 0)
    return check_message(p, n, client_named, false, who);
  if ((h.operation_data & response_flag) != 0)
    return drop("a response from a client (a store asks nothing)");
  return check_message(p, n, client_messages, true, who);
}

/// What a kvmem client does with frame h and payload [p, p + n) from the
/// server it connected to (`who` as above, the server the peer).
inline payload_check check_server_payload(const basp_header& h, const char* p, std::size_t n,
                                          const wire::speaker* who = nullptr) {
  using namespace payload_detail;
  if (static_cast<basp_op>(h.operation) != basp_op::direct_message)
    return check_control(h, p, n, who);
  if ((h.flags & named_receiver_flag) != 0)
    return check_message(p, n, server_named, false, who);
  if ((h.operation_data & response_flag) != 0)
    return check_message(p, n, server_responses, false, who);
  return check_message(p, n, server_messages, false, who);
}

/// The node id a peer's handshake (frame h, payload [p, p + n)) claims, or
/// why it is refused: a client handshake holds only a node id; a server
/// handshake a node id, its application ids, the published actor's id and
/// its interface. The node id must be valid, and a client's not `self`'s.
inline std::variant<wire::node_ref, std::string> handshake_node(const basp_header& h, const char* p,
                                                                std::size_t n,
                                                                const wire::node_ref& self) {
  wire::cursor c{p, n};
  auto node = wire::read_node(c);
  if (static_cast<basp_op>(h.operation) == basp_op::server_handshake) {
    auto strings = [&c](const char* too_many) {
      auto k = c.count(1024, 1, too_many);
      for (std::uint64_t i = 0; i < k && c.ok(); ++i)
        c.string(wire::wire_limits::string_bytes, "an overlong string in a handshake");
    };
    strings("too many application ids in a handshake");
    c.u64();
    strings("too many interfaces in a handshake");
  }
  if (!node || !c.ok())
    return std::string("a malformed handshake (") + c.why() + ")";
  if (!c.at_end())
    return std::string("a handshake with bytes after its end");
  if (!node->valid)
    return std::string("a handshake without a node id");
  // A server with this node's id is this process's own (CAF then closes
  // the connection and hands out the local actor); a client never is.
  if (*node == self && static_cast<basp_op>(h.operation) == basp_op::client_handshake)
    return std::string("a client handshake with this node's id (this process reaching its own "
                       "port is handed its local actor; the connection is not needed)");
  return *node;
}

} // namespace kvmem::detail::net
