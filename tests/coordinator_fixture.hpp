// A store on CAF's deterministic test coordinator (no threads: nothing runs
// until the test runs the scheduler), with helpers to ask the store and to
// run batches from an event-based actor.
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>

#include "kvmem/actor_client.hpp"
#include "store_fixture.hpp"

namespace test {

struct coordinator_fixture {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    kvmem::register_types(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    return cfg;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
  caf::scoped_actor self{sys, true};
  caf::scheduler::test_coordinator& sched =
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  kvmem::store s;

  explicit coordinator_fixture(kvmem::store_options opts = {}, kvmem::any_clock clock = {}) {
    opts.detached = false;
    opts.detached_batches = false;
    s = kvmem::spawn_store(sys, std::move(clock), opts);
    sched.run();
  }
  ~coordinator_fixture() {
    caf::anon_send_exit(s.actor(), caf::exit_reason::user_shutdown);
    sched.run();
  }

  /// Sends a request to the store, runs everything, returns the reply.
  template <class T, class... Ts>
  kvmem::result<T> ask(Ts&&... xs) {
    self->send(s.actor(), std::forward<Ts>(xs)...);
    sched.run();
    std::optional<kvmem::result<T>> out;
    self->receive([&](T& v) { out.emplace(std::move(v)); },
                  [&](caf::error& e) { out.emplace(kvmem::from_caf(e)); });
    return std::move(*out);
  }

  /// A read by message (read_atom), its result as a T.
  template <class T>
  kvmem::result<T> read(kvmem::read_op op) {
    return kvmem::read_as<T>(ask<kvmem::read_result>(kvmem::read_atom::value, std::move(op)));
  }

  /// Runs f as a batch from an event-based actor; returns the outcome once
  /// the scheduler is idle.
  template <class F>
  auto batch(F f, int retries = kvmem::default_retries) {
    using R = std::invoke_result_t<F&, kvmem::batch_view&>;
    auto out = std::make_shared<std::optional<kvmem::result<R>>>();
    // (Spawn with an argument: CAF 0.17 dereferences a null tuple pointer for
    // argument-less function actors, which UBSan reports.)
    sys.spawn(
        [=](caf::event_based_actor* a, kvmem::store st) {
          kvmem::run_batch(
              a, st, f, [out](kvmem::result<R> r) { out->emplace(std::move(r)); }, retries);
        },
        s);
    sched.run();
    REQUIRE(out->has_value());
    return std::move(**out);
  }
};

} // namespace test
