// Caller runs (src/blocking/inline_unit.*): a blocking client's request that
// finds a store on CAF's scheduler idle is handled on the client's own
// thread; a run is bounded and hands the rest of the work to CAF's workers.
#include <catch2/catch.hpp>

#include <mutex>
#include <thread>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>

#include "blocking/inline_unit.hpp"
#include "eventually.hpp"
#include "store_fixture.hpp"

using namespace test;

namespace {

// A clock that notes the thread of every reading: the store reads its clock
// once per write, so the last reading shows which thread ran the last write.
struct thread_noting_clock {
  struct log {
    std::mutex m;
    std::thread::id last;
  };
  std::shared_ptr<log> seen = std::make_shared<log>();
  kvmem::ptime now() const {
    std::lock_guard g{seen->m};
    seen->last = std::this_thread::get_id();
    return kvmem::ptime{100, 0};
  }
  std::thread::id last() const {
    std::lock_guard g{seen->m};
    return seen->last;
  }
};

// Sets through a blocking client; true if one of them ran on this thread.
// Gives up after `n` sets.
bool some_set_ran_here(kvmem::client& c, const thread_noting_clock& clk, int n) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(c.set(K("/k"), std::to_string(i)));
    if (clk.last() == std::this_thread::get_id())
      return true;
  }
  return false;
}

struct recorded_threads {
  std::mutex m;
  std::vector<std::thread::id> seen;
  std::size_t size() {
    std::lock_guard g{m};
    return seen.size();
  }
};

caf::behavior thread_recorder(caf::event_based_actor*, std::shared_ptr<recorded_threads> r) {
  return {[=](int) {
    std::lock_guard g{r->m};
    r->seen.push_back(std::this_thread::get_id());
  }};
}

} // namespace

TEST_CASE_METHOD(system_fixture, "a blocking client runs an idle store on its own thread by default") {
  thread_noting_clock clk;
  kvmem::scoped_store s{kvmem::spawn_store(sys, clk)};
  kvmem::client c{sys, s};
  // The store's first run (its start) belongs to a CAF worker; once it is
  // idle, a request wakes it on the caller's thread.
  CHECK(some_set_ran_here(c, clk, 10'000));
  CHECK(c.get(K("/k")));
}

TEST_CASE_METHOD(system_fixture, "without caller_runs, or detached, the store never runs on a client's thread") {
  thread_noting_clock clk;
  kvmem::store_options o;
  SECTION("caller_runs = false") { o.caller_runs = false; }
  SECTION("detached") { o.detached = true; }
  kvmem::scoped_store s{kvmem::spawn_store(sys, clk, o)};
  kvmem::client c{sys, s};
  CHECK_FALSE(some_set_ran_here(c, clk, 200));
}

TEST_CASE_METHOD(system_fixture, "an inline run handles at most its budget, then CAF's workers take over") {
  auto rec = std::make_shared<recorded_threads>();
  auto a = sys.spawn(thread_recorder, rec);
  auto target = caf::actor_cast<caf::strong_actor_ptr>(a);
  kvmem::detail::inline_unit unit{sys, target->get()};
  auto message = [](int i) {
    return caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, i);
  };
  // Send until a send finds the actor idle: the unit then holds it (it runs
  // nowhere else until run_woken).
  int sent = 0;
  REQUIRE(eventually([&] {
    unit.arm();
    target->enqueue(message(sent++), &unit);
    if (unit.woken())
      return true;
    unit.run_woken(); // disarms; the actor was busy, a worker has the message
    return false;
  }));
  REQUIRE(eventually([&] { return rec->size() == static_cast<std::size_t>(sent - 1); }));
  // Queue more than a run's budget behind the waking message.
  const int extra = 2 * static_cast<int>(kvmem::detail::inline_unit::budget);
  for (int i = 0; i < extra; ++i)
    target->enqueue(message(sent++), nullptr); // not blocked: appended, nobody woken
  unit.run_woken();
  const auto first = static_cast<std::size_t>(sent - 1 - extra); // the waking message's index
  // The run handled exactly its budget here, synchronously...
  {
    std::lock_guard g{rec->m};
    REQUIRE(rec->seen.size() == first + kvmem::detail::inline_unit::budget);
    for (auto i = first; i < rec->seen.size(); ++i)
      CHECK(rec->seen[i] == std::this_thread::get_id());
  }
  // ...and a worker handles the rest.
  REQUIRE(eventually([&] { return rec->size() == static_cast<std::size_t>(sent); }));
  std::lock_guard g{rec->m};
  for (auto i = first + kvmem::detail::inline_unit::budget; i < rec->seen.size(); ++i)
    CHECK(rec->seen[i] != std::this_thread::get_id());
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
