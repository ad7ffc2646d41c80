// kvmem::error <-> caf::error, and the registration of kvmem's message
// types and error renderer.
#include "kvmem/wire.hpp"

#include "wire/wire_types.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>

namespace kvmem {

caf::error to_caf(const error& e) {
  std::vector<key> keys;
  if (e.path) {
    keys.push_back(*e.path);
    if (e.destination)
      keys.push_back(*e.destination);
  }
  // Versions of a version_mismatch: (presence bits, expected, actual).
  std::vector<std::uint64_t> versions;
  if (e.code == errc::version_mismatch)
    versions = {(e.expected ? 1u : 0u) | (e.actual ? 2u : 0u), e.expected.value_or(0),
                e.actual.value_or(0)};
  return caf::error{static_cast<std::uint8_t>(e.code), error_category,
                    caf::make_message(std::move(keys), e.attempts, e.detail, std::move(versions))};
}

namespace {
// CAF's own errors, in words a user of a store understands.
std::string describe(const caf::error& e) {
  if (e == caf::sec::request_receiver_down)
    return "the store actor is down";
  if (e == caf::sec::request_timeout)
    return "no reply in time";
  if (e == caf::exit_reason::remote_link_unreachable)
    return "the connection to the store was lost";
  if (e == caf::exit_reason::user_shutdown || e == caf::exit_reason::kill)
    return "the store was shut down";
  if (e == caf::sec::unexpected_message)
    return "the store does not understand this request (a different kvmem version?)";
  if (e == caf::sec::no_route_to_receiving_node || e == caf::sec::cannot_connect_to_node)
    return "the store's node cannot be reached";
  return caf::to_string(e);
}
} // namespace

error from_caf(const caf::error& e) {
  if (e.category() == error_category && e.code() >= 1 && e.code() <= max_errc) {
    error out;
    out.code = static_cast<errc>(e.code());
    auto& ctx = e.context();
    if (ctx.match_elements<std::vector<key>, std::uint32_t, std::string,
                           std::vector<std::uint64_t>>()) {
      auto& keys = ctx.get_as<std::vector<key>>(0);
      if (!keys.empty())
        out.path = keys[0];
      if (keys.size() > 1)
        out.destination = keys[1];
      out.attempts = ctx.get_as<std::uint32_t>(1);
      out.detail = ctx.get_as<std::string>(2);
      auto& v = ctx.get_as<std::vector<std::uint64_t>>(3);
      if (v.size() == 3) {
        if (v[0] & 1u)
          out.expected = v[1];
        if (v[0] & 2u)
          out.actual = v[2];
      }
    }
    return out;
  }
  return error::make(errc::unavailable, describe(e));
}

namespace detail {

namespace {
std::uint8_t kind_code(std::optional<kind> k) noexcept {
  return k ? static_cast<std::uint8_t>(*k) : 0; // kind::value = 1, kind::dictionary = 2
}
bool code_to_kind(std::uint8_t c, std::optional<kind>& out) noexcept {
  if (c > 2)
    return false;
  out = c == 0 ? std::nullopt : std::optional<kind>{static_cast<kind>(c)};
  return true;
}
caf::error bad(const char* why) {
  return caf::make_error(caf::sec::invalid_argument, std::string("kvmem::read_result: ") + why);
}
} // namespace

caf::error save_read_result(caf::serializer& f, read_result& x) {
  auto which = static_cast<std::uint8_t>(x.value().index());
  if (auto e = f(which))
    return e;
  return std::visit(
      [&](auto& v) -> caf::error {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::optional<kind>>) {
          auto c = kind_code(v);
          return f(c);
        } else if constexpr (std::is_same_v<T, listing>) {
          auto n = v.size();
          if (auto e = f.begin_sequence(n))
            return e;
          for (auto& [k, what] : v) {
            auto c = kind_code(what);
            if (auto e = f(k, c))
              return e;
          }
          return f.end_sequence();
        } else {
          return f(v);
        }
      },
      x.value());
}

caf::error load_read_result(caf::deserializer& f, read_result& x) {
  std::uint8_t which = 0;
  if (auto e = f(which))
    return e;
  auto load = [&](auto v) -> caf::error { // v: a default of the alternative
    using T = decltype(v);
    if constexpr (std::is_same_v<T, std::optional<kind>>) {
      std::uint8_t c = 0;
      if (auto e = f(c))
        return e;
      if (!code_to_kind(c, v))
        return bad("unknown kind");
    } else if constexpr (std::is_same_v<T, listing>) {
      std::size_t n = 0;
      if (auto e = f.begin_sequence(n))
        return e;
      // Each entry takes at least two bytes: a longer list is a lie.
      if (auto* bin = dynamic_cast<caf::binary_deserializer*>(&f); bin && n > bin->remaining() / 2)
        return bad("a listing longer than the message");
      v.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        key k;
        std::uint8_t c = 0;
        if (auto e = f(k, c))
          return e;
        std::optional<kind> what;
        if (!code_to_kind(c, what) || !what)
          return bad("unknown kind in a listing");
        v.emplace_back(std::move(k), *what);
      }
      if (auto e = f.end_sequence())
        return e;
    } else {
      if (auto e = f(v))
        return e;
    }
    x = read_result{std::move(v)};
    return caf::none;
  };
  switch (which) {
    case 0: return load(std::optional<kind>{});
    case 1: return load(bytes{});
    case 2: return load(std::uint64_t{0});
    case 3: return load(listing{});
    case 4: return load(ptime{});
    case 5: return load(kvmem::digest{});
    case 6: return load(entry_stat{});
    default: return bad("unknown kind of result");
  }
}

std::string describe_read_result(const read_result& x) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::optional<kind>>)
          return v ? std::string(to_string(*v)) : "absent";
        else if constexpr (std::is_same_v<T, bytes>)
          return fmt::format("{} bytes", v.size());
        else if constexpr (std::is_same_v<T, listing>)
          return fmt::format("{} entries", v.size());
        else if constexpr (std::is_same_v<T, std::uint64_t>)
          return std::to_string(v);
        else
          return "a result";
      },
      x.value());
}

} // namespace detail

void register_types(caf::actor_system_config& cfg) {
#define KVMEM_REGISTER(type, name, who) cfg.add_message_type<type>(name);
  KVMEM_WIRE_TYPES(KVMEM_REGISTER)
#undef KVMEM_REGISTER
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           return from_caf(caf::error{code, error_category, ctx}).message();
                         });
}

} // namespace kvmem
