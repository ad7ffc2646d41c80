// Reads by message to a store (internal): its current state, or a snapshot
// it keeps pinned for a remote batch (the pin goes first). Through a caller,
// so each read is one blocking round trip; what comes back was checked as
// it was decoded (wire.hpp).
#pragma once

#include <optional>

#include "blocking/caller.hpp"

namespace kvmem::detail {

class message_reads {
public:
  explicit message_reads(caller& c, std::optional<pin> p = std::nullopt) : c_(c), p_(p) {}
  result<read_result> read(const read_op& op) {
    return p_ ? c_.call<read_result>(read_atom::value, *p_, op)
              : c_.call<read_result>(read_atom::value, op);
  }

private:
  caller& c_;
  std::optional<pin> p_;
};

} // namespace kvmem::detail
