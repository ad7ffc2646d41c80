// Change feeds on a store in this process: deliveries and their ranges,
// events of every write, flow control and coalescing, resuming and resync,
// subscriptions ending with their subscriber, reads at a version, and keys
// owned by an actor.
#include <catch2/catch.hpp>

#include <mutex>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "eventually.hpp"
#include "store/store_state.hpp"
#include "watch_fixture.hpp"

using namespace test;
using kvmem::change;
using kvmem::change_op;
using kvmem::changes;
using kvmem::errc;
using kvmem::kind;

namespace {

// Proves that `w` has nothing queued before a write made now: writes a
// marker under `prefix` and checks that the next delivery is exactly the
// marker's, right after `last` (deliveries are ordered, so anything else
// queued would come first).
void nothing_before_marker(kvmem::client& c, kvmem::watcher& w, const kvmem::key& prefix,
                           kvmem::version_t last) {
  auto marker = prefix / "marker";
  REQUIRE(c.set(marker, "m"));
  auto d = take(w);
  CHECK(d.from == last);
  CHECK(d.to == last + 1);
  CHECK_FALSE(d.coalesced);
  CHECK(d.events == kvmem::change_list{change{last + 1, change_op::set, marker, kind::value, {},
                                              kvmem::bytes{"m"}}});
}

} // namespace

TEST_CASE_METHOD(store_fixture, "a watch delivers every write under its prefix, ranges contiguous") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/other"), "x"));
  auto w = c.watch(K("/p")).value();
  CHECK(w.start_version() == 1);
  REQUIRE(w.start_snapshot());
  REQUIRE(c.set(K("/p/a"), "1"));
  REQUIRE(c.set(K("/q"), "not watched"));
  REQUIRE(c.set(K("/p/b"), "2"));
  auto d1 = take(w);
  CHECK((d1.from == 1 && d1.to == 2));
  REQUIRE(d1.events.size() == 1);
  CHECK(d1.events[0] == change{2, change_op::set, K("/p/a"), kind::value, {}, kvmem::bytes{"1"}});
  auto d2 = take(w);
  CHECK((d2.from == 2 && d2.to == 4)); // version 3 (outside the prefix) is accounted for
  CHECK(d2.events.at(0).path == K("/p/b"));
  CHECK(d2.seq == d1.seq + 1);
  CHECK(w.last_version() == 4);
  nothing_before_marker(c, w, K("/p"), 4);
}

TEST_CASE_METHOD(store_fixture, "a batch's events share its version; a big removal is one event") {
  kvmem::client c{sys, s};
  REQUIRE(c.batch([](kvmem::batch_view& v) {
    for (int i = 0; i < 5000; ++i)
      (void)v.set(K(fmt::format("/p/big/k{}", i)), "v");
  }));
  auto w = c.watch(K("/p")).value();
  auto there = c.watch(K("/elsewhere")).value();
  REQUIRE(c.batch([](kvmem::batch_view& v) {
    (void)v.set(K("/p/x"), "1");
    (void)v.rename(K("/p/x"), K("/elsewhere"));
    (void)v.set(K("/p/y"), "2");
  }));
  auto d = take(w);
  REQUIRE(d.events.size() == 3); // the rename_in happened outside /p
  for (auto& e : d.events)
    CHECK(e.version == d.to);
  CHECK(d.events[0].op == change_op::set);
  CHECK((d.events[1].op == change_op::rename_out && d.events[1].other == K("/elsewhere")));
  CHECK(d.events[2].path == K("/p/y"));
  auto in = take(there);
  REQUIRE(in.events.size() == 1);
  CHECK((in.events[0].op == change_op::rename_in && in.events[0].other == K("/p/x") &&
         in.events[0].value == "1"));
  REQUIRE(c.remove(K("/p/big")));
  auto r = take(w);
  REQUIRE(r.events.size() == 1);
  CHECK((r.events[0].op == change_op::remove && r.events[0].what == kind::dictionary));
  REQUIRE(c.remove(K("/"))); // an ancestor of the prefix: delivered too
  CHECK(take(w).events.at(0) == change{r.to + 1, change_op::remove, K("/"), kind::dictionary, {}, {}});
}

