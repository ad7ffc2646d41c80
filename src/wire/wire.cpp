// kvmem::error <-> caf::error, and the registration of kvmem's message
// types and error renderer.
#include "kvmem/wire.hpp"

#include "wire/wire_types.hpp"

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

void register_types(caf::actor_system_config& cfg) {
  using owners = std::vector<std::pair<key, caf::actor>>;
#define KVMEM_REGISTER(type, name, who) cfg.add_message_type<type>(name);
  KVMEM_WIRE_TYPES(KVMEM_REGISTER)
#undef KVMEM_REGISTER
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           return from_caf(caf::error{code, error_category, ctx}).message();
                         });
}

} // namespace kvmem
