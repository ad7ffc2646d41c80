// Embedding a kvmem store in a CAF application: one store actor, an actor
// client using typed messages and run_batch, and blocking clients on plain
// threads running concurrent batches on shared counters.
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <fmt/core.h>

#include <kvmem/actor_client.hpp>
#include <kvmem/client.hpp>

using kvmem::key;

// An actor client: one typed request, then a batch; replies come as messages.
void actor_client(caf::event_based_actor* self, kvmem::store s) {
  self->request(s.actor(), caf::infinite, kvmem::set_atom::value, key::v("/config/mode"),
                kvmem::bytes{"fast"})
      .then(
          [=](kvmem::version_t v) {
            fmt::print("[actor] set /config/mode -> version {}\n", v);
            kvmem::run_batch(
                self, s,
                [](kvmem::batch_view& b) {
                  auto mode = b.get(key::v("/config/mode"));
                  (void)b.set(key::v("/config/mode_copy"), mode ? mode->str() : "none");
                  return b.version();
                },
                [](kvmem::result<kvmem::version_t> r) {
                  if (r)
                    fmt::print("[actor] batch read snapshot version {}\n", *r);
                  else
                    fmt::print("[actor] batch failed: {}\n", r.error());
                });
          },
          [](caf::error& e) { fmt::print("[actor] error: {}\n", kvmem::from_caf(e)); });
}

int main() {
  caf::actor_system_config cfg;
  kvmem::register_types(cfg);
  caf::actor_system sys{cfg};
  kvmem::store s = kvmem::spawn_store(sys); // system clock, no capacity limit

  {
    caf::scoped_actor waiter{sys, true};
    auto a = sys.spawn(actor_client, s);
    waiter->monitor(a);
    waiter->receive([](caf::down_msg&) {});
  }

  // Blocking clients: four threads, 50 read-increment-write batches each on
  // two shared counters. Conflicting batches run again on the newest state.
  kvmem::client main_client{sys, s};
  (void)main_client.set(key::v("/counters/a"), "0");
  (void)main_client.set(key::v("/counters/b"), "0");
  std::atomic<int> ok{0}, failed{0}, runs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      kvmem::client c{sys, s};
      for (int i = 0; i < 50; ++i) {
        auto k = key::v((i + t) % 2 ? "/counters/a" : "/counters/b");
        auto r = c.batch([&](kvmem::batch_view& b) {
          ++runs; // a side effect outside the view: counts re-runs
          auto n = std::stoi(b.get(k).value().str());
          return b.set(k, std::to_string(n + 1));
        });
        (r ? ok : failed)++;
      }
    });
  for (auto& th : threads)
    th.join();

  auto a = main_client.get(key::v("/counters/a")).value();
  auto b = main_client.get(key::v("/counters/b")).value();
  fmt::print("[threads] {} batches committed, {} failed, f ran {} times (re-runs after conflicts)\n",
             ok.load(), failed.load(), runs.load());
  fmt::print("[threads] counters: a = {}, b = {} (sum {})\n", a, b, std::stoi(a.str()) + std::stoi(b.str()));
  fmt::print("store version {}; contents:\n", main_client.version().value());
  for (auto& [k, kind] : main_client.list(key::v("/")).value())
    fmt::print("  {} ({})\n", k, kind);
  fmt::print("digest of /: {}\n", main_client.digest(key{}).value());
  if (auto r = main_client.get(key::v("/counters")); !r)
    fmt::print("get /counters: {}\n", r.error());

  main_client.disconnect();
  caf::anon_send_exit(s.actor(), caf::exit_reason::user_shutdown);
}
