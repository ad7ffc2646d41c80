// What decoding needs to be done as a kvmem server does it: an actor system
// configured by kvmem::enable_remote (kvmem's types registered, the
// middleman loaded) and an execution unit with a proxy registry, which actor
// handles need. Shared by fuzz_wire and fuzz_message.
#pragma once

#include <cstddef>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/execution_unit.hpp>
#include <caf/proxy_registry.hpp>

#include "kvmem/remote.hpp"

#include "fuzz_check.hpp"

namespace kvmem_fuzz {

/// One actor system for the whole run, configured as a server's; never
/// destroyed (libFuzzer exits without unwinding).
inline caf::actor_system& server_system() {
  struct holder {
    caf::actor_system_config cfg;
    std::optional<caf::actor_system> sys;
    holder() {
      if (!kvmem::enable_remote(cfg))
        fail("enable_remote failed");
      cfg.set("scheduler.max-threads", std::size_t{1});
      sys.emplace(cfg);
    }
  };
  static holder* h = new holder;
  return *h->sys;
}

/// A decoding context as a BASP broker's, except that handles to actors of
/// other nodes decode empty: its registry's backend makes no proxies.
class server_context {
public:
  server_context() : proxies_(server_system(), backend_), unit_(&server_system()) {
    unit_.proxy_registry_ptr(&proxies_);
  }
  caf::execution_unit* get() noexcept { return &unit_; }

private:
  struct no_proxies final : caf::proxy_registry::backend {
    caf::strong_actor_ptr make_proxy(caf::node_id, caf::actor_id) override { return nullptr; }
    void set_last_hop(caf::node_id*) override {}
  };
  struct unit final : caf::execution_unit {
    explicit unit(caf::actor_system* sys) : caf::execution_unit(sys) {}
    void exec_later(caf::resumable*) override {}
  };
  no_proxies backend_;
  caf::proxy_registry proxies_;
  unit unit_;
};

} // namespace kvmem_fuzz
