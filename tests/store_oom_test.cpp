// The store answers no_space when memory runs out during a write, changes
// nothing, and keeps serving: on CAF's deterministic test coordinator, each
// allocation made while the store handles a write (its commit, its reply,
// its deliveries to a watcher) is made to fail in turn, N = 1, 2, ...
// (tests/failing_alloc.hpp). After each failure: the reply, if any, is
// no_space and the store's state is exactly as before — or the write was
// committed whole (the failure came after it) — and the next request is
// served. A watcher sees every version accounted for throughout (a lost
// delivery becomes a resync).
#include <catch2/catch.hpp>

#include <caf/event_based_actor.hpp>

#include "coordinator_fixture.hpp"
#include "failing_alloc.hpp"

using namespace test;
using namespace kvmem;

namespace {

struct oom_fixture : coordinator_fixture {
  // What the watcher saw: each delivery's (from, to, resync).
  std::shared_ptr<std::vector<std::tuple<version_t, version_t, bool>>> seen =
      std::make_shared<std::vector<std::tuple<version_t, version_t, bool>>>();
  caf::actor watcher;

  oom_fixture() {
    // A watcher of everything, acknowledging each delivery, and a key owned
    // by it: both make the store describe every commit.
    watcher = sys.spawn(
        [seen = seen](caf::event_based_actor* a, store_actor st) -> caf::behavior {
          a->request(st, caf::infinite, watch_atom::value, watch_request{key{}, std::nullopt, 4})
              .then([](const watch_started&) {});
          return {[=](changes_atom, const changes& c) {
            seen->emplace_back(c.from, c.to, c.resync);
            a->send(st, ack_atom::value, c.id, c.seq);
          }};
        },
        s.actor());
    sched.run();
    for (auto k : {"/a/x", "/a/y", "/b/z", "/long-segment-name-beyond-sixteen/v"})
      REQUIRE(ask<version_t>(set_atom::value, K(k), bytes{"value"}));
    REQUIRE(ask<version_t>(set_atom::value, K("/owned"), bytes{"o"}, watcher));
  }
  ~oom_fixture() {
    caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    sched.run();
  }

  std::string state() {
    auto v = ask<version_t>(version_atom::value).value();
    auto d = read<kvmem::digest>(kvmem::read_op::digest(key{})).value();
    auto l = read<kvmem::listing>(kvmem::read_op::list(K("/a"))).value();
    return fmt::format("v{} {} {}", v, d, l.size());
  }
};

// Sends `msg` to the store, runs it with allocation n failing; returns
// whether the allocator fired and the reply (if one came).
template <class... Ts>
std::pair<bool, std::optional<result<version_t>>> run_failing(oom_fixture& f, std::uint64_t n,
                                                              Ts&&... xs) {
  f.self->send(f.s.actor(), std::forward<Ts>(xs)...);
  bool fired;
  {
    test_alloc::scope armed{n};
    f.sched.run();
    fired = test_alloc::fired();
  }
  f.sched.run(); // whatever the failure left queued
  std::optional<result<version_t>> reply;
  f.self->receive([&](version_t v) { reply.emplace(v); },
                  [&](caf::error& e) { reply.emplace(from_caf(e)); },
                  caf::after(std::chrono::seconds(0)) >> [] {});
  return {fired, std::move(reply)};
}

} // namespace

TEST_CASE_METHOD(oom_fixture, "out of memory in any step of a write: no_space and nothing changed, "
                              "or the whole write; the store keeps serving and the feed stays whole") {
  std::vector<std::pair<std::string, std::function<std::pair<bool, std::optional<result<version_t>>>(
                                          std::uint64_t)>>>
      writes = {
          {"set new", [&](auto n) { return run_failing(*this, n, set_atom::value, K("/c/new"), bytes{"n"}); }},
          {"set existing", [&](auto n) { return run_failing(*this, n, set_atom::value, K("/a/x"), bytes{"w"}); }},
          {"set_partial", [&](auto n) {
             return run_failing(*this, n, set_partial_atom::value, K("/a/y"), std::uint64_t{2}, bytes{"pp"});
           }},
          {"remove", [&](auto n) { return run_failing(*this, n, remove_atom::value, K("/b")); }},
          {"rename", [&](auto n) {
             return run_failing(*this, n, rename_atom::value, K("/long-segment-name-beyond-sixteen"), K("/moved"));
           }},
          {"allocate", [&](auto n) {
             return run_failing(*this, n, allocate_atom::value, K("/z"), std::uint64_t{64});
           }},
          {"owned key overwritten", [&](auto n) {
             return run_failing(*this, n, set_atom::value, K("/owned"), bytes{"x"});
           }},
          {"batch", [&](auto n) {
             auto c = commit{ask<version_t>(version_atom::value).value(),
                             {write_op::set(K("/d/1"), "1"), write_op::remove(K("/a/x")),
                              write_op::rename(K("/a/y"), K("/d/2"))}};
             return run_failing(*this, n, commit_atom::value, std::move(c));
           }},
      };
  std::uint64_t failures = 0;
  for (auto& [name, write] : writes) {
    INFO(name);
    for (std::uint64_t n = 1;; ++n) {
      INFO("allocation " << n << " failed");
      auto before = state();
      auto v0 = ask<version_t>(version_atom::value).value();
      auto [fired, reply] = write(n);
      if (!fired) {
        REQUIRE(reply);
        REQUIRE(*reply);
        break;
      }
      ++failures;
      auto v1 = ask<version_t>(version_atom::value); // served, whatever happened
      REQUIRE(v1);
      if (reply && !*reply) {
        CHECK(reply->error().code == errc::no_space);
        CHECK(state() == before);
      } else if (reply) {
        CHECK(**reply == v0 + 1);
        CHECK(*v1 == v0 + 1);
      } else {
        // The reply itself could not be made: the write stood or not, whole.
        CHECK((*v1 == v0 || *v1 == v0 + 1));
        if (*v1 == v0)
          CHECK(state() == before);
      }
      if (*v1 != v0)
        break; // committed: the next write kind
    }
  }
  CHECK(failures > 20);
  // The watcher saw every version: deliveries chain from..to, some resyncs.
  auto last = ask<version_t>(version_atom::value).value();
  sched.run();
  REQUIRE_FALSE(seen->empty());
  version_t at = std::get<0>(seen->front());
  for (auto& [from, to, resync] : *seen) {
    CHECK(from == at);
    at = to;
  }
  CHECK(at == last);
}
