// Feed flow control, step by step on CAF's deterministic test coordinator
// (watch.hpp, messages.hpp): a commit goes at once to a subscriber with
// nothing unacknowledged; one with a delivery unacknowledged gathers commits
// (from the store's shared log) and gets them as one delivery, per write,
// when it acknowledges; acknowledgements are cumulative and count only from
// the subscriber and only up to what was sent; past the log's bounds a
// subscriber with room is sent what it gathered, and one whose window is
// full catches up by one coalesced diff; every subscriber a commit concerns
// receives the same shared list; a start the store no longer retains is an
// explicit resync, a retained one a coalesced catch-up.
//
// Nothing here waits: the store runs only inside sched.run(), after which
// everything it would send has been sent, so the deliveries a subscriber
// holds are exactly those the store sent.
#include <catch2/catch.hpp>

#include <caf/others.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include "coordinator_fixture.hpp"
#include "store/store_state.hpp"

namespace {

using kvmem::change;
using kvmem::change_op;
using kvmem::changes;
using kvmem::kind;
using kvmem::version_t;
using test::K;

// What a set of `k` to `v` at version `at` looks like in a delivery.
change set_event(version_t at, std::string_view k, std::string_view v) {
  return change{at, change_op::set, K(k), kind::value, {}, kvmem::bytes{v}};
}

// A store on the test coordinator and a subscriber: a hidden scoped actor of
// its own, so that its deliveries never mix with the fixture's replies.
struct feed_fixture : test::coordinator_fixture {
  explicit feed_fixture(kvmem::store_options opts = {}) : coordinator_fixture(opts) {}

  caf::scoped_actor sub{sys, true};

  /// Subscribes `sub` to `prefix`; the reply must be the first thing it gets.
  kvmem::result<kvmem::watch_started> watch(std::string_view prefix, std::uint32_t window,
                                            std::optional<version_t> from = std::nullopt) {
    return watch_as(sub, prefix, window, from);
  }
  kvmem::result<kvmem::watch_started> watch_as(caf::scoped_actor& sub, std::string_view prefix,
                                               std::uint32_t window,
                                               std::optional<version_t> from = std::nullopt) {
    sub->send(s.actor(), kvmem::watch_atom::value, kvmem::watch_request{K(prefix), from, window});
    sched.run();
    std::optional<kvmem::result<kvmem::watch_started>> out;
    sub->receive([&](kvmem::watch_started& w) { out.emplace(w); },
                 [&](caf::error& e) { out.emplace(kvmem::from_caf(e)); },
                 [&](kvmem::changes_atom, changes&) { FAIL("a delivery came before the reply"); },
                 caf::after(std::chrono::seconds(0)) >> [] { FAIL("no reply to the watch"); });
    return std::move(*out);
  }

