// Building and taking apart store handles (internal): the friend accessor
// behind kvmem::store's private members, for the store's, the clients' and
// the network code.
#pragma once

#include "kvmem/store.hpp"
#include "store/published.hpp"

namespace kvmem::detail {

struct store_access {
  static store make(store_actor a, std::shared_ptr<const published> local, store_options opts,
                    std::chrono::milliseconds call_timeout) {
    store s;
    s.actor_ = std::move(a);
    s.local_ = std::move(local);
    s.opts_ = opts;
    s.call_timeout_ = call_timeout;
    return s;
  }
  /// Where a local store publishes its root; null for a remote store.
  static const published* local(const store& s) noexcept { return s.local_.get(); }
};

} // namespace kvmem::detail
