// Feed flow control, step by step on CAF's deterministic test coordinator
// (watch.hpp, messages.hpp): a subscriber holds at most its window of
// unacknowledged deliveries, one per write; what the store holds back
// meanwhile comes, once an acknowledgement makes room, as one coalesced
// delivery — the diff of the prefix since the last delivery — or as nothing
// if the prefix ended up unchanged; acknowledgements count only from the
// subscriber and only up to what was sent; a start the store no longer
// retains is an explicit resync, a retained one a coalesced catch-up.
//
// Nothing here waits: the store runs only inside sched.run(), after which
// everything it would send has been sent, so the deliveries a subscriber
// holds are exactly those the store sent.
#include <catch2/catch.hpp>

#include <caf/others.hpp>
#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include "coordinator_fixture.hpp"

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
  std::vector<changes> deliveries() {
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

} // namespace

TEST_CASE_METHOD(feed_fixture, "a subscriber holds at most its window of deliveries, one per write") {
  auto w = watch("/p", 3).value();
  CHECK(w.version == 0);
  for (int i = 1; i <= 5; ++i)
    REQUIRE(set(fmt::format("/p/k{}", i), fmt::format("v{}", i)) == static_cast<version_t>(i));
  auto d = deliveries();
  REQUIRE(d.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("delivery " << i + 1);
    auto v = static_cast<version_t>(i + 1);
    CHECK(d[i].id == w.id);
    CHECK(d[i].seq == i + 1);
    CHECK((d[i].from == v - 1 && d[i].to == v));
    CHECK_FALSE(d[i].coalesced);
    CHECK_FALSE(d[i].resync);
    CHECK(d[i].events == kvmem::change_list{set_event(v, fmt::format("/p/k{}", v), fmt::format("v{}", v))});
  }
  // However many more writes come, nothing more until an acknowledgement.
  for (int i = 0; i < 10; ++i)
    set("/p/more", std::to_string(i));
  CHECK(deliveries().empty());
  CHECK(ask<kvmem::store_info>(kvmem::info_atom::value).value().subscriptions == 1);
}

TEST_CASE_METHOD(feed_fixture, "an acknowledgement releases one coalesced delivery: the diff since the last one") {
  auto w = watch("/p", 2).value();
  set("/p/a", "1");  // 1
  set("/p/b", "1");  // 2
  auto first = deliveries();
  REQUIRE(first.size() == 2); // the window is full
  // Held back: a new key, rewrites, a key set and removed again, a write
  // elsewhere, a removal, a new dictionary.
  set("/p/e", "1");   // 3
  set("/p/a", "2");   // 4
  set("/p/a", "3");   // 5
  set("/p/c", "x");   // 6
  remove("/p/c");     // 7
  set("/q", "else");  // 8
  remove("/p/b");     // 9
  set("/p/d/e", "1"); // 10
  CHECK(deliveries().empty());
  ack(w.id, 1);
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
  // Deliveries 2 and 3 are unacknowledged: the window is full again.
  set("/p/a", "4"); // 11
  CHECK(deliveries().empty());
}

TEST_CASE_METHOD(feed_fixture, "acknowledgements are cumulative; with room again writes come one by one") {
  auto w = watch("/p", 2).value();
  set("/p/a", "1"); // 1
  set("/p/a", "2"); // 2
  set("/p/a", "3"); // 3: held
  REQUIRE(deliveries().size() == 2);
  ack(w.id, 2); // acknowledges 1 and 2: room for two
  auto caught_up = delivery();
  CHECK((caught_up.seq == 3 && caught_up.from == 2 && caught_up.to == 3 && caught_up.coalesced));
  CHECK(caught_up.events == kvmem::change_list{set_event(3, "/p/a", "3")});
  set("/p/a", "4"); // 4: the window's other place, an ordinary delivery
  auto next = delivery();
  CHECK((next.seq == 4 && next.from == 3 && next.to == 4 && !next.coalesced));
  CHECK(next.events == kvmem::change_list{set_event(4, "/p/a", "4")});
  set("/p/a", "5"); // 5: 3 and 4 unacknowledged, held
  CHECK(deliveries().empty());
  ack(w.id, 3); // room for one: the held write
  auto last = delivery();
  CHECK((last.seq == 5 && last.from == 4 && last.to == 5 && last.coalesced));
  ack(w.id, 2); // an old acknowledgement changes nothing
  set("/p/a", "6");
  CHECK(deliveries().empty());
}

TEST_CASE_METHOD(feed_fixture, "an acknowledgement beyond what was sent acknowledges only what was sent") {
  auto w = watch("/p", 1).value();
  set("/p/a", "1");
  REQUIRE(delivery().seq == 1);
  ack(w.id, 1000); // counts as acknowledging delivery 1, no more
  set("/p/a", "2");
  set("/p/a", "3");
  auto d = delivery(); // the first write has the room; the second waits
  CHECK((d.seq == 2 && d.from == 1 && d.to == 2 && !d.coalesced));
  ack(w.id, 2);
  auto rest = delivery();
  CHECK((rest.seq == 3 && rest.from == 2 && rest.to == 3 && rest.coalesced));
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

TEST_CASE_METHOD(feed_fixture, "held-back writes that cancel out send nothing; the next delivery still "
                               "starts where the last one ended") {
  auto w = watch("/p", 1).value();
  set("/p/a", "1"); // 1
  REQUIRE(delivery().to == 1);
  set("/p/x", "1"); // 2
  remove("/p/x");   // 3
  set("/q", "1");   // 4: outside the prefix
  ack(w.id, 1);
  CHECK(deliveries().empty()); // the prefix is as it was at 1
  set("/p/b", "1"); // 5
  auto d = delivery();
  CHECK((d.seq == 2 && d.from == 1 && d.to == 5 && !d.coalesced));
  CHECK(d.events == kvmem::change_list{set_event(5, "/p/b", "1")});
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
  auto d = delivery();
  CHECK((d.seq == 2 && d.from == 5 && d.to == 6 && d.coalesced && !d.resync));
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
  set("/p/d/x", "1"); // 2: held back
  set("/p/d/y", "2"); // 3
  CHECK(take().empty());
  sub->send(s.actor(), kvmem::ack_atom::value, started->started.id, std::uint64_t{1});
  sched.run();
  auto coalesced = take();
  REQUIRE(coalesced.size() == 1);
  auto& d = coalesced[0].delivery;
  CHECK((d.from == 1 && d.to == 3 && d.coalesced));
  // A new dictionary: one event, its contents read from the root at `to`.
  CHECK(d.events == kvmem::change_list{change{3, change_op::dictionary, K("/p/d"), kind::dictionary, {}, {}}});
  REQUIRE(coalesced[0].root);
  CHECK(coalesced[0].root->get(K("/p/d/x")).value() == "1");
  CHECK(coalesced[0].root->get(K("/p/d/y")).value() == "2");
}
