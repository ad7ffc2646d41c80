#include "kvmem/messages.hpp"
#include "kvmem/store.hpp"

#include <caf/message.hpp>

namespace kvmem {

result<bool> apply(tree& t, const write_op& w, ptime now) {
  using c = write_op::code;
  switch (w.op) {
    case c::set: return changed(t.set(w.k, w.data, now));
    case c::set_partial: return changed(t.set_partial(w.k, w.n, w.data.view(), now));
    case c::remove: return t.remove(w.k, now);
    case c::rename: return t.rename(w.k, w.k2, now);
    case c::allocate:
      return changed(
          t.allocate(w.k, w.n, w.has_time ? std::optional<ptime>{w.time} : std::nullopt, now));
  }
  return error::make(errc::invalid_argument, "unknown write operation");
}

caf::error to_caf(const error& e) {
  return caf::error{static_cast<std::uint8_t>(e.code), error_category,
                    caf::make_message(e.k, e.k2, e.attempts, e.detail)};
}

error from_caf(const caf::error& e) {
  if (e.category() == error_category && e.code() >= 1 &&
      e.code() <= static_cast<std::uint8_t>(errc::conflict)) {
    error out;
    out.code = static_cast<errc>(e.code());
    auto& ctx = e.context();
    if (ctx.match_elements<key, key, std::uint32_t, std::string>()) {
      out.k = ctx.get_as<key>(0);
      out.k2 = ctx.get_as<key>(1);
      out.attempts = ctx.get_as<std::uint32_t>(2);
      out.detail = ctx.get_as<std::string>(3);
    }
    return out;
  }
  if (e == caf::sec::request_receiver_down)
    return error::make(errc::unavailable, "the store actor is down");
  if (e == caf::sec::request_timeout)
    return error::make(errc::unavailable, "no reply in time");
  return error::make(errc::unavailable, caf::to_string(e));
}

std::string to_string(kind k) { return k == kind::value ? "value" : "dictionary"; }

std::string to_string(presence p) {
  return p == presence::absent ? "absent" : to_string(static_cast<kind>(p));
}

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<key>("kvmem::key");
  cfg.add_message_type<bytes>("kvmem::bytes");
  cfg.add_message_type<ptime>("kvmem::ptime");
  cfg.add_message_type<digest>("kvmem::digest");
  cfg.add_message_type<kind>("kvmem::kind");
  cfg.add_message_type<listing>("kvmem::listing");
  cfg.add_message_type<write_op>("kvmem::write_op");
  cfg.add_message_type<std::vector<write_op>>("std::vector<kvmem::write_op>");
  cfg.add_message_type<commit>("kvmem::commit");
  cfg.add_message_type<snapshot>("kvmem::snapshot");
  cfg.add_message_type<pin>("kvmem::pin");
  cfg.add_message_type<store_info>("kvmem::store_info");
  cfg.add_message_type<presence>("kvmem::presence");
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           return from_caf(caf::error{code, error_category, ctx}).message();
                         });
}

} // namespace kvmem
