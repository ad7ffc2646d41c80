// Faults: the store killed while clients wait, a client killed mid-batch,
// exceptions in batch functions. Nothing may hang; the store keeps serving.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <future>
#include <thread>

#include <caf/event_based_actor.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "eventually.hpp"
#include "kvmem/actor_client.hpp"
#include "store/store_access.hpp"
#include "store_fixture.hpp"

using namespace test;
using kvmem::errc;

namespace {

// A clock whose now() can be made to wait: it holds the store inside a
// handler, so that requests pile up in its mailbox.
struct gate_clock {
  struct state {
    std::mutex m;
    std::condition_variable cv;
    bool closed = false;
    bool waiting = false;
  };
  std::shared_ptr<state> st = std::make_shared<state>();
  kvmem::ptime now() const {
    std::unique_lock g{st->m};
    st->waiting = true;
    st->cv.notify_all();
    st->cv.wait(g, [&] { return !st->closed; });
    st->waiting = false;
    return {};
  }
  void close() {
    std::lock_guard g{st->m};
    st->closed = true;
  }
  void wait_until_held() {
    std::unique_lock g{st->m};
    st->cv.wait(g, [&] { return st->waiting; });
  }
  void open() {
    std::lock_guard g{st->m};
    st->closed = false;
    st->cv.notify_all();
  }
};

// The actor of a store of this process, to count the messages waiting in
// its mailbox. Only while the gate holds the store inside a handler: its
// thread then waits on the gate's mutex, which orders its own use of the
// mailbox before and after ours.
caf::scheduled_actor& actor_of(const kvmem::store& st) {
  auto* a = dynamic_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(st.actor()));
  REQUIRE(a);
  return *a;
}

} // namespace

TEST_CASE_METHOD(system_fixture, "killing the store: calls queued before the kill are served, "
                                  "those queued after it fail; nothing hangs") {
  gate_clock gate;
  auto st = kvmem::spawn_store(sys, gate);
  REQUIRE(kvmem::client{sys, st}.version()); // started (its start reads the clock too)
  std::future<kvmem::result<void>> first;
  std::vector<std::future<kvmem::result<void>>> ahead, behind;
  // Whatever fails below, the store is killed and let go (after which the
  // futures, destroyed after this, can finish).
  struct stopper {
    gate_clock& gate;
    kvmem::store st;
    ~stopper() {
      caf::anon_send_exit(st.actor(), caf::exit_reason::kill);
      gate.open();
    }
  } stop{gate, st};
  gate.close();
  // One writer is inside the store's handler; others queue behind it.
  first = std::async(std::launch::async, [&] {
    kvmem::client c{sys, st};
    return c.set(K("/first"), "1");
  });
  gate.wait_until_held();
  auto queued = [&store_actor = actor_of(st)] { return store_actor.mailbox().size(); };
  REQUIRE(queued() == 0);
  auto queue_write = [&](std::string k) {
    return std::async(std::launch::async, [this, st, k] {
      kvmem::client c{sys, st};
      return c.set(K(k), "1");
    });
  };
  // Two writes reach the mailbox, then the kill, then two more.
  for (int i = 0; i < 2; ++i)
    ahead.push_back(queue_write(fmt::format("/ahead{}", i)));
  REQUIRE(eventually([&] { return queued() == 2; }));
  caf::anon_send_exit(st.actor(), caf::exit_reason::kill);
  REQUIRE(queued() == 3);
  for (int i = 0; i < 2; ++i)
    behind.push_back(queue_write(fmt::format("/behind{}", i)));
  REQUIRE(eventually([&] { return queued() == 5; }));
  gate.open();
  // The mailbox is first in, first out (an exit message has no priority):
  // the write being handled and those ahead of the kill complete; those
  // behind it are pending when the store dies and fail.
  CHECK(first.get());
  for (auto& f : ahead)
    CHECK(f.get());
  for (auto& f : behind) {
    auto r = f.get();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::unavailable);
  }
  kvmem::client late{sys, st};
  CHECK(late.set(K("/late"), "1").error().code == errc::unavailable);
  CHECK(late.get(K("/first")).error().code == errc::unavailable);
  CHECK(late.batch([](kvmem::batch_view&) {}).error().code == errc::unavailable);
}

