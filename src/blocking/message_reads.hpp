// Reads by message to a store (internal): the store's current state, or a
// snapshot it keeps pinned for a remote batch. Through a caller, so each
// read is one blocking round trip.
#pragma once

#include <optional>

#include "blocking/caller.hpp"
#include "blocking/reads.hpp"

namespace kvmem::detail {

class message_reads final : public reads {
public:
  explicit message_reads(caller& c, std::optional<pin> p = std::nullopt) : c_(c), p_(p) {}
  result<std::optional<kind>> exists(const key& k) override;
  result<bytes> get(const key& k) override;
  result<bytes> get_partial(const key& k, std::uint64_t off, std::uint64_t len) override;
  result<std::uint64_t> size(const key& k) override;
  result<listing> list(const key& k) override;
  result<ptime> last_modified(const key& k) override;
  result<kvmem::digest> digest(const key& k) override;
  result<entry_stat> stat(const key& k) override;

private:
  // The read message, with the pin first if there is one.
  template <class T, class Atom, class... Ts>
  result<T> ask(Atom atom, const Ts&... xs) {
    return p_ ? c_.call<T>(atom, *p_, xs...) : c_.call<T>(atom, xs...);
  }

  caller& c_;
  std::optional<pin> p_;
};

} // namespace kvmem::detail
