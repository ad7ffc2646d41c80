#include "detail/batch_runner.hpp"

#include "detail/message_reads.hpp"
#include "kvmem/detail/published.hpp"

namespace kvmem {

namespace detail {

namespace {
thread_local bool running_body = false;

struct body_scope {
  body_scope() { running_body = true; }
  ~body_scope() { running_body = false; }
};
} // namespace

bool in_batch_body() noexcept { return running_body; }

attempt_outcome run_body_once(snapshot snap, const std::function<void(batch_view&)>& body,
                              batch_limits limits, reads* remote) {
  batch_view view{std::move(snap), limits, remote};
  attempt_outcome out;
  try {
    body_scope in_body;
    body(view);
  } catch (const std::exception& e) {
    out.failed = error::make(errc::batch_aborted, e.what());
    return out;
  } catch (...) {
    out.failed =
        error::make(errc::batch_aborted, "the batch function threw a non-standard exception");
    return out;
  }
  out.failed = view.failure();
  out.base = view.version();
  out.ops = view.take_writes();
  return out;
}

result<version_t> run_attempts(caller& c, const store& s,
                               const std::function<void(batch_view&)>& body, std::uint32_t retries,
                               const std::function<bool()>& abandon) {
  const batch_limits limits{s.options.max_batch_writes, s.options.max_batch_bytes};
  for (std::uint32_t attempt = 0; attempt < retries; ++attempt) {
    // A local batch reads the published root directly; a remote one pins a
    // snapshot in the store and reads it through messages.
    attempt_outcome out;
    if (s.local) {
      out = run_body_once(*s.local->load(), body, limits);
    } else {
      auto snap = c.call<snapshot>(pin_atom::value);
      if (!snap)
        return std::move(snap).error();
      auto p = snap->pinned;
      message_reads pinned{c, p};
      out = run_body_once(std::move(*snap), body, limits, &pinned);
      c.send(unpin_atom::value, p);
    }
    if (out.failed)
      return *out.failed;
    if (out.ops.empty())
      return out.base; // read-only: nothing to commit, nothing to conflict with
    if (abandon && abandon())
      return error::make(errc::unavailable, "the client went away during the batch");
    auto r = c.call<version_t>(commit_atom::value, commit{out.base, std::move(out.ops)});
    if (r || r.error().code != errc::conflict)
      return r;
    // The store moved on: run f again on a fresh snapshot.
  }
  return error::too_many_retries(retries);
}

} // namespace detail
} // namespace kvmem