  /// The deliveries the subscriber holds, in the order they came, taken out
  /// of its mailbox (after running everything: all the store sent).
  std::vector<changes> deliveries() { return deliveries_of(sub); }
  std::vector<changes> deliveries_of(caf::scoped_actor& sub) {
    sched.run();
    std::vector<changes> out;
    for (bool more = true; more;)
      sub->receive([&](kvmem::changes_atom, changes& c) { out.push_back(std::move(c)); },
                   caf::others >> [](caf::message_view& x) -> caf::result<caf::message> {
                     FAIL_CHECK("the subscriber got " << caf::to_string(x.copy_content_to_message()));
                     return caf::message{};
                   },
                   caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
    return out;
  }

  /// The one delivery the subscriber holds (it must hold exactly one).
  changes delivery() {
    auto d = deliveries();
    REQUIRE(d.size() == 1);
    return std::move(d[0]);
  }

  /// Acknowledges delivery `seq` of subscription `id`, from `who` (the
  /// subscriber by default), and runs what follows.
  void ack(std::uint64_t id, std::uint64_t seq, caf::scoped_actor* who = nullptr) {
    (who ? *who : sub)->send(s.actor(), kvmem::ack_atom::value, id, seq);
    sched.run();
  }

  version_t set(std::string_view k, std::string_view v) {
    return ask<version_t>(kvmem::set_atom::value, K(k), kvmem::bytes{v}).value();
  }
  version_t remove(std::string_view k) { return ask<version_t>(kvmem::remove_atom::value, K(k)).value(); }
};

struct feed_history_fixture : feed_fixture {
  feed_history_fixture() : feed_fixture({.history_versions = 100}) {}
};

// The store's shared log bounded at four commits (restored after the test).
struct small_log_fixture : feed_fixture {
  small_log_fixture() { kvmem::detail::feed_log_bounds.commits = 4; }
  ~small_log_fixture() { kvmem::detail::feed_log_bounds = {}; }
};

} // namespace

TEST_CASE_METHOD(feed_fixture, "a subscriber with its window full gathers commits and gets them, "
                               "per write, as one delivery when it acknowledges") {
  auto w = watch("/p", 1).value();
  CHECK(w.version == 0);
  for (int i = 1; i <= 5; ++i)
    REQUIRE(set(fmt::format("/p/k{}", i), fmt::format("v{}", i)) == static_cast<version_t>(i));
  auto first = delivery(); // nothing was unacknowledged: the first write at once
  CHECK((first.id == w.id && first.seq == 1 && first.from == 0 && first.to == 1));
  CHECK_FALSE(first.coalesced);
  CHECK_FALSE(first.resync);
  CHECK(first.events == kvmem::change_list{set_event(1, "/p/k1", "v1")});
  ack(w.id, 1);
  auto rest = delivery(); // the four others, each with its version
  CHECK((rest.seq == 2 && rest.from == 1 && rest.to == 5 && !rest.coalesced));
  kvmem::change_list want;
  for (version_t v = 2; v <= 5; ++v)
    want.push_back(set_event(v, fmt::format("/p/k{}", v), fmt::format("v{}", v)));
  CHECK(rest.events == want);
  CHECK(rest.events.shared_lists().size() == 4); // the commits' own lists
  set("/p/more", "1"); // delivery 2 is unacknowledged: gathered
  CHECK(deliveries().empty());
  CHECK(ask<kvmem::store_info>(kvmem::info_atom::value).value().subscriptions == 1);
}

TEST_CASE_METHOD(feed_fixture, "every subscriber a commit concerns receives the same shared list; a "
                               "narrower one a part of it") {
  caf::scoped_actor other{sys, true}, narrow{sys, true};
  watch("/p", 4).value();
  watch_as(other, "/p", 4).value();
  watch_as(narrow, "/p/a", 4).value();
  kvmem::commit c{0, {kvmem::write_op::set(K("/p/a"), "1"), kvmem::write_op::set(K("/p/b"), "2")}};
  REQUIRE(ask<version_t>(kvmem::commit_atom::value, c).value() == 1);
  auto mine = delivery();
  auto theirs = deliveries_of(other);
  auto part = deliveries_of(narrow);
  REQUIRE((theirs.size() == 1 && part.size() == 1));
  const kvmem::change_list both{set_event(1, "/p/a", "1"), set_event(1, "/p/b", "2")};
  CHECK(mine.events == both);
  CHECK(theirs[0].events == both);
  CHECK(part[0].events == kvmem::change_list{set_event(1, "/p/a", "1")});
  // One list, made once by the store: the same object in all three.
  auto l = mine.events.shared_lists();
  REQUIRE(l.size() == 1);
  CHECK(theirs[0].events.shared_lists() == l);
  CHECK(part[0].events.shared_lists() == l);
  CHECK(&mine.events[1] == &theirs[0].events[1]); // not a copy of the event
}

TEST_CASE_METHOD(small_log_fixture, "past the log's bounds a subscriber whose window is full gets one "
                                    "coalesced delivery: the diff since the last one") {
  auto w = watch("/p", 1).value();
  set("/p/a", "1"); // 1
  REQUIRE(delivery().seq == 1);
  ack(w.id, 1);
  set("/p/b", "1"); // 2
  REQUIRE(delivery().seq == 2); // the window is full
  // Held back while the log drops them: a new key, rewrites, a key set and
  // removed again, a write elsewhere, a removal, a new dictionary.
  set("/p/e", "1");   // 3
  set("/p/a", "2");   // 4
  set("/p/a", "3");   // 5
  set("/p/c", "x");   // 6
  remove("/p/c");     // 7
  set("/q", "else");  // 8
  remove("/p/b");     // 9
  set("/p/d/e", "1"); // 10
  CHECK(deliveries().empty());
  ack(w.id, 2);
  auto r = delivery(); // one, though there were eight writes
  CHECK(r.seq == 3);
  CHECK((r.from == 2 && r.to == 10)); // contiguous with the last delivery; all eight accounted for
  CHECK(r.coalesced);
  CHECK_FALSE(r.resync);
  // The prefix's diff between versions 2 and 10, in key order, stamped 10:
  // what changed, not how (/p/c came and went; /q is outside the prefix).
  CHECK(r.events == kvmem::change_list{
                        set_event(10, "/p/a", "3"),
                        change{10, change_op::remove, K("/p/b"), kind::value, {}, {}},
                        change{10, change_op::dictionary, K("/p/d"), kind::dictionary, {}, {}},
                        set_event(10, "/p/e", "1"),
                    });
  set("/p/a", "4"); // 11: delivery 3 is unacknowledged, the window full
  CHECK(deliveries().empty());
}

TEST_CASE_METHOD(small_log_fixture, "a subscriber that reads nothing gets at most its window; one "
                                    "cumulative ack of all of them brings the rest") {
  auto w = watch("/p", 3).value();
  for (int i = 1; i <= 40; ++i)
    set("/p/a", std::to_string(i));
  // The first at once, then what it gathered each time the log was cut,
  // until its window was full.
  auto d = deliveries();
  REQUIRE(d.size() == 3);
  version_t last = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    CHECK((d[i].seq == i + 1 && d[i].from == last && !d[i].coalesced));
    for (auto& e : d[i].events)
      CHECK((e.version > d[i].from && e.version <= d[i].to));
    last = d[i].to;
  }
  CHECK(last < 40);
  ack(w.id, 3); // all three at once
  auto rest = delivery();
  CHECK((rest.seq == 4 && rest.from == last && rest.to == 40 && rest.coalesced));
  CHECK(rest.events == kvmem::change_list{set_event(40, "/p/a", "40")});
}

