// Fixtures for store tests: a real actor system (threads) with a store
// whose clock is a manual clock the test moves.
#pragma once

#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "kvmem/client.hpp"
#include "kvmem/store.hpp"

namespace test {

inline kvmem::key K(std::string_view s) { return kvmem::key::v(s); }

struct system_fixture {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    kvmem::register_types(cfg);
    return cfg;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
};

struct store_fixture : system_fixture {
  explicit store_fixture(kvmem::store_options opts = {})
    : clock(std::make_shared<kvmem::manual_clock>(kvmem::ptime{100, 0})),
      s(kvmem::spawn_store(sys, kvmem::any_clock::shared(clock), opts)) {}
  ~store_fixture() { caf::anon_send_exit(s.actor(), caf::exit_reason::user_shutdown); }

  std::shared_ptr<kvmem::manual_clock> clock;
  kvmem::store s;
};

} // namespace test
