// Remote stores: serving a store over CAF's network layer (libcaf_io, the
// middleman) and reaching it from another process or machine. A remote store
// is the same typed actor behind the same client API; kvmem adds no protocol
// of its own. docs/remote.md has the details and the measured costs.
//
// Security: CAF 0.17's transport (BASP over TCP) has no authentication and no
// encryption. publish() binds 127.0.0.1 unless told otherwise, and binding any
// other address needs serve_options::allow_nonlocal_bind: do that on trusted
// networks only (docs/remote.md shows how to put the port behind TLS).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "kvmem/result.hpp"
#include "kvmem/store.hpp"

namespace kvmem {

/// Loads CAF's middleman and registers kvmem's message types on `cfg`. Both
/// ends call it before constructing their actor system.
void enable_remote(caf::actor_system_config& cfg);

struct serve_options {
  /// The address to listen on: 127.0.0.1 (or ::1, localhost) by default.
  std::string bind = "127.0.0.1";
  /// Required to listen on any non-loopback address (0.0.0.0 included).
  bool allow_nonlocal_bind = false;
  /// SO_REUSEADDR, so that a restarted server can take its port back at once.
  bool reuse_address = true;
};

/// Serves `s` on `port` (0: any free port). Returns the bound port. Errors:
/// invalid_argument for a non-loopback address without allow_nonlocal_bind;
/// unavailable if the port cannot be bound (the message says why).
result<std::uint16_t> publish(caf::actor_system& sys, const store& s, std::uint16_t port,
                              serve_options opts = {});

/// Stops serving `s` on `port` (the store keeps running).
void unpublish(caf::actor_system& sys, const store& s, std::uint16_t port);

struct connect_options {
  /// Upper bound on each blocking call of clients of this store that set no
  /// timeout themselves. A dropped connection fails calls at once anyway; this
  /// bounds the wait on a peer that stopped answering without closing.
  std::chrono::milliseconds call_timeout{30'000};
};

/// Connects to a store served at host:port. Errors: unavailable (connection
/// refused, unreachable host, not a kvmem store). Connecting again after a
/// dropped connection gives a fresh, working handle.
result<store> remote_store(caf::actor_system& sys, const std::string& host, std::uint16_t port,
                           connect_options opts = {});

} // namespace kvmem
