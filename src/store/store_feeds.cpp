// Change feeds and history: subscriptions, deliveries with flow control (a
// commit goes at once to a subscriber with nothing unacknowledged; the
// others gather it from a shared log until they acknowledge, or as one
// coalesced diff if the log dropped it), resuming from a retained version
// or an explicit resync, reads at a version, diffs.
#include <caf/send.hpp>
#include <fmt/core.h>

#include "kvmem/diff.hpp"
#include "store/store_state.hpp"

namespace kvmem::detail {

feed_log_limits feed_log_bounds;

namespace {

using subscription = store_state::subscription;

const tree* retained_root(const store_state& st, version_t v) {
  if (v == st.version)
    return &st.root;
  auto i = std::lower_bound(st.history.begin(), st.history.end(), v,
                            [](const store_state::retained& r, version_t x) { return r.version < x; });
  return i != st.history.end() && i->version == v ? &i->root : nullptr;
}


// Whether a delivery needs the root to read contents from: a dictionary
// moved in or appearing (values travel in their events).
bool needs_root(const event_list& events) {
  for (auto& e : events)
    if ((e.op == change_op::rename_in || e.op == change_op::dictionary) && e.what == kind::dictionary)
      return true;
  return false;
}

// Whether an event at `path` concerns a subscription at `prefix`: at or
// above it, or below it.
bool concerns(const key& prefix, const key& path) noexcept {
  return prefix.is_prefix_of(path) || path.is_prefix_of(prefix);
}

std::size_t bytes_of(const change_list& events) noexcept {
  std::size_t n = 0;
  for (auto& e : events) {
    n += sizeof(change) + e.value.size();
    for (auto& seg : e.path.segments())
      n += seg.size();
  }
  return n;
}

// Keeps st.busy (subscriptions whose window is full: they gather from the
// log) exact; called with whether the subscription had room before a change.
void rebusy(store_state& st, const subscription& sub, bool was_eager) noexcept {
  if (was_eager && !sub.eager())
    ++st.busy;
  else if (!was_eager && sub.eager())
    --st.busy;
}

void send(store_self self, subscription& sub, event_list events, bool coalesced, bool resync) {
  auto& st = self->state;
  changes c;
  c.id = sub.id;
  c.seq = sub.sent + 1;
  c.from = sub.delivered;
  c.to = st.version;
  c.coalesced = coalesced;
  c.resync = resync;
  const bool with_root = sub.local && (resync || needs_root(events));
  c.events = std::move(events);
  // Its root, in case the log drops what it misses while it cannot be sent
  // anything (taken before sending: a failure leaves the subscription as it was).
  std::optional<tree> behind;
  if (sub.sent + 1 - sub.acked >= sub.window)
    behind = st.root;
  // Anonymous: the store's typed handle cannot send to an untyped actor; the
  // subscription id says where a delivery comes from.
  auto to = caf::actor_cast<caf::actor>(sub.subscriber);
  if (sub.local)
    caf::anon_send(to, changes_atom::value,
                   local_changes{std::move(c), with_root ? std::optional<tree>{st.root} : std::nullopt});
  else
    caf::anon_send(to, changes_atom::value, std::move(c));
  // Counted once sent: a send that failed (out of memory) leaves no gap.
  const bool was_eager = sub.eager();
  ++sub.sent;
  rebusy(st, sub, was_eager);
  sub.delivered = sub.seen = st.version;
  sub.behind = std::move(behind);
}

// What `sub` has gathered since it last read the log, from the log: the
// shared lists (or the events of them that concern it). Requires
// log_covers(st, sub).
event_list from_log(const store_state& st, const subscription& sub) {
  std::vector<event_list::segment> parts;
  auto i = st.log.begin() + static_cast<std::ptrdiff_t>(sub.seen + 1 - st.log.front().version);
  parts.reserve(static_cast<std::size_t>(st.log.end() - i));
  for (; i != st.log.end(); ++i) {
    auto& l = *i->events;
    event_list::segment part{i->events, {}};
    bool all = true;
    for (std::uint32_t j = 0; j < l.size(); ++j)
      if (concerns(sub.prefix, l[j].path))
        part.pick.push_back(j);
      else
        all = false;
    if (all)
      part.pick.clear();
    else if (part.pick.empty())
      continue;
    parts.push_back(std::move(part));
  }
  return event_list{std::move(parts)};
}

bool log_covers(const store_state& st, const subscription& sub) noexcept {
  if (sub.seen == st.version)
    return true;
  return !st.log.empty() && st.log.front().version <= sub.seen + 1 &&
         st.log.back().version == st.version;
}

// Sends `sub` what it gathered, if its window has room: the per-commit
// events from the log, or — if the log dropped them meanwhile — one
// coalesced diff of its prefix since its last delivery; after a lost
// delivery, a resync. Nothing if nothing under its prefix changed.
void catch_up(store_self self, subscription& sub) {
  auto& st = self->state;
  if (sub.full())
    return;
  if (sub.resync_pending) {
    sub.resync_pending = false;
    --self->state.resyncs_pending;
    send(self, sub, {}, false, true);
    return;
  }
  if (sub.seen == st.version)
    return;
  if (log_covers(st, sub)) {
    auto events = from_log(st, sub);
    if (!events.empty())
      return send(self, sub, std::move(events), false, false);
    sub.seen = st.version; // nothing under its prefix: the next delivery starts at `delivered`
    sub.behind.reset();    // it has room: the log keeps what it needs from here
  } else if (sub.behind) {
    auto d = diff(*sub.behind, st.root, sub.prefix, st.version);
    if (!d.empty())
      return send(self, sub, event_list{std::move(d)}, true, false);
    sub.seen = st.version;
    sub.behind.reset();
  } else {
    // Cannot happen (the log keeps what a subscription with room needs);
    // should it, an explicit resync rather than a gap.
    send(self, sub, {}, false, true);
  }
}

// After a commit: keeps the log for the subscriptions that read it — none
// left: empty; past its bounds: the older half dropped, after sending each
// subscription that needs it (and has room) what it gathered.
void trim_log(store_self self) {
  auto& st = self->state;
  if (st.busy == 0) {
    st.log.clear();
    st.log_bytes = 0;
    return;
  }
  if (st.log.size() <= feed_log_bounds.commits && st.log_bytes <= feed_log_bounds.bytes)
    return;
  const version_t cut = st.log[st.log.size() / 2].version; // keep what follows
  for (auto& [id, sub] : st.subs)
    if (!sub.eager() && sub.seen < cut && !sub.full())
      catch_up(self, sub);
  while (!st.log.empty() && st.log.front().version <= cut) {
    st.log_bytes -= st.log.front().bytes;
    st.log.pop_front();
  }
}

// Removes subscription `id` from the store's tables (not from subs_by_actor).
void forget(store_state& st, std::uint64_t id) {
  auto i = st.subs.find(id);
  if (i == st.subs.end())
    return;
  auto& sub = i->second;
  st.subs_by_prefix.remove(sub.prefix, &sub);
  st.by_node.give_back(sub.subscriber->node(), node_quota::subscriptions);
  if (sub.resync_pending)
    --st.resyncs_pending;
  if (!sub.eager())
    --st.busy;
  st.subs.erase(i);
}

subscription* owned_sub(store_self self, std::uint64_t id) {
  auto i = self->state.subs.find(id);
  auto sender = self->current_sender();
  if (i == self->state.subs.end() || !sender || sender != i->second.subscriber)
    return nullptr; // unknown, or not the subscriber's own (ids are guessable)
  return &i->second;
}

} // namespace

// Whether `at` is younger than `age` at `now` (the store's clock; a clock
// set back makes everything young).
bool younger(ptime at, ptime now, std::chrono::milliseconds age) {
  __int128 ps = static_cast<__int128>(now.days - at.days) * ptime::ps_per_day + (now.ps - at.ps);
  return ps < static_cast<__int128>(age.count()) * 1'000'000'000;
}

void retain_version(store_state& st, ptime now) {
  const auto& o = st.opts;
  if (o.history_versions == 0 && o.history_age.count() == 0)
    return;
  // What the newest retained version holds alone is known once the next one
  // exists: a walk of what changed between them (info() stays O(1)).
  if (!st.history.empty()) {
    auto& prev = st.history.back();
    prev.alone = unshared_bytes(prev.root, st.root);
    st.history_bytes += prev.alone;
  }
  st.history.push_back({st.version, now, st.root, 0});
  // Keep the last history_versions, and those younger than history_age.
  while (!st.history.empty()) {
    auto& oldest = st.history.front();
    bool by_count = st.history.size() <= o.history_versions;
    bool by_age = o.history_age.count() > 0 && younger(oldest.at, now, o.history_age);
    if (by_count || by_age)
      break;
    st.history_bytes -= oldest.alone;
    st.history.pop_front();
  }
}

std::optional<error> watch(store_self self, const watch_request& req, bool local,
                           const std::function<void(local_watch_started)>& reply) {
  auto& st = self->state;
  auto sender = self->current_sender();
  if (!sender)
    return error::make(errc::invalid_argument, "a watch needs a subscriber that can be monitored");
  if (req.window < 1 || req.window > st.opts.max_watch_window)
    return error::make(errc::invalid_argument,
                       fmt::format("a watch's window must be 1 to {} (store_options::max_watch_window)",
                                   st.opts.max_watch_window));
  if (auto i = st.subs_by_actor.find(sender->address());
      st.subs.size() >= st.opts.max_subscriptions ||
      (i != st.subs_by_actor.end() && i->second.size() >= st.opts.max_subscriptions_per_owner) ||
      !st.by_node.allows(sender->node(), node_quota::subscriptions,
                         st.opts.max_subscriptions_per_node))
    return error::make(errc::invalid_argument,
                       fmt::format("too many subscriptions (limits: {} per subscriber, {} per "
                                   "process, {} in all)",
                                   st.opts.max_subscriptions_per_owner,
                                   st.opts.max_subscriptions_per_node, st.opts.max_subscriptions));
  if (req.from && *req.from > st.version)
    return error::make(
        errc::invalid_argument,
        fmt::format("cannot watch from version {}: the store is at {}", *req.from, st.version));
  auto id = st.next_sub;
  auto& sub = st.subs[id];
  try {
    st.subs_by_prefix.add(req.prefix, &sub);
  } catch (...) {
    st.subs.erase(id);
    throw;
  }
  ++st.next_sub;
  st.by_node.take(sender->node(), node_quota::subscriptions);
  sub.id = id;
  sub.subscriber = sender;
  sub.prefix = req.prefix;
  sub.window = req.window;
  sub.delivered = sub.seen = st.version;
  sub.local = local;
  auto& mine = st.subs_by_actor[sender->address()];
  if (mine.empty() && !st.holds_any(sender->address()))
    self->monitor(sender);
  mine.push_back(id);
  // The reply goes out before the first delivery (a subscriber learns its
  // id first), and its version is the first delivery's `from`.
  if (!req.from || *req.from == st.version) {
    reply(local_watch_started{{id, st.version}, st.root});
  } else if (const tree* old = retained_root(st, *req.from)) {
    // Resume: everything after `from`, as one coalesced delivery; if nothing
    // under the prefix changed since, the feed simply starts now.
    auto d = diff(*old, st.root, sub.prefix, st.version);
    if (d.empty()) {
      reply(local_watch_started{{id, st.version}, st.root});
    } else {
      reply(local_watch_started{{id, *req.from}, *old});
      sub.delivered = sub.seen = *req.from;
      send(self, sub, event_list{std::move(d)}, true, false);
    }
  } else {
    // Not retained: the feed starts at `from` and its first delivery is an
    // explicit resync to the current version (no root at `from` to give).
    reply(local_watch_started{{id, *req.from}, std::nullopt});
    sub.delivered = sub.seen = *req.from;
    send(self, sub, {}, false, true);
  }
  return std::nullopt;
}

void ack(store_self self, std::uint64_t id, std::uint64_t seq) {
  if (auto* sub = owned_sub(self, id)) {
    // Cumulative: everything up to seq (never beyond what was sent).
    const bool was_eager = sub->eager();
    const auto before = sub->acked;
    sub->acked = std::max(sub->acked, std::min(seq, sub->sent));
    rebusy(self->state, *sub, was_eager);
    if (!was_eager && sub->acked > before)
      catch_up(self, *sub); // what it gathered meanwhile, if there is room now
    trim_log(self);
  }
}

void unwatch(store_self self, std::uint64_t id) {
  auto& st = self->state;
  if (auto* sub = owned_sub(self, id)) {
    auto who = sub->subscriber->address();
    forget(st, id);
    auto& mine = st.subs_by_actor[who];
    std::erase(mine, id);
    if (mine.empty()) {
      st.subs_by_actor.erase(who);
      demonitor_if_unused(self, who);
    }
  }
}

void drop_subscriptions_of(store_self self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto i = st.subs_by_actor.find(who);
  if (i == st.subs_by_actor.end())
    return;
  for (auto id : i->second)
    forget(st, id);
  st.subs_by_actor.erase(i);
}

void after_commit(store_self self, commit_record& rec) {
  auto& st = self->state;
  retain_version(st, rec.at.time);
  if (st.subs.empty())
    return;
  // The commit's events, once, shared by every delivery they go into
  // (moved: a failure to allocate the list leaves rec.effects as it was).
  auto shared = std::make_shared<const change_list>(std::move(rec.effects));
  if (st.busy > 0) { // someone will read them from the log
    const auto bytes = bytes_of(*shared);
    st.log.push_back({st.version, shared, bytes});
    st.log_bytes += bytes;
  }
  if (st.resyncs_pending > 0)
    for (auto& [id, sub] : st.subs)
      if (sub.resync_pending)
        catch_up(self, sub); // a delivery was lost: resync now if there is room
  // Who each event concerns, through the prefix index: the subscriptions at
  // the event's key or above it, and those below it; O(key length) per
  // event (subscription_index.hpp) plus a step per subscription concerned.
  // Only one with room in its window is sent the commit now: the others gather it in the
  // log and get it with whatever else they miss when they acknowledge.
  auto& who = st.concerned;
  who.clear();
  std::map<subscription*, std::vector<std::uint32_t>> picks; // a part of the events, by subscription
  if (shared->size() == 1) {
    st.subs_by_prefix.for_each_concerned(shared->front().path, [&](subscription* sub) {
      if (sub->eager())
        who.push_back(sub);
    });
  } else {
    for (std::uint32_t j = 0; j < shared->size(); ++j)
      st.subs_by_prefix.for_each_concerned((*shared)[j].path, [&](subscription* sub) {
        if (!sub->eager())
          return;
        auto& p = picks[sub];
        if (p.empty())
          who.push_back(sub);
        p.push_back(j);
      });
  }
  for (auto* sub : who) {
    if (sub->resync_pending || sub->seen == st.version || !sub->eager())
      continue; // resynced past this commit already
    if (auto p = picks.find(sub); p != picks.end() && p->second.size() < shared->size())
      send(self, *sub, event_list{std::vector{event_list::segment{shared, std::move(p->second)}}},
           false, false);
    else
      send(self, *sub, event_list{shared}, false, false);
  }
  trim_log(self);
}

void recover_feeds(store_self self) noexcept {
  auto& st = self->state;
  for (auto& [id, sub] : st.subs)
    if (sub.delivered < st.version && !sub.resync_pending) {
      sub.resync_pending = true; // it may have missed the last commit
      ++st.resyncs_pending;
    }
}

result<local_snapshot> local_snapshot_at(const store_state& st, version_t v) {
  if (const tree* root = retained_root(st, v))
    return local_snapshot{v, *root};
  return error::make(
      errc::not_retained,
      fmt::format("version {} is not retained (the store is at {}{})", v, st.version,
                  st.history.empty() ? ", and keeps no history"
                                     : fmt::format(", oldest kept {}", st.history.front().version)));
}

caf::result<snapshot> snapshot_at(store_self self, version_t v) {
  auto snap = local_snapshot_at(self->state, v);
  if (!snap)
    return to_caf(snap.error());
  auto p = pin_root(self, snap->root, v);
  if (!p)
    return to_caf(p.error());
  return std::move(*p);
}

caf::result<change_list> diff_versions(store_self self, version_t v1, version_t v2,
                                       const key& prefix) {
  auto& st = self->state;
  const tree* a = retained_root(st, v1);
  const tree* b = retained_root(st, v2);
  if (!a || !b)
    return to_caf(error::make(errc::not_retained,
                              fmt::format("version {} is not retained", !a ? v1 : v2)));
  return diff(*a, *b, prefix, v2);
}

std::pair<std::uint64_t, std::uint64_t> history_info(const store_state& st) {
  // Kept up to date by retain_version: O(1).
  return {st.history.size(), st.history_bytes};
}

} // namespace kvmem::detail
