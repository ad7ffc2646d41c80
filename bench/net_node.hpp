// What the benchmarks that reach a store in another process share: the
// client process's actor system (what a user of remote stores sets up) and
// starting the served store (kvmem_bench --serve-child).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <fmt/format.h>
#include <kvmem/remote.hpp>

#include "child_process.hpp"

namespace bench {

struct net_node {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    kvmem::enable_remote(cfg).value();
    return cfg;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
};

/// A served store: the child process and the port it serves on (guarded,
/// as `kvmem serve`), and a second port serving the same store without the
/// guard (serve_options::guard = false), to measure what the guard costs.
struct served_store {
  child_process process;
  std::uint16_t port = 0;
  std::uint16_t unguarded_port = 0;
};

/// Starts `kvmem_bench --serve-child`; nullopt (and a line saying why,
/// naming `who`) if it did not print its port within 20 s.
inline std::optional<served_store> start_served_store(const char* who) {
  auto server = child_process::start({self_exe(), "--serve-child"}, true);
  auto line = server ? server->read_line(std::chrono::seconds(20)) : std::nullopt;
  if (!line || line->rfind("port ", 0) != 0) {
    fmt::print("{}: the server process did not start (it printed {:?}); rows skipped\n", who,
               line.value_or("nothing"));
    return std::nullopt;
  }
  std::size_t end = 0;
  auto port = static_cast<std::uint16_t>(std::stoul(line->substr(5), &end));
  auto rest = line->substr(5 + end);
  auto unguarded = rest.empty() ? std::uint16_t{0} : static_cast<std::uint16_t>(std::stoul(rest));
  return served_store{std::move(*server), port, unguarded};
}

} // namespace bench
