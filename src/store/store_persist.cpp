// The store's side of persistence: journaling each commit before it is
// applied, acknowledging it once it is on disk (sync_policy::always),
// starting checkpoints, and what info() reports. The journal, checkpoints
// and recovery themselves are src/persist.

#include "persist/journal_record.hpp"
#include "store/reply.hpp"
#include "store/store_state.hpp"

namespace kvmem::detail {

namespace {

// The current request, if this store can answer it later from another
// thread (reply.hpp) and someone waits for the answer.
/// Most checkpoint requests waiting at once (request_checkpoint).
constexpr std::size_t max_checkpoint_waiters = 4096;

caf::mailbox_element* answerable_later(store_self self) {
  auto* req = self->current_mailbox_element();
  return answerable(req) && req->sender ? req : nullptr;
}

} // namespace

std::optional<error> journal_commit(store_self self, const commit_record& rec,
                                    const std::vector<std::pair<key, caf::actor>>& owners) {
  auto& p = *self->state.persist;
  auto& buf = p.scratch;
  buf.clear();
  std::vector<key> made;
  for (auto& [k, owner] : owners)
    if (owner) // a null owner makes nothing owned (update_owners skips it too)
      made.push_back(k);
  encode_record(buf, rec.at, rec.writes, made);
  auto r = p.log().append(buf, rec.at.version);
  if (buf.capacity() > (std::size_t{1} << 20))
    std::string{}.swap(buf); // a large value's record does not stay in memory
  if (!r)
    return std::move(r).error();
  return std::nullopt;
}

void answer_when_synced(store_self self, version_t v) noexcept {
  auto& log = self->state.persist->log();
  auto* req = self->current_mailbox_element();
  if (req == nullptr || !req->mid.is_request() || req->mid.is_answered())
    return; // an async message: no acknowledgement to hold back
  if (auto* r = answerable_later(self)) {
    try {
      auto response = r->mid.response_id(); // before marking: the flag would show in it
      log.when_synced([to = r->sender, from = self->ctrl(), response, v](const error* e) {
        if (e)
          send_reply(to, from, response, to_caf(*e), nullptr);
        else
          send_reply(to, from, response, v, nullptr);
      });
      r->mid.mark_as_answered();
      return;
    } catch (...) {
      // No memory for the waiter: sync here instead.
    }
  }
  // Answered here, after a sync of its own: a forwarded request, or out of
  // memory above.
  try {
    auto s = log.sync_now();
    auto rp = self->make_response_promise<version_t>();
    if (s)
      rp.deliver(v);
    else
      rp.deliver(to_caf(s.error()));
  } catch (...) {
  }
}

void maybe_checkpoint(store_self self) noexcept {
  auto& st = self->state;
  try {
    if (!st.persist->checkpoint_due())
      return;
    checkpoint_data c{st.version, st.clock.now(), st.root, {}};
    c.owned.reserve(st.owned.size());
    for (auto& [k, owner] : st.owned)
      c.owned.push_back(k);
    st.persist->start_checkpoint(std::move(c));
  } catch (...) {
    // Out of memory or no thread: the next commit or request tries again.
  }
}

caf::result<version_t> request_checkpoint(store_self self) {
  auto& st = self->state;
  if (!st.persist)
    return to_caf(error::make(errc::invalid_argument,
                              "the store has no persistence (store_options::persistence)"));
  auto status = st.persist->status();
  auto* req = answerable_later(self);
  if (status.checkpoint_version == st.version && !status.checkpoint_running)
    return st.version; // nothing written since the last one
  if (req) {
    // Requests wait for the same next checkpoint; their number is bounded,
    // so that a peer sending requests in a loop cannot grow the store.
    if (st.persist->checkpoint_waiters() >= max_checkpoint_waiters)
      return to_caf(error::make(errc::unavailable,
                                fmt::format("{} checkpoint requests already wait for the next "
                                            "checkpoint; try again when it is done",
                                            max_checkpoint_waiters)));
    auto response = req->mid.response_id();
    st.persist->wait_checkpoint(st.version, [to = req->sender, from = self->ctrl(),
                                             response](const result<version_t>& r) {
      if (r)
        send_reply(to, from, response, *r, nullptr);
      else
        send_reply(to, from, response, to_caf(r.error()), nullptr);
    });
    req->mid.mark_as_answered();
  } else if (self->current_mailbox_element() && self->current_mailbox_element()->mid.is_request()) {
    return to_caf(error::make(errc::invalid_argument, "a forwarded checkpoint request"));
  }
  maybe_checkpoint(self);
  return caf::delegated<version_t>{};
}

void fill_persistence_info(const store_state& st, store_info& info) {
  if (!st.persist)
    return;
  auto s = st.persist->status();
  info.sync = 1 + static_cast<std::uint64_t>(s.sync);
  info.journal_bytes = s.log.bytes;
  info.journal_segments = s.log.segments;
  info.synced_version = s.log.synced;
  info.checkpoint_version = s.checkpoint_version;
  info.checkpoint_bytes = s.checkpoint_bytes;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      s.checkpoint_taken.to_time_point().time_since_epoch());
  info.checkpoint_unix_ms = ms.count() > 0 ? static_cast<std::uint64_t>(ms.count()) : 0;
  info.checkpoint_running = s.checkpoint_running ? 1 : 0;
  info.writes_refused = s.refusing ? 1 : 0;
}

} // namespace kvmem::detail
