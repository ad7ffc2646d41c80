// The store's replies of its own (internal): one mailbox element holding the
// value, sent now from the store's thread (store_commit.cpp, answer) or
// later from the journal's or a checkpoint's thread (store_persist.cpp), as
// response_promise::deliver would send it but without its separate message.
#pragma once

#include <caf/mailbox_element.hpp>

namespace kvmem::detail {

/// Whether the reply to `req` can be such an element: a request not
/// answered yet, with no forwarding stages (none of kvmem's requests has
/// any; those go through a response_promise).
inline bool answerable(const caf::mailbox_element* req) noexcept {
  return req != nullptr && req->stages.empty() && req->mid.is_request() && !req->mid.is_answered();
}

/// Sends `x` as the reply `id` from `from` to `to` (nothing if `to` is null).
/// `ctx`: the sending actor's execution unit, or null on a thread of no
/// actor (CAF's scheduler then takes whatever the reply wakes). A reply
/// that cannot be allocated is lost: the store goes on.
template <class T>
void send_reply(const caf::strong_actor_ptr& to, const caf::strong_actor_ptr& from,
                caf::message_id id, T&& x, caf::execution_unit* ctx) noexcept {
  if (!to)
    return;
  try {
    to->enqueue(caf::make_mailbox_element(from, id, {}, std::forward<T>(x)), ctx);
  } catch (...) {
  }
}

} // namespace kvmem::detail
