// Limits that count per peer process: the actors of one client process
// together hold at most max_pins_per_node pins and max_subscriptions_per_node
// subscriptions, however many actors it spawns; other processes, and the
// store's own, are not refused because of it (issue 15, finding 8).
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "eventually.hpp"
#include "net_fixture.hpp"

namespace {

struct per_node_fixture {
  static kvmem::store_options limits() {
    auto o = test::served;
    o.max_pins_per_owner = 2;
    o.max_pins_per_node = 5;
    o.max_subscriptions_per_owner = 2;
    o.max_subscriptions_per_node = 3;
    return o;
  }
  test::node server;
  test::node greedy;
  test::node other;
  kvmem::store local = kvmem::spawn_store(server.sys, kvmem::system_clock{}, limits());
  std::uint16_t port = kvmem::publish(server.sys, local, 0).value();

  ~per_node_fixture() {
    kvmem::unpublish(server.sys, local, port);
    caf::anon_send_exit(local.actor(), caf::exit_reason::user_shutdown);
  }

  // How many of `asks` pin requests from `self` the store grants.
  static int pins(caf::scoped_actor& self, const kvmem::store& s, int asks) {
    int granted = 0;
    for (int i = 0; i < asks; ++i)
      self->request(s.actor(), std::chrono::seconds(10), kvmem::pin_atom::value)
          .receive([&](kvmem::snapshot&) { ++granted; }, [](caf::error&) {});
    return granted;
  }
  static int watches(caf::scoped_actor& self, const kvmem::store& s, int asks) {
    int granted = 0;
    for (int i = 0; i < asks; ++i)
      self->request(s.actor(), std::chrono::seconds(10), kvmem::watch_atom::value,
                    kvmem::watch_request{kvmem::key::v("/w"), std::nullopt, 1})
          .receive([&](kvmem::watch_started&) { ++granted; }, [](caf::error&) {});
    return granted;
  }
};

} // namespace

TEST_CASE_METHOD(per_node_fixture, "one client process cannot take every pin or subscription") {
  auto greedy_store = kvmem::remote_store(greedy.sys, "127.0.0.1", port).value();
  auto other_store = kvmem::remote_store(other.sys, "127.0.0.1", port).value();
  // Four actors of one process, each within its own limit of 2.
  std::vector<std::unique_ptr<caf::scoped_actor>> actors;
  for (int i = 0; i < 4; ++i)
    actors.push_back(std::make_unique<caf::scoped_actor>(greedy.sys, true));
  int pinned = 0, watching = 0;
  for (auto& a : actors) {
    pinned += pins(*a, greedy_store, 2);
    watching += watches(*a, greedy_store, 2);
  }
  CHECK(pinned == 5);   // max_pins_per_node, not 4 × 2
  CHECK(watching == 3); // max_subscriptions_per_node, not 4 × 2
  // Another process, and the store's own, still get theirs.
  caf::scoped_actor someone{other.sys, true};
  CHECK(pins(someone, other_store, 2) == 2);
  CHECK(watches(someone, other_store, 2) == 2);
  caf::scoped_actor at_home{server.sys, true};
  CHECK(pins(at_home, local, 2) == 2);
  // When the greedy process's actors go, what they held is given back.
  actors.clear();
  caf::scoped_actor again{greedy.sys, true};
  CHECK(test::eventually([&] { return pins(again, greedy_store, 1) == 1; }));
}