TEST_CASE_METHOD(store_fixture, "a client that stays alive sees the store die and fails from then on") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  {
    caf::scoped_actor self{sys, true};
    self->monitor(s.actor());
    caf::anon_send_exit(s.actor(), caf::exit_reason::kill);
    self->receive([](caf::down_msg&) {});
  }
  // The client learns of the death from its own watch on the store, which
  // runs right after (not necessarily before) our down message: wait for it.
  kvmem::result<kvmem::bytes> r = kvmem::bytes{};
  REQUIRE(eventually([&] { return !(r = c.get(K("/a"))); }));
  CHECK(r.error().code == errc::unavailable);
  CHECK(c.set(K("/a"), "2").error().code == errc::unavailable);
  CHECK(c.version().error().code == errc::unavailable);
}

TEST_CASE_METHOD(store_fixture, "a client killed mid-batch leaves the store unchanged and serving") {
  std::promise<void> in_f;
  std::promise<void> release;
  auto released = release.get_future().share();
  auto client_actor = sys.spawn([&](caf::event_based_actor* self, kvmem::store st) {
    kvmem::run_batch(
        self, st,
        [&in_f, released](kvmem::batch_view& v) {
          in_f.set_value();
          released.wait();
          (void)v.set(K("/from_dead_client"), "1");
        },
        [](kvmem::result<void>) { FAIL("the dead client must not be called back"); }, 1);
  }, s);
  in_f.get_future().wait();
  {
    caf::scoped_actor self{sys, true};
    self->monitor(client_actor);
    caf::anon_send_exit(client_actor, caf::exit_reason::kill);
    self->receive([](caf::down_msg&) {});
  }
  auto before = sys.registry().running();
  release.set_value();
  // The batch actor finishes (its commit, if it made one, went out before).
  REQUIRE(eventually([&] { return sys.registry().running() < before; }));
  kvmem::client c{sys, s};
  CHECK(c.exists(K("/from_dead_client")).value() == std::nullopt);
  CHECK(c.version().value() == 0);
  REQUIRE(c.set(K("/still"), "serving"));
}

TEST_CASE_METHOD(store_fixture, "exceptions in batch functions never reach the store") {
  kvmem::client c{sys, s};
  for (int i = 0; i < 20; ++i) {
    auto r = c.batch([&](kvmem::batch_view& v) {
      (void)v.set(K("/x"), "1");
      if (i % 2)
        throw std::logic_error(fmt::format("bug {}", i));
      throw std::bad_alloc();
    });
    CHECK(r.error().code == errc::batch_aborted);
  }
  CHECK(c.exists(K("/x")).value() == std::nullopt);
  REQUIRE(c.set(K("/y"), "1"));
  CHECK(c.version().value() == 1);
}

// A store that is not what it claims (a hostile or broken server): a read
// answered with the result of another read is an error, not a value. (Codes
// that are not kinds cannot even decode: wire_test.)
TEST_CASE_METHOD(system_fixture, "a read answered with another kind of result is an error, not a value") {
  // (With an argument: CAF 0.17.6 trips UBSan on argument-less function actors.)
  auto liar = sys.spawn([](caf::event_based_actor*, int) -> caf::behavior {
    return {
      [](kvmem::read_atom, const kvmem::read_op&) { return kvmem::read_result{kvmem::bytes{"?"}}; },
    };
  }, 0);
  auto st = kvmem::detail::store_access::make(caf::actor_cast<kvmem::store_actor>(liar), nullptr, {},
                                              std::chrono::milliseconds{0});
  kvmem::client c{sys, st};
  auto e = c.exists(K("/x"));
  REQUIRE_FALSE(e);
  CHECK(e.error().code == errc::unavailable);
  CHECK_THAT(e.error().detail, Catch::Contains("another kind"));
  auto l = c.list(K("/d"));
  REQUIRE_FALSE(l);
  CHECK(l.error().code == errc::unavailable);
  CHECK(c.get(K("/g")).value() == "?"); // what a get expects: taken
  caf::anon_send_exit(liar, caf::exit_reason::user_shutdown);
}
