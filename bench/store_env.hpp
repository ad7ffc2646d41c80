// A CAF actor system with kvmem's types registered, and helpers to start a
// store preloaded with a dataset.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include <cstdlib>
#include <string>

#include <kvmem/client.hpp>
#include <kvmem/store.hpp>

namespace bench {

struct store_env {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    kvmem::register_types(cfg);
    // caf::string_view has no const char* constructor under clang.
    if (auto* p = std::getenv("KVMEM_BENCH_POLICY"))
      cfg.set("scheduler.policy", caf::atom_from_string(std::string{p}));
    if (auto* p = std::getenv("KVMEM_BENCH_THREADS"))
      cfg.set("scheduler.max-threads", std::atoi(p));
    return cfg;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};

  kvmem::store spawn(kvmem::tree initial = kvmem::tree{}, kvmem::store_options o = {}) {
    if (auto* p = std::getenv("KVMEM_BENCH_DETACHED"))
      o.detached = std::atoi(p) != 0;
    auto s = kvmem::spawn_store(sys, std::move(initial), kvmem::system_clock{}, o);
    stores.push_back(s.actor());
    return s;
  }
  ~store_env() {
    for (auto& s : stores)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  }
  std::vector<kvmem::store_actor> stores;
};

} // namespace bench
