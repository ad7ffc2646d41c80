// Remote stores: serving a store over CAF's network layer (libcaf_io, the
// middleman) and reaching it from another process or machine. A remote store
// is the same typed actor behind the same client API; kvmem adds no protocol
// of its own. docs/remote.md has the details and the measured costs.
//
// Security: CAF 0.17's plain transport (BASP over TCP) has no authentication
// and no encryption. publish() binds 127.0.0.1 unless told otherwise, and
// binding any other address needs serve_options::allow_nonlocal_bind — for
// trusted networks only — unless TLS is on: enable_remote(cfg, tls) with a
// certificate, its key and a CA file makes both ends use libcaf_openssl, and
// then every peer must present a certificate signed by that CA (mutual TLS).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "kvmem/result.hpp"
#include "kvmem/store.hpp"

namespace kvmem {

/// Certificates for TLS (PEM files). All of certificate, key and cafile are
/// needed: with them a node both proves who it is and checks its peers.
struct tls_options {
  std::string certificate = {}; // this node's certificate
  std::string key = {};         // its private key
  std::string cafile = {};      // the CA that signed the peers' certificates
  std::string passphrase = {};  // of the key, if encrypted
  bool enabled() const { return !certificate.empty() || !key.empty() || !cafile.empty(); }
};

/// Loads CAF's middleman (and, with TLS options, libcaf_openssl's manager)
/// and registers kvmem's message types on `cfg`. Both ends call it before
/// constructing their actor system; with TLS, both ends must use it.
/// Errors: invalid_argument if TLS options are incomplete or unreadable.
result<void> enable_remote(caf::actor_system_config& cfg, const tls_options& tls = {});

struct serve_options {
  /// The address to listen on: 127.0.0.1 (or ::1, localhost) by default.
  std::string bind = "127.0.0.1";
  /// Required to listen on any non-loopback address (0.0.0.0 included)
  /// without TLS. With TLS (mutual certificate authentication) it is not.
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
  /// Upper bound on connecting: TCP connect, CAF's handshake and the first
  /// exchange with the store. A peer that accepts and never answers fails
  /// remote_store with errc::unavailable after this long.
  std::chrono::milliseconds connect_timeout{5'000};
};

/// Connects to a store served at host:port. Errors: unavailable (connection
/// refused, unreachable host, not a kvmem store). Connecting again after a
/// dropped connection gives a fresh, working handle.
result<store> remote_store(caf::actor_system& sys, const std::string& host, std::uint16_t port,
                           connect_options opts = {});

} // namespace kvmem