TEST_CASE_METHOD(store_fixture, "a watcher that reads late gets what it gathered, per write, nothing lost") {
  kvmem::client c{sys, s};
  auto w = c.watch(K("/p"), std::nullopt, 1).value(); // its window full after one
  for (int i = 0; i < 50; ++i)
    REQUIRE(c.set(K(fmt::format("/p/k{}", i % 7)), std::to_string(i)));
  REQUIRE(c.remove(K("/p/k6")));
  // The first write went out at once; the rest waited for its acknowledgement.
  auto a = take(w);
  CHECK((!a.coalesced && a.to == 1));
  auto rest = take(w); // the watcher acknowledged a before waiting: the rest
  CHECK(!rest.coalesced);
  CHECK(rest.from == 1);
  CHECK(rest.to == 51);
  REQUIRE(rest.events.size() == 50);
  std::map<kvmem::key, std::string> seen;
  kvmem::version_t v = 1;
  for (auto& e : rest.events) {
    CHECK(e.version == ++v); // every write, in order
    if (e.op == change_op::set)
      seen[e.path] = e.value.str();
    else
      seen.erase(e.path);
  }
  CHECK(seen.size() == 6); // k0..k5 now, k6 removed after it was set
  CHECK(seen[K("/p/k0")] == "49");
  nothing_before_marker(c, w, K("/p"), 51);
}

TEST_CASE_METHOD(store_fixture, "a subscriber acking only every fourth delivery (half its window) "
                                "receives every write, in order") {
  struct seen {
    std::mutex m;
    std::vector<changes> got;
    std::uint64_t acks = 0;
  };
  auto log = std::make_shared<seen>();
  auto sub = sys.spawn([=](caf::event_based_actor* self, kvmem::store st) -> caf::behavior {
    self->request(st.actor(), caf::infinite, kvmem::watch_atom::value,
                  kvmem::watch_request{K("/p"), std::nullopt, 8})
        .then([](const kvmem::watch_started&) {});
    auto acked = std::make_shared<std::uint64_t>(0);
    return {[=](kvmem::changes_atom, const changes& d) {
      std::lock_guard g{log->m};
      log->got.push_back(d);
      if (d.seq - *acked >= 4) { // never when idle: only at half the window
        self->send(st.actor(), kvmem::ack_atom::value, d.id, d.seq);
        *acked = d.seq;
        ++log->acks;
      }
    }};
  }, s);
  kvmem::client c{sys, s};
  REQUIRE(eventually([&] { return c.info().value().subscriptions == 1; }));
  for (int i = 1; i <= 300; ++i)
    REQUIRE(c.set(K(fmt::format("/p/k{}", i % 10)), std::to_string(i)));
  const auto last = c.last_version();
  auto reached = [&] {
    std::lock_guard g{log->m};
    return !log->got.empty() && log->got.back().to == last;
  };
  REQUIRE(eventually(reached));
  std::lock_guard g{log->m};
  kvmem::version_t to = 0, v = 0;
  for (std::size_t i = 0; i < log->got.size(); ++i) {
    auto& d = log->got[i];
    CHECK((d.seq == i + 1 && d.from == to && !d.resync));
    for (auto& e : d.events)
      CHECK(e.version == ++v); // every write once, in order (nothing coalesced here)
    to = d.to;
  }
  CHECK(v == last);
  CHECK(log->acks <= log->got.size() / 4);
  caf::anon_send_exit(sub, caf::exit_reason::kill);
}