TEST_CASE_METHOD(feed_fixture, "acknowledgements are cumulative; an old one, or one beyond what was "
                               "sent, acknowledges nothing more") {
  auto w = watch("/p", 1).value();
  set("/p/a", "1"); // 1: at once
  set("/p/a", "2"); // 2: gathered
  set("/p/a", "3"); // 3: gathered
  REQUIRE(delivery().seq == 1);
  ack(w.id, 1);
  auto two = delivery();
  CHECK((two.seq == 2 && two.from == 1 && two.to == 3 && !two.coalesced));
  CHECK(two.events == kvmem::change_list{set_event(2, "/p/a", "2"), set_event(3, "/p/a", "3")});
  set("/p/a", "4"); // 4: gathered
  ack(w.id, 1);     // old: nothing
  CHECK(deliveries().empty());
  ack(w.id, 1000); // counts as acknowledging delivery 2, no more
  auto three = delivery();
  CHECK((three.seq == 3 && three.from == 3 && three.to == 4));
  set("/p/a", "5"); // 5: delivery 3 unacknowledged
  CHECK(deliveries().empty());
  ack(w.id, 3);
  CHECK(delivery().events == kvmem::change_list{set_event(5, "/p/a", "5")});
}

TEST_CASE_METHOD(feed_fixture, "acknowledgements and unwatches from another actor are ignored") {
  auto w = watch("/p", 1).value();
  set("/p/a", "1");
  REQUIRE(delivery().seq == 1);
  caf::scoped_actor other{sys, true};
  ack(w.id, 1, &other);
  set("/p/a", "2");
  CHECK(deliveries().empty()); // still waiting for the subscriber's own
  other->send(s.actor(), kvmem::unwatch_atom::value, w.id);
  sched.run();
  CHECK(ask<kvmem::store_info>(kvmem::info_atom::value).value().subscriptions == 1);
  ack(w.id, 1);
  auto d = delivery();
  CHECK((d.seq == 2 && d.from == 1 && d.to == 2));
  // The subscriber's own unwatch ends it: nothing more comes.
  sub->send(s.actor(), kvmem::unwatch_atom::value, w.id);
  sched.run();
  CHECK(ask<kvmem::store_info>(kvmem::info_atom::value).value().subscriptions == 0);
  ack(w.id, 2);
  set("/p/a", "3");
  CHECK(deliveries().empty());
}

TEST_CASE_METHOD(feed_fixture, "gathered writes outside the prefix send nothing; the next delivery "
                               "still starts where the last one ended") {
  auto w = watch("/p", 1).value();
  set("/p/a", "1"); // 1
  REQUIRE(delivery().to == 1);
  set("/q", "1"); // 2: outside the prefix
  set("/r", "1"); // 3
  ack(w.id, 1);
  CHECK(deliveries().empty()); // nothing under /p since 1
  set("/p/b", "1"); // 4: nothing unacknowledged, at once
  auto d = delivery();
  CHECK((d.seq == 2 && d.from == 1 && d.to == 4 && !d.coalesced));
  CHECK(d.events == kvmem::change_list{set_event(4, "/p/b", "1")});
}

