// The store and its batches as actors, on CAF's deterministic test
// coordinator: typed messages, error replies, and exact interleavings of a
// batch's snapshot, a concurrent write and the batch's commit.
#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>

#include "coordinator_fixture.hpp"

using namespace test;
using kvmem::batch_view;
using kvmem::error;
using kvmem::errc;

namespace {

struct small_limits_fixture : coordinator_fixture {
  small_limits_fixture() : coordinator_fixture({.max_batch_writes = 3, .max_batch_bytes = 20}) {}
};

// A clock that breaks once the store is up: what an exception inside a
// store handler looks like.
struct breaking_clock {
  std::shared_ptr<bool> broken = std::make_shared<bool>(false);
  kvmem::ptime now() const {
    if (*broken)
      throw std::runtime_error("clock broke");
    return {};
  }
};
struct throwing_clock_fixture : coordinator_fixture {
  explicit throwing_clock_fixture(breaking_clock c = {}) : coordinator_fixture({}, c) {
    *c.broken = true;
  }
};

} // namespace

TEST_CASE_METHOD(small_limits_fixture, "the store checks batch limits at commit, whoever built it") {
  using kvmem::write_op;
  auto w = [](int i) { return write_op::set(K(fmt::format("/k{}", i)), "v"); };
  // Four writes: more than max_batch_writes, as a peer that skips the view's checks could send.
  auto many = kvmem::commit{0, {w(1), w(2), w(3), w(4)}};
  CHECK(ask<kvmem::version_t>(kvmem::commit_atom::value, many).error().code ==
        errc::batch_too_large);
  // One write of 25 bytes of keys and data: more than max_batch_bytes.
  auto big = kvmem::commit{0, {write_op::set(K("/big"), std::string(20, 'x'))}};
  CHECK(ask<kvmem::version_t>(kvmem::commit_atom::value, big).error().code ==
        errc::batch_too_large);
  // A single write is held to the same limits: it is a commit of one.
  CHECK(ask<kvmem::version_t>(kvmem::set_atom::value, K("/big"), kvmem::bytes{std::string(20, 'x')})
            .error()
            .code == errc::batch_too_large);
  // What a write makes counts, not only what it carries: an allocate of
  // 3 GiB and a set_partial far past the end are a few bytes on the wire.
  CHECK(ask<kvmem::version_t>(kvmem::allocate_atom::value, K("/a"), std::uint64_t{3} << 30)
            .error()
            .code == errc::batch_too_large);
  // "/a" counts 2 bytes (a segment is its length plus one): 19 + 2 > 20.
  CHECK(ask<kvmem::version_t>(kvmem::allocate_atom::value, K("/a"), std::uint64_t{19})
            .error()
            .code == errc::batch_too_large);
  CHECK(ask<kvmem::version_t>(kvmem::set_partial_atom::value, K("/a"), std::uint64_t{1} << 40,
                              kvmem::bytes{"x"})
            .error()
            .code == errc::batch_too_large);
  CHECK(ask<kvmem::version_t>(kvmem::version_atom::value).value() == 0); // nothing applied
  CHECK(ask<kvmem::version_t>(kvmem::allocate_atom::value, K("/a"), std::uint64_t{18}).value() == 1);
  CHECK(ask<kvmem::version_t>(kvmem::set_partial_atom::value, K("/a"), std::uint64_t{17},
                              kvmem::bytes{"x"})
            .value() == 2);
  auto ok = kvmem::commit{2, {w(1), w(2), w(3)}};
  CHECK(ask<kvmem::version_t>(kvmem::commit_atom::value, ok).value() == 3);
  auto info = ask<kvmem::store_info>(kvmem::info_atom::value).value();
  CHECK(info.max_batch_writes == 3);
  CHECK(info.max_batch_bytes == 20);
}

TEST_CASE_METHOD(throwing_clock_fixture, "an exception inside the store is an internal error, not the caller's") {
  auto r = ask<kvmem::version_t>(kvmem::set_atom::value, K("/a"), kvmem::bytes{"1"});
  CHECK(r.error().code == errc::internal);
  CHECK(r.error().detail == "clock broke");
  CHECK(ask<kvmem::version_t>(kvmem::version_atom::value).value() == 0);
  CHECK(read<std::optional<kvmem::kind>>(kvmem::read_op::exists(K("/a"))).value() == std::nullopt);
}