TEST_CASE_METHOD(store_fixture, "a subscriber that never acknowledges gets at most its window") {
  auto received = std::make_shared<std::atomic<int>>(0);
  auto sub = sys.spawn([=](caf::event_based_actor* self, kvmem::store st) -> caf::behavior {
    self->request(st.actor(), caf::infinite, kvmem::watch_atom::value,
                  kvmem::watch_request{K("/p"), std::nullopt, 3})
        .then([](const kvmem::watch_started&) {});
    return {[=](kvmem::changes_atom, const changes&) { ++*received; }, // never acks
            [=](int) { return received->load(); }};                     // a probe
  }, s);
  // A log of 64 commits: cut often, so that the store sends what the
  // subscriber gathered until its window is full.
  struct small_log {
    small_log() { kvmem::detail::feed_log_bounds.commits = 64; }
    ~small_log() { kvmem::detail::feed_log_bounds = {}; }
  } bounds;
  kvmem::client c{sys, s};
  REQUIRE(eventually([&] { return c.info().value().subscriptions == 1; }));
  for (int i = 0; i < 2000; ++i)
    REQUIRE(c.set(K(fmt::format("/p/k{}", i % 50)), std::to_string(i)));
  REQUIRE(c.version()); // every delivery the store would send has been sent
  // ...but maybe not yet handled: a probe queued behind them counts them.
  caf::scoped_actor self{sys};
  int handled = -1;
  self->request(sub, std::chrono::seconds(30), 0)
      .receive([&](int n) { handled = n; }, [&](const caf::error& e) { FAIL(sys.render(e)); });
  CHECK(handled == 3);
  caf::anon_send_exit(sub, caf::exit_reason::kill);
}

TEST_CASE_METHOD(history_fixture, "resuming from the last version seen: no gap, no duplicate") {
  kvmem::client c{sys, s};
  kvmem::version_t last = 0;
  {
    auto w = c.watch(K("/p")).value();
    REQUIRE(c.set(K("/p/a"), "1"));
    last = take(w).to;
  } // dropped
  REQUIRE(c.set(K("/p/b"), "2"));
  REQUIRE(c.set(K("/p/a"), "3"));
  REQUIRE(c.info().value().subscriptions == 0);
  auto w = c.watch(K("/p"), last).value();
  CHECK(w.start_version() == last);
  auto d = take(w);
  CHECK(d.from == last);
  CHECK(d.to == 3);
  CHECK(d.coalesced);
  CHECK(d.events.size() == 2); // /p/a = 3, /p/b = 2
}

TEST_CASE_METHOD(store_fixture, "starting at a version that is not retained: an explicit resync") {
  kvmem::client c{sys, s};
  for (int i = 0; i < 5; ++i)
    REQUIRE(c.set(K("/p/a"), std::to_string(i)));
  auto w = c.watch(K("/p"), 2).value();
  auto d = take(w);
  CHECK(d.resync);
  CHECK((d.from == 2 && d.to == 5));
  CHECK(d.events.empty());
  REQUIRE(w.delivery_snapshot());
  CHECK(w.delivery_snapshot()->get(K("/p/a")).value() == "4");
  REQUIRE(c.set(K("/p/a"), "next"));
  CHECK(take(w).from == 5);
  CHECK(c.watch(K("/p"), 99).error().code == errc::invalid_argument); // the future
}

TEST_CASE_METHOD(history_fixture, "reads at a version and diffs between versions") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  REQUIRE(c.set(K("/a"), "2"));
  CHECK(c.get_at(1, K("/a")).value() == "1");
  CHECK(c.get_at(2, K("/a")).value() == "2");
  CHECK(c.list_at(1, K("/")).value().size() == 1);
  auto d = c.diff(1, 2).value();
  REQUIRE(d.size() == 1);
  CHECK(d[0].value == "2");
  CHECK(c.snapshot_at(1).value().get(K("/a")).value() == "1");
  auto info = c.info().value();
  CHECK(info.retained_versions == 3); // 0 (the empty store), 1 and 2
  CHECK(info.retained_bytes > 0);
  CHECK(info.pinned == 0); // reads at a version unpin what they pinned
}