TEST_CASE_METHOD(feed_fixture, "a start the store no longer retains: the reply, then a resync that "
                               "takes its place in the window") {
  for (int i = 1; i <= 5; ++i)
    set("/p/a", std::to_string(i));
  auto w = watch("/p", 1, 2).value(); // no history: version 2 is gone
  CHECK(w.version == 2);              // the feed accounts for (2, 5] first
  auto r = delivery();
  CHECK((r.seq == 1 && r.from == 2 && r.to == 5));
  CHECK(r.resync);
  CHECK_FALSE(r.coalesced);
  CHECK(r.events.empty());
  set("/p/a", "6"); // the resync is unacknowledged: held
  CHECK(deliveries().empty());
  ack(w.id, 1);
  auto d = delivery(); // gathered from the log: the write itself
  CHECK((d.seq == 2 && d.from == 5 && d.to == 6 && !d.coalesced && !d.resync));
  CHECK(d.events == kvmem::change_list{set_event(6, "/p/a", "6")});
  // A start in the future is refused.
  CHECK(watch("/p", 1, 99).error().code == kvmem::errc::invalid_argument);
}

TEST_CASE_METHOD(feed_history_fixture, "a retained start: the reply, then one coalesced catch-up in the window") {
  set("/p/a", "1"); // 1
  set("/p/b", "1"); // 2
  set("/p/a", "2"); // 3
  set("/q", "1");   // 4
  auto w = watch("/p", 1, 1).value();
  CHECK(w.version == 1);
  auto d = delivery();
  CHECK((d.seq == 1 && d.from == 1 && d.to == 4 && d.coalesced && !d.resync));
  CHECK(d.events == kvmem::change_list{set_event(4, "/p/a", "2"), set_event(4, "/p/b", "1")});
  set("/p/c", "1"); // 5: the catch-up is unacknowledged
  CHECK(deliveries().empty());
  ack(w.id, 1);
  auto next = delivery();
  CHECK((next.seq == 2 && next.from == 4 && next.to == 5));
  // Nothing under the prefix since the start: the feed starts now, with
  // nothing to deliver.
  caf::scoped_actor other{sys, true};
  set("/q", "2"); // 6
  other->send(s.actor(), kvmem::watch_atom::value, kvmem::watch_request{K("/p"), 5, 1});
  sched.run();
  other->receive([](const kvmem::watch_started& st) { CHECK(st.version == 6); },
                 [](caf::error& e) { FAIL(caf::to_string(e)); },
                 caf::after(std::chrono::seconds(0)) >> [] { FAIL("no reply"); });
  bool delivered = false;
  other->receive([&](kvmem::changes_atom, const changes&) { delivered = true; },
                 caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK_FALSE(delivered);
}

TEST_CASE_METHOD(feed_fixture, "a local subscriber's delivery carries the root when its events need one") {
  sub->send(s.actor(), kvmem::watch_atom::value, kvmem::local_watch{{K("/p"), std::nullopt, 1}});
  sched.run();
  std::optional<kvmem::local_watch_started> started;
  sub->receive([&](kvmem::local_watch_started& st) { started = std::move(st); },
               caf::after(std::chrono::seconds(0)) >> [] { FAIL("no reply"); });
  REQUIRE(started);
  REQUIRE(started->root);
  auto take = [&] {
    std::vector<kvmem::local_changes> out;
    for (bool more = true; more;)
      sub->receive([&](kvmem::changes_atom, kvmem::local_changes& c) { out.push_back(std::move(c)); },
                   caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
    return out;
  };
  set("/p/a", "1"); // 1: a value travels in its event; no root
  auto plain = take();
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].delivery.events == kvmem::change_list{set_event(1, "/p/a", "1")});
  CHECK_FALSE(plain[0].root);
  set("/t/d/x", "1"); // 2: outside the prefix
  set("/t/d/y", "2"); // 3
  REQUIRE(ask<version_t>(kvmem::rename_atom::value, K("/t/d"), K("/p/d")).value() == 4); // gathered
  CHECK(take().empty());
  sub->send(s.actor(), kvmem::ack_atom::value, started->started.id, std::uint64_t{1});
  sched.run();
  auto moved = take();
  REQUIRE(moved.size() == 1);
  auto& d = moved[0].delivery;
  CHECK((d.from == 1 && d.to == 4 && !d.coalesced));
  // A dictionary moved in: one event, its contents read from the root at `to`.
  CHECK(d.events == kvmem::change_list{change{4, change_op::rename_in, K("/p/d"), kind::dictionary, K("/t/d"), {}}});
  REQUIRE(moved[0].root);
  CHECK(moved[0].root->get(K("/p/d/x")).value() == "1");
  CHECK(moved[0].root->get(K("/p/d/y")).value() == "2");
}
