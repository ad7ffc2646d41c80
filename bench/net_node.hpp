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
/// guard (serve_options::guard = false), to measure what the guard costs,
/// and a third serving it over RESP (kvmem::serve_resp; 0 if it did not
/// start).
struct served_store {
  child_process process;
  std::uint16_t port = 0;
  std::uint16_t unguarded_port = 0;
  std::uint16_t resp_port = 0;
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
  // "port <P> [<U> [<R>]]"
  std::uint16_t more[2] = {0, 0};
  auto rest = line->substr(5 + end);
  for (auto& m : more) {
    if (rest.find_first_not_of(' ') == std::string::npos)
      break;
    m = static_cast<std::uint16_t>(std::stoul(rest, &end));
    rest = rest.substr(end);
  }
  return served_store{std::move(*server), port, more[0], more[1]};
}

} // namespace bench
