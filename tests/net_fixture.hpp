// An actor system able to serve and reach remote stores, for the remote tests.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "kvmem/client.hpp"
#include "kvmem/remote.hpp"

namespace test {

inline kvmem::key K(std::string_view s) { return kvmem::key::v(s); }

/// Options for stores that tests serve over the network: on the scheduler
/// (see remote_test.cpp).
inline const kvmem::store_options served{.detached = false};

/// One node: an actor system with CAF's middleman and kvmem's types.
struct node {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    kvmem::enable_remote(cfg).value();
    return cfg;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
};

} // namespace test
