// The messages kvmem's peers exchange, derived at compile time from the
// store's typed interface (internal; CAF's types at compile time only, the
// tables and the check are CAF-free at run time).
//
// A shape is the exact type list of a message ("@<>+@atom+kvmem::key" as
// CAF writes it) with a field reader per element (wire/wire_fields.hpp) and,
// for an atom, the value it must have. The shapes are:
// - store_requests: the inputs of kvmem::store_remote_actor's signatures,
//   which is exactly what a served store answers over the network;
// - store_replies: their outputs (each once), what a store replies;
// - delivery: (changes_atom, changes), what a store sends a watcher;
// - info_request / info_reply: CAF's own exchange when two nodes meet (each
//   BASP broker asks the other node's spawn server, by name, for
//   (sys_atom, get_atom, "info"); any actor answers (ok_atom, "info",
//   itself, its name));
// - error_reply: a caf::error, whose context holds flat types only;
// - empty_reply: what CAF answers a request to a reacts_to signature.
// A new signature whose types have no reader fails to compile here.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_nr.hpp>

#include "kvmem/store.hpp"
#include "wire/wire_fields.hpp"
#include "wire/wire_types.hpp"

namespace kvmem::detail::net {

/// One element of a shape.
struct element {
  std::string_view name; // as in the message's type list
  wire::field_reader read;
  bool is_atom = false;
  std::uint64_t atom = 0; // the value an atom must have
};

/// A message's exact type list and elements.
struct shape {
  std::string_view names; // "@<>+name+name..."
  std::span<const element> elements;
};

namespace schema_detail {

// CAF 0.17.6's names of its built-in types, in the order of
// caf::sorted_builtin_types (type number - 1; caf/type_nr.hpp).
// tests/message_schema_test.cpp compares them with caf::numbered_type_names.
inline constexpr std::string_view builtin_names[] = {
    "@actor", "@actorvec", "@addr", "@addrvec", "@atom", "@charbuf", "@config_value", "@down",
    "@downstream_msg", "@duration", "@error", "@exit", "@group", "@group_down", "@i16", "@i32",
    "@i64", "@i8", "@ldouble", "@message", "@message_id", "@node", "@open_stream_msg", "@str",
    "@strmap", "@strong_actor_ptr", "@strset", "@strvec", "@timeout", "@timespan", "@timestamp",
    "@u16", "@u16str", "@u32", "@u32str", "@u64", "@u8", "@unit", "@upstream_msg",
    "@weak_actor_ptr", "bool", "double", "float"};
static_assert(std::size(builtin_names) + 1 == caf::type_nrs, "CAF's list of built-in types changed");

// kvmem's name for a type it registers (wire/wire_types.hpp), else "".
template <class T>
struct kvmem_name {
  static constexpr std::string_view value = "";
};
#define KVMEM_SCHEMA_NAME(type, name, who)          \
  template <>                                       \
  struct kvmem_name<type> {                         \
    static constexpr std::string_view value = name; \
  };
KVMEM_WIRE_TYPES(KVMEM_SCHEMA_NAME)
#undef KVMEM_SCHEMA_NAME

template <class T>
constexpr std::string_view name_of() {
  if constexpr (!kvmem_name<T>::value.empty()) {
    return kvmem_name<T>::value;
  } else {
    static_assert(caf::type_nr<T>::value != 0, "a type neither built into CAF nor registered by kvmem");
    return builtin_names[caf::type_nr<T>::value - 1];
  }
}

template <class T>
struct atom_of {
  static constexpr bool is = false;
  static constexpr std::uint64_t value = 0;
};
template <caf::atom_value V>
struct atom_of<caf::atom_constant<V>> {
  static constexpr bool is = true;
  static constexpr std::uint64_t value = static_cast<std::uint64_t>(V);
};

template <class T>
constexpr element element_of() {
  constexpr auto name = name_of<T>();
  constexpr auto read = wire::find_field(name);
  static_assert(read != nullptr, "a type of the store's interface has no reader in wire_fields.hpp");
  return {name, read, atom_of<T>::is, atom_of<T>::value};
}

template <class... Ts>
constexpr auto join_names() {
  constexpr std::size_t n = 3 + (std::size_t{0} + ... + (1 + name_of<Ts>().size()));
  std::array<char, n> out{};
  std::size_t i = 0;
  for (char ch : std::string_view{"@<>"})
    out[i++] = ch;
  [[maybe_unused]] auto add = [&](std::string_view name) { // unused for no types
    out[i++] = '+';
    for (char ch : name)
      out[i++] = ch;
  };
  (add(name_of<Ts>()), ...);
  return out;
}

} // namespace schema_detail

/// The shape of a message of the types Ts (atoms as atom_constant<V>).
template <class... Ts>
struct shape_of {
  static constexpr std::array<element, sizeof...(Ts)> elements{schema_detail::element_of<Ts>()...};
  static constexpr auto names_buf = schema_detail::join_names<Ts...>();
  static constexpr shape value{std::string_view{names_buf.data(), names_buf.size()}, elements};
};

namespace schema_detail {

template <class Sig>
struct signature;
template <class... In, class... Out>
struct signature<caf::typed_mpi<caf::detail::type_list<In...>, caf::output_tuple<Out...>>> {
  static constexpr shape request = shape_of<In...>::value;
  static constexpr bool replies = true;
  static constexpr shape reply = shape_of<Out...>::value;
};
template <class... In>
struct signature<caf::typed_mpi<caf::detail::type_list<In...>, caf::output_tuple<void>>> {
  static constexpr shape request = shape_of<In...>::value;
  static constexpr bool replies = false; // reacts_to: sent, never answered
  static constexpr shape reply{};
};

template <class Sigs>
struct interface;
template <class... Sigs>
struct interface<caf::detail::type_list<Sigs...>> {
  static constexpr std::array<shape, sizeof...(Sigs)> requests{signature<Sigs>::request...};
  // The replies, each shape once.
  static constexpr auto replies_buf = [] {
    std::array<shape, sizeof...(Sigs)> out{};
    std::size_t n = 0;
    auto add = [&](bool some, shape s) {
      for (std::size_t i = 0; i < n; ++i)
        if (out[i].names == s.names)
          return;
      if (some)
        out[n++] = s;
    };
    (add(signature<Sigs>::replies, signature<Sigs>::reply), ...);
    return std::pair{out, n};
  }();
  static constexpr std::span<const shape> replies{replies_buf.first.data(), replies_buf.second};
};

using store_interface = interface<store_remote_actor::signatures>;

template <std::size_t... Ns>
constexpr auto concat(const std::array<shape, Ns>&... xs) {
  std::array<shape, (Ns + ...)> out{};
  std::size_t i = 0;
  ((std::copy(xs.begin(), xs.end(), out.begin() + static_cast<std::ptrdiff_t>(i)), i += Ns), ...);
  return out;
}

template <std::size_t N>
constexpr auto to_array(std::span<const shape> s) {
  std::array<shape, N> out{};
  for (std::size_t i = 0; i < N; ++i)
    out[i] = s[i];
  return out;
}

} // namespace schema_detail

/// What a served store answers: each signature's input.
inline constexpr std::span<const shape> store_requests{schema_detail::store_interface::requests};
/// What it replies with (a version, a read_result, ...): each output once.
inline constexpr std::span<const shape> store_replies = schema_detail::store_interface::replies;

/// A watch's delivery, sent by the store to the subscriber (store.hpp,
/// store_feeds).
using delivery = shape_of<changes_atom, changes>;
/// CAF's exchange when nodes meet (see above).
using info_request = shape_of<caf::sys_atom, caf::get_atom, std::string>;
using info_reply = shape_of<caf::ok_atom, std::string, caf::strong_actor_ptr, std::string>;
/// A reply that is an error.
using error_reply = shape_of<caf::error>;
/// The empty reply CAF sends when a request meets a handler that returns
/// nothing (a reacts_to signature, e.g. unpin, asked with request).
using empty_reply = shape_of<>;

/// What a server accepts from a client, by kind of message: to a named
/// receiver; otherwise (requests and sends to actors).
inline constexpr std::array<shape, 1> client_named{info_request::value};
inline constexpr auto client_messages = schema_detail::concat(
    schema_detail::to_array<store_requests.size()>(store_requests), std::array<shape, 1>{info_reply::value});

/// What a client accepts from a server: to a named receiver; responses;
/// other messages.
inline constexpr std::array<shape, 1> server_named{info_request::value};
inline constexpr auto server_responses = schema_detail::concat(
    schema_detail::to_array<store_replies.size()>(store_replies),
    std::array<shape, 2>{error_reply::value, empty_reply::value});
inline constexpr std::array<shape, 2> server_messages{delivery::value, info_reply::value};

namespace schema_detail {

// The marks of wire/wire_types.hpp agree with the interface: every kvmem
// type in a request is marked `client`, every one in a reply or a delivery
// `reply`.
constexpr bool marked(std::string_view name, std::string_view who) {
#define KVMEM_SCHEMA_MARK(type, wire_name, mark) \
  if (name == wire_name)                         \
    return who == #mark;
  KVMEM_WIRE_TYPES(KVMEM_SCHEMA_MARK)
#undef KVMEM_SCHEMA_MARK
  return true; // one of CAF's types
}
constexpr bool all_marked(std::span<const shape> shapes, std::string_view who) {
  for (auto& s : shapes)
    for (auto& e : s.elements)
      if (!marked(e.name, who))
        return false;
  return true;
}
static_assert(all_marked(store_requests, "client"), "a type a client sends is not marked `client`");
static_assert(all_marked(store_replies, "reply") && all_marked(std::array{delivery::value}, "reply"),
              "a type a store sends is not marked `reply`");

} // namespace schema_detail

/// Reads the elements of `s` at c; false (c failed) if one is refused or
/// an atom has another value.
inline bool read_elements(wire::cursor& c, const shape& s) {
  for (auto& e : s.elements) {
    if (e.is_atom) {
      if (c.u64() != e.atom && c.ok())
        return c.fail("an atom the store's interface does not have there");
    } else if (!e.read(c)) {
      return false;
    }
  }
  return c.ok();
}

/// Reads a message at c (its type list, then its elements) that must be of
/// one of `shapes`; returns it, or null with c failed. `list` is set to the
/// message's type list after "@<>" (for saying what was refused).
inline const shape* read_message(wire::cursor& c, std::span<const shape> shapes, std::string_view& list) {
  list = wire::read_type_list(c);
  if (!c.ok())
    return nullptr;
  const char* why = "a message of a shape not served";
  for (auto& s : shapes) {
    if (s.names.substr(3) != list)
      continue;
    auto at = c; // shapes may share a type list and differ in an atom
    if (read_elements(at, s)) {
      c = at;
      return &s;
    }
    why = at.why();
  }
  c.fail(why);
  return nullptr;
}

/// True if a message with the type list `list` (after "@<>"), not of a
/// served shape, holds only types a client sends (those of store_requests)
/// and CAF's scalars (wire::scalar_fields), each well-formed at c: a mistake
/// (another kvmem version, a wrong argument), not an attack. A server
/// answers such a request as the store would (unexpected_message) without
/// letting CAF decode it, and keeps the client.
inline bool read_unserved(wire::cursor& c, std::string_view list) {
  auto reader = [](std::string_view name) -> wire::field_reader {
    if (auto read = wire::find_in(wire::scalar_fields, name))
      return read;
    for (auto& s : store_requests)
      for (auto& e : s.elements)
        if (e.name == name)
          return e.read;
    return nullptr;
  };
  while (c.ok() && !list.empty()) {
    if (list[0] != '+')
      return c.fail("a malformed message type list");
    list.remove_prefix(1);
    auto name = list.substr(0, list.find('+'));
    list.remove_prefix(name.size());
    auto read = reader(name);
    if (read == nullptr)
      return c.fail("a message of a shape not served");
    read(c);
  }
  return c.ok();
}

} // namespace kvmem::detail::net