TEST_CASE_METHOD(store_fixture, "without history only the current version can be read at") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  REQUIRE(c.set(K("/a"), "2"));
  CHECK(c.get_at(2, K("/a")).value() == "2");
  CHECK(c.get_at(1, K("/a")).error().code == errc::not_retained);
  CHECK(c.diff(1, 2).error().code == errc::not_retained);
}

TEST_CASE_METHOD(store_fixture, "an owner's death removes exactly its keys, in one version") {
  kvmem::client c{sys, s};
  // (With an argument: CAF 0.17.6 trips UBSan on argument-less function actors.)
  auto idle = [](caf::event_based_actor*, int) -> caf::behavior { return {[](int) {}}; };
  auto owner = sys.spawn(idle, 0);
  auto other = sys.spawn(idle, 0);
  REQUIRE(c.set_owned(K("/svc/a"), "owner's", owner));
  REQUIRE(c.set_owned(K("/svc/b"), "owner's", owner));
  REQUIRE(c.set_owned(K("/svc/c"), "other's", other));
  REQUIRE(c.set(K("/svc/plain"), "nobody's"));
  REQUIRE(c.set_owned(K("/svc/taken"), "owner's", owner));
  REQUIRE(c.set(K("/svc/taken"), "overwritten: no longer owned"));
  CHECK(c.info().value().owned_keys == 3);
  auto w = c.watch(K("/svc")).value();
  auto before = c.version().value();
  caf::anon_send_exit(owner, caf::exit_reason::kill);
  auto d = take(w);
  CHECK(d.to == before + 1); // one commit
  REQUIRE(d.events.size() == 2);
  CHECK(d.events[0].path == K("/svc/a"));
  CHECK(d.events[1].path == K("/svc/b"));
  CHECK(c.exists(K("/svc/c")).value() == kind::value);
  CHECK(c.exists(K("/svc/plain")).value() == kind::value);
  CHECK(c.get(K("/svc/taken")).value() == "overwritten: no longer owned");
  CHECK(c.info().value().owned_keys == 1);
  caf::anon_send_exit(other, caf::exit_reason::kill);
  take(w);
  CHECK(c.exists(K("/svc/c")).value() == std::nullopt);
}

TEST_CASE_METHOD(store_fixture, "a client's owner handle owns keys for as long as the client lives") {
  kvmem::client c{sys, s};
  auto w = c.watch(K("/svc")).value();
  {
    kvmem::client mine{sys, s};
    REQUIRE(mine.set_owned(K("/svc/me"), "here", mine.owner_handle()));
    take(w);
  }
  auto d = take(w);
  CHECK(d.events.at(0).op == change_op::remove);
  CHECK(c.exists(K("/svc/me")).value() == std::nullopt);
}

TEST_CASE_METHOD(store_fixture, "another thread can wake a watcher waiting for its next delivery") {
  kvmem::client c{sys, s};
  auto w = c.watch(K("/p")).value();
  std::thread waker([&] { w.interrupt(); });
  auto r = w.next(std::chrono::hours(1)); // returns once interrupted, not in an hour
  waker.join();
  REQUIRE(r);
  CHECK_FALSE(*r);
  REQUIRE(c.set(K("/p/a"), "1")); // deliveries still flow afterwards
  CHECK(take(w).events.size() == 1);
}

TEST_CASE_METHOD(store_fixture, "a subscription ends with its subscriber") {
  kvmem::client c{sys, s};
  {
    auto w = c.watch(K("/p")).value();
    CHECK(c.info().value().subscriptions == 1);
  }
  REQUIRE(c.set(K("/p/a"), "1")); // unwatch and this write are ordered: one sender
  CHECK(c.info().value().subscriptions == 0);
}
