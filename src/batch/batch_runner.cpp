#include "batch/batch_runner.hpp"

#include "blocking/caller.hpp"
#include "blocking/message_reads.hpp"
#include "store/store_access.hpp"

namespace kvmem {

namespace detail {

/// The batch runner's access to batch_view's private parts.
struct batch_access {
  static batch_view make(version_t v, tree root, pin pinned, const store_options& o,
                         message_reads* remote) {
    return batch_view{v, std::move(root), pinned, {o.max_batch_writes, o.max_batch_bytes}, remote};
  }
  /// The root the view read (a store in this process).
  static tree& root(batch_view& v) noexcept { return v.root_; }
  static const std::optional<error>& failure(const batch_view& v) noexcept { return v.failed_; }
  static bool wrote(const batch_view& v) noexcept { return !v.ops_.empty(); }
  /// The commit of what the view read, required and wrote.
  static commit take_commit(batch_view& v) {
    commit c;
    c.base = v.version_;
    c.ops = std::move(v.ops_);
    c.reads = std::move(v.reads_);
    c.reads_complete = v.reads_complete_;
    c.requirements = std::move(v.requirements_);
    c.owners = std::move(v.owners_);
    c.pinned = v.pinned_;
    return c;
  }
};

namespace {
thread_local bool running_body = false;

struct body_scope {
  body_scope() noexcept { running_body = true; }
  ~body_scope() { running_body = false; }
};
} // namespace

bool in_batch_body() noexcept { return running_body; }

batch_runner::batch_runner(store target, batch_body body, int retries)
  : target_(std::move(target)), body_(std::move(body)), retries_(retries) {}

batch_runner::step batch_runner::start() { return step_ = next_attempt(); }

batch_runner::step batch_runner::next_attempt() {
  if (attempts_++ == retries_)
    return finish(error::too_many_retries(static_cast<std::uint32_t>(retries_)));
  // A store in this process: read its published root directly.
  if (auto* local = store_access::local(target_)) {
    auto snap = local->load();
    return run_body(snap->version, snap->root, {}, nullptr);
  }
  return step::pin;
}

batch_runner::step batch_runner::pinned(result<snapshot> snap, message_reads& pinned_reads) {
  if (!snap)
    return step_ = finish(std::move(snap).error());
  pin_ = snap->pinned;
  return step_ = run_body(snap->version, tree{}, snap->pinned, &pinned_reads);
}

batch_runner::step batch_runner::run_body(version_t base, tree root, pin pinned,
                                          message_reads* remote) {
  auto view = batch_access::make(base, std::move(root), pinned, target_.options(), remote);
  try {
    body_scope in_body;
    body_(view);
  } catch (const std::exception& e) {
    return finish(error::make(errc::batch_aborted, e.what()));
  } catch (...) {
    return finish(
        error::make(errc::batch_aborted, "the batch function threw a non-standard exception"));
  }
  if (auto& e = batch_access::failure(view))
    return finish(*e);
  if (!batch_access::wrote(view))
    return finish(base); // read-only: nothing to commit, nothing to conflict with
  commit_ = batch_access::take_commit(view);
  if (!remote) {
    base_root_ = std::move(batch_access::root(view));
    applied_ = apply_here(base, *base_root_);
  }
  return step::commit;
}

// A store in this process: apply the commit's writes here, on the batch's
// thread, to a copy of the root its reads saw, so that a store still at
// `base` adopts the result instead of applying them again (handled once).
// Not when the store describes its commits as events (it would apply them
// again anyway), and not if any write fails here: the store then applies
// them itself and reports the failure as usual.
std::optional<applied_writes> batch_runner::apply_here(version_t base, const tree& root) const {
  auto* local = store_access::local(target_);
  if (local == nullptr || local->describes_commits())
    return std::nullopt;
  try {
    applied_writes out{root, stamp{local->clock().now(), base + 1}, false};
    for (auto& w : commit_.ops) {
      auto r = apply(out.root, w, out.at, nullptr);
      if (!r)
        return std::nullopt;
      out.changed = out.changed || *r;
    }
    return out;
  } catch (...) { // out of memory here: the store applies them itself
    return std::nullopt;
  }
}

batch_runner::step batch_runner::committed(result<version_t> r) {
  step_ = step::done; // the pin of this attempt may go
  if (!r && r.error().code == errc::conflict)
    return step_ = next_attempt(); // what f read has changed: run f again on a fresh snapshot
  return step_ = finish(std::move(r));
}

batch_runner::step batch_runner::finish(result<version_t> r) {
  outcome_ = std::move(r);
  return step::done;
}

result<version_t> drive_blocking(batch_runner& r, caller& c) {
  for (auto s = r.start();;) {
    switch (s) {
      case batch_runner::step::done: return r.outcome();
      case batch_runner::step::commit: {
        auto base = r.take_base_root();
        s = r.committed(base ? c.call<version_t>(commit_atom::value,
                                                 local_commit{r.take_commit(), std::move(*base),
                                                              r.take_applied()})
                             : c.call<version_t>(commit_atom::value, r.take_commit()));
        if (auto held = r.release_pin()) // the answered attempt's
          c.send(unpin_atom::value, *held);
        break;
      }
      case batch_runner::step::pin: {
        auto snap = c.call<snapshot>(pin_atom::value);
        std::optional<pin> p;
        if (snap)
          p = snap->pinned;
        message_reads pinned_reads{c, p};
        s = r.pinned(std::move(snap), pinned_reads);
        if (auto held = r.release_pin())
          c.send(unpin_atom::value, *held);
        break;
      }
    }
  }
}

} // namespace detail
} // namespace kvmem
