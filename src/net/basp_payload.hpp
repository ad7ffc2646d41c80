// The payloads of the BASP frames a kvmem server accepts from its clients
// (internal, CAF-free; header-only).
//
// CAF 0.17.6 deserializes a direct message's payload (forwarding stack, then
// a caf::message) and a down message's payload (a caf::error, whose context
// is a caf::message) on the server, trusting the peer as it trusts headers:
// a `@config_value` with an out-of-range variant index makes
// caf::message::load throw std::runtime_error, which kills the BASP broker
// (every client then sees "the store actor is down"), and a caf::message
// nested 40,000 deep (`@message` inside `@message`...) overflows the stack
// (SIGSEGV). Both found by tests/fuzz/fuzz_message.cpp.
//
// So the guard reads the part of such a payload that says what CAF will
// decode -- the forwarding stack and the message's list of element type
// names -- and lets the frame through only if every element is of a type a
// kvmem client sends: kvmem's registered types (src/wire), atoms, integers,
// strings, actor handles, and a caf::error first (a reply; its context
// holding such flat types only). No `@message` (nesting), no
// `@config_value`, no down/exit/group messages, no floating point, and no
// (atom, strong_actor_ptr) pair, which CAF 0.17.6 takes for a link request
// and static_casts to a proxy without checking.
//
// Layout (CAF 0.17.6 binary serializer, verified on its output): sizes are
// varbyte (7 bits a byte, low first, high bit = more); a string is its size
// then its bytes; a node id is u64 atom of its kind, then for "default" a
// u32 process id and a 20-byte host id ("" -- 0x0f -- is none); an actor
// pointer is u64 id then node id; a message is u16 type number (0) then a
// string "@<>" or "@<>+name+name..." then the elements; an error is u8 code,
// u64 category atom, then its context message. A direct message's payload
// is the forwarding stack (a sequence of actor pointers), then the message;
// a down message's, two node ids, then an error.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "net/basp_frame.hpp"
#include "wire/wire_types.hpp"

namespace kvmem::detail::net {

namespace payload_detail {

// The element types a kvmem server expects in a client's message: kvmem's
// registered types that clients send (wire/wire_types.hpp, the one list),
// then CAF's built-in types of flat structure.
#define KVMEM_CLIENT_TYPE_client(name) name,
#define KVMEM_CLIENT_TYPE_reply(name)
#define KVMEM_CLIENT_TYPE(type, name, who) KVMEM_CLIENT_TYPE_##who(name)
inline constexpr std::string_view allowed_types[] = {
    KVMEM_WIRE_TYPES(KVMEM_CLIENT_TYPE)
#undef KVMEM_CLIENT_TYPE
#undef KVMEM_CLIENT_TYPE_reply
#undef KVMEM_CLIENT_TYPE_client
    // CAF's built-in types of flat structure
    "@atom", "bool", "@i8", "@u8", "@i16", "@u16", "@i32", "@u32", "@i64", "@u64", "@str",
    "@strvec", "@strset", "@strmap", "@charbuf", "@unit", "@actor", "@addr", "@timespan",
    "@timestamp",
    // checked in check_message: "@error" (first only), "@strong_actor_ptr"
    // (not after an atom)
};

inline constexpr std::size_t max_stages = 16;

// A bounded reader over the payload; every read fails past its end.
struct reader {
  const unsigned char* p;
  const unsigned char* end;
  bool ok = true;

  std::uint64_t be(std::size_t n) {
    if (!ok || static_cast<std::size_t>(end - p) < n) {
      ok = false;
      return 0;
    }
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < n; ++i)
      x = (x << 8) | *p++;
    return x;
  }
  std::uint64_t varbyte() {
    std::uint64_t x = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      auto b = be(1);
      if (!ok)
        return 0;
      x |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        return x;
    }
    ok = false;
    return 0;
  }
  std::string_view string() {
    auto n = varbyte();
    if (!ok || static_cast<std::uint64_t>(end - p) < n) {
      ok = false;
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
    p += n;
    return s;
  }
};

constexpr std::uint64_t atom_none = 0x0f;              // atom("")
constexpr std::uint64_t atom_default = 0x3e9aab9bac79; // atom("default")

// Skips a node id; false for kinds CAF 0.17.6 does not make by default.
inline bool skip_node_id(reader& r) {
  auto kind = r.be(8);
  if (kind == atom_default) {
    r.be(4); // process id
    r.be(8); // host id: 20 bytes
    r.be(8);
    r.be(4);
  } else if (kind != atom_none)
    return false;
  return r.ok;
}

inline bool is_allowed(std::string_view name) {
  for (auto a : allowed_types)
    if (a == name)
      return true;
  return false;
}

// Reads a message's type-name list; returns why it is refused, if it is.
// `top`: an error may come first (with a flat context of its own).
inline std::optional<std::string> check_message(reader& r, bool top) {
  auto nr = r.be(2);
  auto names = r.string();
  if (!r.ok)
    return std::string("a truncated message");
  if (nr != 0)
    return std::string("a message with a numbered type");
  if (names == "@<>")
    return std::nullopt;
  if (names.substr(0, 4) != "@<>+")
    return std::string("a malformed message type list");
  names.remove_prefix(4);
  std::size_t index = 0;
  std::string_view previous;
  bool error_first = false;
  while (true) {
    auto cut = names.find('+');
    auto name = names.substr(0, cut);
    bool ok = is_allowed(name) || (name == "@error" && top && index == 0) ||
              (name == "@strong_actor_ptr" && previous != "@atom");
    if (!ok)
      return "a message holding a " + std::string(name.substr(0, 64)) + " (not served)";
    if (name == "@error" && index == 0)
      error_first = true;
    previous = name;
    ++index;
    if (cut == std::string_view::npos)
      break;
    names.remove_prefix(cut + 1);
  }
  if (error_first) {
    r.be(1); // code
    r.be(8); // category
    if (auto why = check_message(r, false))
      return "an error whose context is " + *why;
  }
  return std::nullopt;
}

} // namespace payload_detail

/// Why a kvmem server must drop the client that sent frame h with payload
/// [p, p + n), or nothing if CAF may decode it. Frames whose payload CAF
/// decodes into no message (handshakes, monitor messages) pass.
inline std::optional<std::string> check_client_payload(const basp_header& h, const char* p,
                                                       std::size_t n) {
  using namespace payload_detail;
  reader r{reinterpret_cast<const unsigned char*>(p), reinterpret_cast<const unsigned char*>(p) + n};
  switch (static_cast<basp_op>(h.operation)) {
    case basp_op::direct_message: {
      auto stages = r.varbyte();
      if (!r.ok || stages > max_stages)
        return std::string("a message with a malformed forwarding stack");
      for (std::uint64_t i = 0; i < stages; ++i) {
        r.be(8); // actor id
        if (!skip_node_id(r))
          return std::string("a message with a malformed forwarding stack");
      }
      return check_message(r, true);
    }
    case basp_op::down_message: {
      // Two node ids (seen on the wire: the same one twice), then why the
      // actor went down: an error.
      if (!skip_node_id(r) || !skip_node_id(r))
        return std::string("a down message with a malformed node id");
      r.be(1);
      r.be(8);
      if (auto why = check_message(r, false))
        return "a down message whose reason is " + *why;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

} // namespace kvmem::detail::net