TEST_CASE_METHOD(coordinator_fixture, "every pin has an owner, and one owner cannot take them all") {
  // Anonymous pins could never be released: refused, and none is kept.
  for (int i = 0; i < 100; ++i)
    caf::anon_send(s.actor(), kvmem::pin_atom::value);
  sched.run();
  CHECK(ask<kvmem::store_info>(kvmem::info_atom::value).value().pinned == 0);
  // One owner gets max_pins_per_owner (16), then is refused.
  std::vector<kvmem::pin> mine;
  for (int i = 0; i < 16; ++i)
    mine.push_back(ask<kvmem::snapshot>(kvmem::pin_atom::value).value().pinned);
  CHECK(ask<kvmem::snapshot>(kvmem::pin_atom::value).error().code == errc::invalid_argument);
  // Another client still can.
  auto other_pinned = std::make_shared<bool>(false);
  auto other = sys.spawn([=](caf::event_based_actor* a, kvmem::store st) -> caf::behavior {
    a->request(st.actor(), caf::infinite, kvmem::pin_atom::value)
        .then([=](kvmem::snapshot& snap) {
          *other_pinned = snap.pinned.id != 0;
          // A pin is released only by its owner: this one is not ours.
          a->send(st.actor(), kvmem::unpin_atom::value, kvmem::pin{1});
        });
    return {[](int) {}}; // stays alive until told to exit
  }, s);
  sched.run();
  CHECK(*other_pinned);
  CHECK(ask<kvmem::store_info>(kvmem::info_atom::value).value().pinned == 17);
  // The other client terminated: its pin went with it.
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
  sched.run();
  CHECK(ask<kvmem::store_info>(kvmem::info_atom::value).value().pinned == 16);
  for (auto p : mine)
    self->send(s.actor(), kvmem::unpin_atom::value, p);
  sched.run();
  CHECK(ask<kvmem::store_info>(kvmem::info_atom::value).value().pinned == 0);
}

TEST_CASE_METHOD(coordinator_fixture, "write_atom applies any write_op, like its sugar") {
  using kvmem::write_op;
  CHECK(ask<kvmem::version_t>(kvmem::write_atom::value, write_op::set(K("/a/b"), "v")).value() == 1);
  CHECK(ask<kvmem::version_t>(kvmem::write_atom::value, write_op::rename(K("/a/b"), K("/c")))
            .value() == 2);
  CHECK(ask<kvmem::version_t>(kvmem::write_atom::value, write_op::remove(K("/nope"))).value() == 2);
  CHECK(ask<kvmem::version_t>(kvmem::write_atom::value, write_op::allocate(K("/c"), 4)).error() ==
        error::already_present(K("/c")));
  CHECK(read<kvmem::bytes>(kvmem::read_op::get(K("/c"))).value() == "v");
}

TEST_CASE_METHOD(coordinator_fixture, "typed messages reach the store and errors come back") {
  CHECK(ask<kvmem::version_t>(kvmem::set_atom::value, K("/a/b"), kvmem::bytes{"v"}).value() == 1);
  CHECK(read<kvmem::bytes>(kvmem::read_op::get(K("/a/b"))).value() == "v");
  CHECK(read<kvmem::bytes>(kvmem::read_op::get(K("/a"))).error() == error::value_expected(K("/a")));
  CHECK(read<std::optional<kvmem::kind>>(kvmem::read_op::exists(K("/a"))).value() ==
        kvmem::kind::dictionary);
  CHECK(read<kvmem::listing>(kvmem::read_op::list(K("/a"))).value().size() == 1);
  CHECK(ask<kvmem::version_t>(kvmem::rename_atom::value, K("/a"), K("/a/b/c")).error() ==
        error::rename_source_prefix(K("/a"), K("/a/b/c")));
  CHECK(ask<kvmem::version_t>(kvmem::remove_atom::value, K("/zz")).value() == 1); // no-op
  CHECK(ask<kvmem::version_t>(kvmem::version_atom::value).value() == 1);
  auto snap = ask<kvmem::local_snapshot>(kvmem::snapshot_atom::value).value();
  CHECK(snap.version == 1);
  CHECK(snap.root.get(K("/a/b")).value() == "v");
}

