// How a feed starts and what it holds: the first delivery continues from
// the version the watch reported (resumed, caught up or resynced), the reply
// reaches an actor before its first delivery, a watcher lets go of its start
// snapshot, interrupts beat queued deliveries, the store's limits on
// watches, and the history's accounting against a direct computation.
#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include <random>
#include <thread>

#include <fmt/format.h>

#include "kvmem/diff.hpp"
#include "watch_fixture.hpp"

using namespace test;
using kvmem::changes;
using kvmem::errc;

using namespace std::chrono_literals;

TEST_CASE_METHOD(history_fixture, "resuming when nothing under the prefix changed starts the feed now") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/p/a"), "1"));                  // 1
  REQUIRE(c.set(K("/q"), "elsewhere"));            // 2
  REQUIRE(c.set(K("/q"), "elsewhere again"));      // 3
  auto w = c.watch(K("/p"), 1).value();
  CHECK(w.start_version() == 3); // nothing to deliver for (1, 3]: the feed starts at 3
  REQUIRE(w.start_snapshot());
  CHECK(w.start_snapshot()->get(K("/q")).value() == "elsewhere again");
  REQUIRE(c.set(K("/p/b"), "2")); // 4
  auto d = take(w);
  CHECK(d.from == w.start_version()); // contiguous with what the watch said
  CHECK(d.to == 4);
}

TEST_CASE_METHOD(store_fixture, "a resync continues from the version the watch asked for") {
  kvmem::client c{sys, s};
  for (int i = 0; i < 4; ++i)
    REQUIRE(c.set(K("/p/a"), std::to_string(i)));
  auto w = c.watch(K("/p"), 1).value();
  CHECK(w.start_version() == 1);     // not the current version: (1, 4] is yet to be accounted for
  CHECK_FALSE(w.start_snapshot());   // no root at 1 to give
  CHECK(w.last_version() == 1);      // resuming from here again is safe (another resync)
  auto d = take(w);
  CHECK(d.resync);
  CHECK((d.from == 1 && d.to == 4));
  CHECK(w.last_version() == 4);
}

TEST_CASE_METHOD(history_fixture, "version 0 is retained like any other") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  CHECK(c.get_at(0, K("/a")).error().code == errc::not_found);
  CHECK(c.list_at(0, K("/")).value().empty());
  CHECK(c.diff(0, 1).value().size() == 1);
  auto w = c.watch(K("/"), 0).value();
  auto d = take(w);
  CHECK_FALSE(d.resync);
  CHECK((d.from == 0 && d.to == 1));
}

TEST_CASE_METHOD(history_fixture, "an actor gets the watch's reply before its first delivery") {
  REQUIRE(kvmem::client{sys, s}.set(K("/p/a"), "1"));
  caf::scoped_actor self{sys};
  self->send(s.actor(), kvmem::watch_atom::value, kvmem::watch_request{K("/p"), 0, 4});
  bool replied = false;
  self->receive([&](const kvmem::watch_started& st) {
                  replied = true;
                  CHECK(st.version == 0);
                },
                [&](kvmem::changes_atom, const changes&) { FAIL("a delivery came before the reply"); },
                caf::after(5s) >> [] { FAIL("no reply"); });
  CHECK(replied);
  self->receive([](kvmem::changes_atom, const changes& d) { CHECK((d.from == 0 && d.to == 1)); },
                caf::after(5s) >> [] { FAIL("no delivery"); });
}

TEST_CASE_METHOD(store_fixture, "a watcher lets go of its start snapshot at its first next()") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/v"), "old"));
  auto w = c.watch(K("/elsewhere")).value();
  REQUIRE(w.start_snapshot());
  auto kept = *w.start_snapshot(); // a copy keeps it, if one wants it
  REQUIRE(w.next(0ms));
  CHECK_FALSE(w.start_snapshot());
  REQUIRE(c.set(K("/v"), "new"));
  CHECK(kept.get(K("/v")).value() == "old");
}

