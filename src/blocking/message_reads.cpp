#include "blocking/message_reads.hpp"

#include <fmt/format.h>

namespace kvmem::detail {

result<std::optional<kind>> message_reads::exists(const key& k) {
  auto r = ask<presence>(exists_atom::value, k);
  if (!r)
    return std::move(r).error();
  if (!is_valid(*r))
    return error::make(errc::unavailable, fmt::format("the store replied to exists with an unknown "
                                                      "presence code {}",
                                                      static_cast<unsigned>(*r)));
  return to_kind(*r);
}

result<bytes> message_reads::get(const key& k) { return ask<bytes>(get_atom::value, k); }

result<bytes> message_reads::get_partial(const key& k, std::uint64_t off, std::uint64_t len) {
  return ask<bytes>(get_partial_atom::value, k, off, len);
}

result<std::uint64_t> message_reads::size(const key& k) {
  return ask<std::uint64_t>(size_atom::value, k);
}

result<listing> message_reads::list(const key& k) {
  auto r = ask<listing>(list_atom::value, k);
  if (r)
    for (const auto& [name, what] : *r)
      if (!is_valid(what))
        return error::make(errc::unavailable,
                           fmt::format("the store listed {} with an unknown kind code {}", name,
                                       static_cast<unsigned>(what)));
  return r;
}

result<ptime> message_reads::last_modified(const key& k) {
  return ask<ptime>(last_modified_atom::value, k);
}

result<kvmem::digest> message_reads::digest(const key& k) {
  return ask<kvmem::digest>(digest_atom::value, k);
}

result<entry_stat> message_reads::stat(const key& k) { return ask<entry_stat>(stat_atom::value, k); }

} // namespace kvmem::detail