TEST_CASE_METHOD(coordinator_fixture, "caf::error replies render in mirage-kv's words") {
  auto r = read<kvmem::bytes>(kvmem::read_op::get(K("/nope")));
  self->send(s.actor(), kvmem::read_atom::value, kvmem::read_op::get(K("/nope")));
  sched.run();
  self->receive([](kvmem::read_result&) { FAIL("expected an error"); },
                [&](caf::error& e) {
                  CHECK(e.category() == kvmem::error_category);
                  CHECK(sys.render(e) == "Cannot find the key /nope");
                });
}

TEST_CASE_METHOD(coordinator_fixture, "a stale commit applies only if its reads are current; fresh ones apply") {
  auto snap = ask<kvmem::local_snapshot>(kvmem::snapshot_atom::value).value();
  REQUIRE(ask<kvmem::version_t>(kvmem::set_atom::value, K("/y"), kvmem::bytes{"moved"}));
  // Read /y at version 0, which has changed since: rejected.
  auto stale = kvmem::commit{0, {kvmem::write_op::set(K("/x"), "1")}};
  stale.reads = {kvmem::read_op::get(K("/y"))};
  CHECK(ask<kvmem::version_t>(kvmem::commit_atom::value, kvmem::local_commit{stale, snap.root})
            .error()
            .code == errc::conflict);
  // Without the snapshot it read (and no pin), the store cannot tell: rejected.
  CHECK(ask<kvmem::version_t>(kvmem::commit_atom::value, stale).error().code == errc::conflict);
  // Read /z, which has not changed: applied to the current state.
  auto unrelated = stale;
  unrelated.reads = {kvmem::read_op::exists(K("/z"))};
  CHECK(ask<kvmem::version_t>(kvmem::commit_atom::value, kvmem::local_commit{unrelated, snap.root})
            .value() == 2);
  // Wrote only: never conflicts.
  auto blind_write = kvmem::commit{0, {kvmem::write_op::set(K("/w"), "1")}};
  CHECK(ask<kvmem::version_t>(kvmem::commit_atom::value, blind_write).value() == 3);
  // At the current version: applied without looking at the reads.
  auto fresh = stale;
  fresh.base = 3;
  CHECK(ask<kvmem::version_t>(kvmem::commit_atom::value, fresh).value() == 4);
  // From a version the store never had: rejected.
  fresh.base = 99;
  CHECK(ask<kvmem::version_t>(kvmem::commit_atom::value, fresh).error().code == errc::conflict);
}

TEST_CASE_METHOD(coordinator_fixture, "a write between a batch's snapshot and its commit makes f run again") {
  REQUIRE(ask<kvmem::version_t>(kvmem::set_atom::value, K("/n"), kvmem::bytes{"0"}));
  auto runs = std::make_shared<int>(0);
  auto store_actor = s.actor();
  auto r = batch([=](batch_view& v) {
    ++*runs;
    auto n = std::stoi(v.get(K("/n")).value().str());
    if (*runs == 1) // this write reaches the store's mailbox before our commit
      caf::anon_send(store_actor, kvmem::set_atom::value, K("/n"), kvmem::bytes{"100"});
    (void)v.set(K("/n"), std::to_string(n + 1));
    return n;
  });
  CHECK(*runs == 2);
  CHECK(r.value() == 100);
  CHECK(read<kvmem::bytes>(kvmem::read_op::get(K("/n"))).value() == "101");
  CHECK(ask<kvmem::version_t>(kvmem::version_atom::value).value() == 3);
}