TEST_CASE_METHOD(store_fixture, "an interrupt wins over a delivery already queued") {
  kvmem::client c{sys, s};
  auto w = c.watch(K("/p")).value();
  auto later = c.watch(K("/p")).value(); // served after w: its delivery means w's is queued
  REQUIRE(c.set(K("/p/a"), "1"));
  CHECK(take(later).to == 1);
  w.interrupt();
  auto r = w.next(1h);
  REQUIRE(r);
  CHECK_FALSE(*r);
  CHECK(take(w).to == 1); // still there afterwards
}

TEST_CASE_METHOD(store_fixture, "windows and subscriptions are bounded") {
  kvmem::client c{sys, s};
  CHECK(c.watch(K("/p"), std::nullopt, 0).error().code == errc::invalid_argument);
  auto e = c.watch(K("/p"), std::nullopt, s.options().max_watch_window + 1).error();
  CHECK(e.code == errc::invalid_argument);
  CHECK_THAT(e.detail, Catch::Contains("max_watch_window"));
  // One subscriber (a scoped actor) up to its limit.
  caf::scoped_actor self{sys};
  auto limit = s.options().max_subscriptions_per_owner;
  for (std::size_t i = 0; i <= limit; ++i) {
    self->request(s.actor(), 5s, kvmem::watch_atom::value, kvmem::watch_request{K("/p"), std::nullopt, 1})
        .receive([&](const kvmem::watch_started&) { CHECK(i < limit); },
                 [&](const caf::error& err) {
                   CHECK(i == limit);
                   CHECK(kvmem::from_caf(err).code == errc::invalid_argument);
                 });
  }
  CHECK(c.info().value().subscriptions == limit);
}

TEST_CASE_METHOD(history_fixture, "info's retained bytes equal a direct computation over the retained versions") {
  kvmem::client c{sys, s};
  std::mt19937 rng{7};
  for (int i = 0; i < 200; ++i) {
    auto k = K(fmt::format("/d{}/k{}", rng() % 4, rng() % 16));
    if (rng() % 5 == 0)
      (void)c.remove(k);
    else
      REQUIRE(c.set(k, std::string(rng() % 300, 'x')));
  }
  auto info = c.info().value();
  auto now = c.version().value();
  REQUIRE(info.retained_versions == now + 1);
  std::uint64_t direct = 0;
  auto newer = c.snapshot_at(now).value();
  for (auto v = now; v-- > 0;) {
    auto older = c.snapshot_at(v).value();
    direct += kvmem::unshared_bytes(older, newer);
    newer = older;
  }
  CHECK(info.retained_bytes == direct);
}

TEST_CASE_METHOD(store_fixture, "owned writes: the last write of a batch decides; nonsense owners are refused") {
  kvmem::client c{sys, s};
  caf::scoped_actor owner{sys};
  caf::actor handle = caf::actor_cast<caf::actor>(owner.ptr());
  REQUIRE(c.batch([&](kvmem::batch_view& b) -> kvmem::result<void> {
    if (auto r = b.set_owned(K("/svc/a"), "owned, then overwritten", handle); !r)
      return r;
    if (auto r = b.set_owned(K("/svc/b"), "owned", handle); !r)
      return r;
    return b.set(K("/svc/a"), "plain"); // ends /svc/a's ownership
  }));
  CHECK(c.info().value().owned_keys == 1);
  caf::scoped_actor self{sys};
  auto refused = [&](kvmem::write_op w, caf::actor who) {
    bool err = false;
    self->request(s.actor(), 5s, kvmem::write_atom::value, std::move(w), std::move(who))
        .receive([](kvmem::version_t) {},
                 [&](const caf::error& e) { err = kvmem::from_caf(e).code == errc::invalid_argument; });
    return err;
  };
  CHECK(refused(kvmem::write_op::remove(K("/svc/b")), handle));
  CHECK(refused(kvmem::write_op::rename(K("/svc/b"), K("/svc/c")), handle));
  CHECK(refused(kvmem::write_op::set(K("/svc/d"), kvmem::bytes{"x"}), caf::actor{}));
  CHECK(c.exists(K("/svc/b")).value());       // nothing refused changed anything
  CHECK_FALSE(c.exists(K("/svc/d")).value());
  CHECK(c.info().value().owned_keys == 1);
}
