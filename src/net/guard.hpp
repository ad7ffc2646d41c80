// Serving and connecting through the guard (internal): the two entry points
// remote.cpp uses for plain TCP.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/fwd.hpp>

#include "kvmem/remote.hpp"
#include "kvmem/result.hpp"

namespace kvmem::detail::net {

using deadline = std::optional<std::chrono::steady_clock::time_point>;

/// Listens on opts.bind:port and has CAF's BASP broker serve `whom` (whose
/// interface is `sigs`) there, every connection behind a guarded_scribe.
/// Returns the bound port; errors: unavailable (cannot resolve or bind).
result<std::uint16_t> publish_guarded(caf::actor_system& sys, caf::strong_actor_ptr whom,
                                      std::set<std::string> sigs, std::uint16_t port,
                                      const serve_options& opts);

/// Connects to host:port before `until`, runs CAF's handshake over a guarded
/// connection, and returns the actor published there if its interface
/// includes `sigs`. Errors: unavailable, saying what happened (refused,
/// unreachable, no answer in time, not CAF's protocol, closed during the
/// handshake, not the expected actor).
result<caf::strong_actor_ptr> connect_guarded(caf::actor_system& sys, const std::string& host,
                                              std::uint16_t port,
                                              const std::set<std::string>& sigs,
                                              std::uint32_t max_frame, deadline until);

/// A connected, non-blocking TCP socket to host:port before `until` (name
/// lookup included), or why not: the first step of connect_guarded.
result<int> tcp_connect(const std::string& host, std::uint16_t port, deadline until);

} // namespace kvmem::detail::net