TEST_CASE_METHOD(coordinator_fixture, "interfered with on every attempt: too_many_retries after exactly n runs") {
  for (std::uint32_t n : {1u, 2u, 5u, 13u}) {
    auto runs = std::make_shared<std::uint32_t>(0);
    auto store_actor = s.actor();
    auto r = batch([=](batch_view& v) {
      ++*runs;
      (void)v.get(K("/hot")); // rewritten before every commit
      caf::anon_send(store_actor, kvmem::set_atom::value, K("/hot"), kvmem::bytes{"x"});
      (void)v.set(K("/mine"), "never");
    }, n);
    CHECK(r.error() == error::too_many_retries(n));
    CHECK(*runs == n);
  }
  CHECK(read<std::optional<kvmem::kind>>(kvmem::read_op::exists(K("/mine"))).value() ==
        std::nullopt);
}

TEST_CASE_METHOD(coordinator_fixture, "run_batch returns f's value and reports errors") {
  CHECK(batch([](batch_view& v) {
          (void)v.set(K("/a"), "1");
          return std::string("done");
        }).value() == "done");
  CHECK(batch([](batch_view&) {}, 0).error().code == errc::invalid_argument);
  CHECK(batch([](batch_view& v) { (void)v.set(K("/a/x"), "1"); }).error() ==
        error::dictionary_expected(K("/a/x")));
}

TEST_CASE_METHOD(coordinator_fixture, "the store survives messages it does not understand") {
  auto untyped = caf::actor_cast<caf::actor>(s.actor());
  self->send(untyped, std::string("garbage"), 42);
  sched.run();
  bool replied = false;
  self->receive([&](caf::error& e) {
    replied = true;
    CHECK(e == caf::sec::unexpected_message);
  });
  CHECK(replied);
  CHECK(ask<kvmem::version_t>(kvmem::version_atom::value).value() == 0);
}

TEST_CASE_METHOD(coordinator_fixture, "write_window keeps at most N requests in flight and loses none") {
  auto max_seen = std::make_shared<std::size_t>(0);
  auto acked = std::make_shared<std::vector<kvmem::version_t>>();
  sys.spawn(
      [=](caf::event_based_actor* a, kvmem::store st) {
        auto w = std::make_shared<kvmem::write_window<caf::event_based_actor>>(a, st.actor(), 4);
        for (int i = 0; i < 100; ++i) {
          w->set(K(fmt::format("/w/k{}", i % 10)), kvmem::bytes{std::to_string(i)},
                 [=](kvmem::result<kvmem::version_t> r) {
                   REQUIRE(r);
                   acked->push_back(*r);
                   *max_seen = std::max(*max_seen, w->in_flight() + 1);
                 });
          *max_seen = std::max(*max_seen, w->in_flight());
        }
        CHECK(w->in_flight() == 4);
        CHECK(w->queued() == 96);
        w->remove(K("/w/k0"), [=](kvmem::result<kvmem::version_t> r) { CHECK(r); });
      },
      s);
  sched.run();
  CHECK(*max_seen <= 4);
  REQUIRE(acked->size() == 100);
  CHECK(std::is_sorted(acked->begin(), acked->end()));
  CHECK(ask<kvmem::version_t>(kvmem::version_atom::value).value() == 101);
  CHECK(read<kvmem::bytes>(kvmem::read_op::get(K("/w/k9"))).value() == "99");
  CHECK(read<std::optional<kvmem::kind>>(kvmem::read_op::exists(K("/w/k0"))).value() ==
        std::nullopt);
}

