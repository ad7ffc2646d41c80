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
//
// Robustness: CAF 0.17.6's BASP broker trusts its peers (one 32-byte frame
// crashes it; a header declaring 4 GB makes it allocate 4 GB). Plain-TCP
// publish() and remote_store() therefore put a guard between the socket and
// the broker that checks every frame a peer sends and bounds what a peer can
// make the process hold; see serve_options and docs/remote.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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

/// The largest BASP frame a guarded endpoint accepts by default: 1.25 GiB,
/// room for the largest batch the default store_options allow (1 GiB of
/// values) with its keys and encoding.
inline constexpr std::uint32_t default_max_frame_bytes = std::uint32_t{5} << 28;

struct serve_options {
  /// The address to listen on: 127.0.0.1 (or ::1, localhost) by default.
  std::string bind = "127.0.0.1";
  /// Required to listen on any non-loopback address (0.0.0.0 included)
  /// without TLS. With TLS (mutual certificate authentication) it is not.
  bool allow_nonlocal_bind = false;
  /// SO_REUSEADDR, so that a restarted server can take its port back at once.
  bool reuse_address = true;

  // -- the guard (plain TCP; docs/remote.md says what it does and costs) ----
  // Every frame a peer sends is checked before CAF's BASP broker sees it:
  // only the BASP that kvmem's clients speak passes (handshake first, then
  // direct messages, monitor/down messages and heartbeats, with the header
  // fields CAF would check and payload sizes within the limits below); a
  // frame reaches the broker only once all of it has arrived. A peer that
  // breaks a rule is disconnected and the event logged.

  /// Off only to measure what the guard costs; never on a reachable port.
  bool guard = true;
  /// With TLS there is no guard: CAF 0.17.6's TLS acceptor and scribes are
  /// internal to libcaf_openssl, so nothing can check the BASP bytes a
  /// certified peer sends after the TLS handshake (one 32-byte frame
  /// crashes the server, one header makes it allocate 4 GB). publish()
  /// therefore refuses TLS unless this is set: only when every holder of a
  /// certificate from the CA is trusted not to attack the server.
  bool allow_unguarded_tls = false;
  /// Largest frame (message) a peer may send; above it the peer is dropped.
  std::uint32_t max_frame_bytes = default_max_frame_bytes;
  /// Bytes of incomplete frames held for all peers together; a peer whose
  /// frame would go beyond it is dropped. Bounds what slow or lying peers
  /// can make the server hold.
  std::uint64_t max_buffered_bytes = default_max_frame_bytes;
  /// While more than this many reply bytes wait for a peer that does not
  /// read them, its next request waits and its connection is not read.
  std::uint64_t max_pending_output = std::uint64_t{4} << 20;
  /// Watch deliveries cannot wait like replies: a peer is disconnected when
  /// more than this many bytes of them wait for it (as Redis's pubsub
  /// output-buffer limit), or when it owes more than max_pending_output and
  /// has taken nothing for stall_timeout. Its subscriptions end; a watcher
  /// resumes from the store's history or resyncs (docs/watch.md). 0: no
  /// limit (the server may hold any amount for a stopped subscriber).
  std::uint64_t max_unread_deliveries = std::uint64_t{64} << 20;
  /// Connections open at once; more are accepted and closed at once. It is
  /// also kept below the process's file-descriptor limit: when accept() runs
  /// out of descriptors, waiting clients are refused (or wait, if no spare
  /// descriptor can be kept) and the event is logged; the server never spins.
  std::size_t max_connections = 512;
  /// A peer must complete its handshake within this, and may not stall in
  /// the middle of a frame (or leave what it is owed unread) for longer than
  /// stall_timeout; checked whenever a new connection arrives or the peer is
  /// sent something. Zero: none.
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds stall_timeout{30'000};
  /// Where the guard reports dropped and refused connections (rate-limited
  /// to one line per kind of event every 10 s). Empty: standard error.
  std::function<void(const std::string&)> log = {};
};

/// Serves `s` on `port` (0: any free port). Returns the bound port. Errors:
/// invalid_argument for a non-loopback address without allow_nonlocal_bind;
/// unavailable if the port cannot be bound (the message says why). The port
/// is listening when publish returns.
result<std::uint16_t> publish(caf::actor_system& sys, const store& s, std::uint16_t port,
                              serve_options opts = {});

/// Stops serving `s` on `port` (the store keeps running).
void unpublish(caf::actor_system& sys, const store& s, std::uint16_t port);

struct connect_options {
  /// Upper bound on each blocking call of clients of this store that set no
  /// timeout themselves. A dropped connection fails calls at once anyway; this
  /// bounds the wait on a peer that stopped answering without closing.
  std::chrono::milliseconds call_timeout{30'000};
  /// Upper bound on connecting: name lookup, TCP connect, CAF's handshake
  /// and the first exchange with the store. A peer that accepts and never
  /// answers fails remote_store with errc::unavailable after this long (the
  /// half-open connection is closed). Zero: no bound. With TLS, CAF's own
  /// connect is used and a TCP connect that hangs is bounded only by the
  /// operating system; the rest is bounded.
  std::chrono::milliseconds connect_timeout{5'000};
  /// Largest frame (reply) accepted from the server (plain TCP): a server
  /// sending more is disconnected. Raise it to read bigger values.
  std::uint32_t max_frame_bytes = default_max_frame_bytes;
};

/// Connects to a store served at host:port. Errors: unavailable, with a
/// message that says what happened: connection refused, host unreachable,
/// no answer in time, the peer does not speak CAF's protocol (and what it
/// sent), the peer closed the connection during the handshake, the actor
/// there is not a kvmem store. Connecting again after a dropped connection
/// gives a fresh, working handle.
result<store> remote_store(caf::actor_system& sys, const std::string& host, std::uint16_t port,
                           connect_options opts = {});

} // namespace kvmem
