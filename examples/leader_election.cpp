// Leader election on a kvmem store: candidates (threads with blocking
// clients) try to take /election/leader only if it is absent, owned by their
// client; the others watch it. When the leader goes (here: its client is
// destroyed, as when its process dies), the store removes the key and the
// watchers race again; exactly one wins each round.
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <fmt/format.h>

#include <kvmem/client.hpp>

using kvmem::key;
using namespace std::chrono_literals;

const key leader_key = key::v("/election/leader");

// Runs for leader until elected; returns the elected client (the leader
// stays leader while it lives).
std::unique_ptr<kvmem::client> campaign(caf::actor_system& sys, const kvmem::store& s,
                                        const std::string& me) {
  auto c = std::make_unique<kvmem::client>(sys, s);
  for (;;) {
    auto w = c->watch(leader_key).value(); // from now: no removal can slip by
    auto r = c->set_owned(leader_key, me, c->owner_handle(), kvmem::expect::none());
    if (r)
      return c;
    if (r.error().code != kvmem::errc::version_mismatch)
      throw std::runtime_error(r.error().message());
    // Someone leads: wait until the key is removed (the leader is gone).
    bool vacant = false;
    while (!vacant)
      if (auto d = w.next(5s).value())
        for (auto& e : d->events)
          vacant = vacant || e.op == kvmem::change_op::remove;
  }
}

int main() {
  caf::actor_system_config cfg;
  kvmem::register_types(cfg);
  caf::actor_system sys{cfg};
  kvmem::scoped_store s{kvmem::spawn_store(sys)};
  kvmem::client observer{sys, s};

  std::mutex m;
  std::vector<std::string> order; // leaders, in the order they were elected
  std::vector<std::thread> candidates;
  for (auto name : {"ann", "bob", "cid"})
    candidates.emplace_back([&, me = std::string(name)] {
      auto leadership = campaign(sys, s, me);
      {
        std::lock_guard g{m};
        order.push_back(me);
        fmt::print("{} is the leader (the store says: {})\n", me,
                   observer.get(leader_key).value()); // (observer is used under m only)
      }
      std::this_thread::sleep_for(50ms); // lead for a while, then step down by going away
      fmt::print("{} goes away\n", me);
    }); // leadership (the client) is destroyed: the store removes the key
  for (auto& t : candidates)
    t.join();
  fmt::print("leaders in turn: {}\n", fmt::join(order, ", "));
  return order.size() == 3 ? 0 : 1;
}