TEST_CASE("history_age counts on the store's clock") {
  auto clock = std::make_shared<kvmem::manual_clock>(kvmem::ptime{100, 0});
  coordinator_fixture f({.history_age = std::chrono::milliseconds{1000}},
                        kvmem::any_clock::shared(clock));
  auto set = [&](const char* v) {
    return f.ask<kvmem::version_t>(kvmem::set_atom::value, K("/k"), kvmem::bytes{v}).value();
  };
  auto retained = [&] {
    return f.ask<kvmem::store_info>(kvmem::info_atom::value).value().retained_versions;
  };
  auto at = [&](kvmem::version_t v) {
    return f.ask<kvmem::local_snapshot>(kvmem::snapshot_atom::value, v);
  };
  set("a");
  set("b");
  CHECK(retained() == 3); // versions 0, 1, 2, all made now
  clock->advance(std::chrono::milliseconds{999});
  CHECK(set("c") == 3);
  CHECK(retained() == 4); // 999 ms is younger than 1 s
  clock->advance(std::chrono::milliseconds{1});
  CHECK(set("d") == 4);
  CHECK(retained() == 2); // versions 0 to 2 are exactly 1 s old: gone
  CHECK(at(2).error().code == kvmem::errc::not_retained);
  CHECK(at(3).value().root.get(K("/k")).value() == "c");
  // A clock set back makes nothing older: everything stays.
  clock->advance(std::chrono::hours{-1});
  CHECK(set("e") == 5);
  CHECK(retained() == 3);
  // Time does not pass between writes unless the clock says so: with no
  // write, nothing is dropped however long the test takes.
  clock->advance(std::chrono::hours{2});
  CHECK(retained() == 3);
  CHECK(set("f") == 6);
  CHECK(retained() == 1);
  CHECK(at(6).value().root.get(K("/k")).value() == "f");
}

TEST_CASE_METHOD(coordinator_fixture, "an error nobody asked for does not end the store") {
  CHECK(ask<kvmem::version_t>(kvmem::set_atom::value, K("/a"), kvmem::bytes{"v"}).value() == 1);
  auto untyped = caf::actor_cast<caf::actor>(s.actor());
  self->send(untyped, caf::make_error(caf::sec::runtime_error, "forged"));
  self->send(untyped, kvmem::to_caf(kvmem::error::make(kvmem::errc::internal, "forged")));
  sched.run();
  CHECK(read<kvmem::bytes>(kvmem::read_op::get(K("/a"))).value() == "v");
  CHECK(ask<kvmem::version_t>(kvmem::version_atom::value).value() == 1);
}

// (An exit message does end it: that is how its owner stops it, and only
// code in its process can send one — the network guard refuses it.)
TEST_CASE_METHOD(coordinator_fixture, "no message shape ends the store or changes its data") {
  CHECK(ask<kvmem::version_t>(kvmem::set_atom::value, K("/a"), kvmem::bytes{"v"}).value() == 1);
  auto untyped = caf::actor_cast<caf::actor>(s.actor());
  auto stranger = caf::actor_cast<caf::actor_addr>(self);
  std::vector<std::pair<const char*, caf::message>> shapes{
      {"empty", caf::make_message()},
      {"nested", caf::make_message(caf::make_message(1, 2))},
      {"down from an actor never monitored", caf::make_message(caf::down_msg{stranger, caf::sec::runtime_error})},
      {"group down", caf::make_message(caf::group_down_msg{})},
      {"timeout", caf::make_message(caf::timeout_msg{caf::atom("receive"), 42})},
      {"an error nobody asked for", caf::make_message(caf::make_error(caf::sec::runtime_error))},
      {"error with more", caf::make_message(caf::make_error(caf::sec::runtime_error, "forged"), 1)},
      {"a known atom, no payload", caf::make_message(kvmem::commit_atom::value)},
      {"set without a value", caf::make_message(kvmem::set_atom::value, K("/a"))},
      {"read of a string", caf::make_message(kvmem::read_atom::value, std::string("/a"))},
  };
  for (auto& [what, msg] : shapes) {
    INFO(what);
    self->send(untyped, msg);
    sched.run();
    // Anything outside the interface is answered unexpected_message (or
    // nothing: those replies stay in our mailbox, skipped by the receive of
    // the response below); the store is still there, its data unchanged.
    auto alive = self->request(untyped, caf::infinite, kvmem::version_atom::value);
    sched.run();
    std::optional<kvmem::version_t> v;
    alive.receive([&](kvmem::version_t x) { v = x; }, [](caf::error&) {});
    REQUIRE(v == kvmem::version_t{1});
  }
  auto get = self->request(untyped, caf::infinite, kvmem::read_atom::value,
                           kvmem::read_op::get(K("/a")));
  sched.run();
  std::optional<kvmem::read_result> value;
  get.receive([&](kvmem::read_result& r) { value = std::move(r); }, [](caf::error&) {});
  REQUIRE(value);
  CHECK(kvmem::read_as<kvmem::bytes>(*value).value() == "v");
}
