// RESP: a store served over Redis's protocol, so that every Redis client
// library, redis-cli and redis-benchmark reach it (docs/resp.md).
//
// serve_resp() listens on a TCP port and speaks RESP2, RESP3 after
// `HELLO 3`, and the inline protocol (`PING\r\n`). The server is one thread
// with an epoll loop: it parses, reads the store's published root and writes
// replies on that thread with no message to the store; the writes of the
// commands that arrived together (from all connections, while the previous
// commit was with the store) go to the store as one commit, validated by
// what those commands read and re-run on a conflict like a batch. A store on
// CAF's scheduler that such a commit wakes runs on the endpoint's thread.
// A Redis key is a kvmem key path, parsed like key::v ("a/b/c" and "/a/b/c"
// are the same key).
//
// Security: the server binds 127.0.0.1 unless told otherwise; binding any
// other address needs a password (AUTH, as Redis's requirepass) unless the
// operator sets allow_nonlocal_without_password. Every byte a client sends
// is parsed by kvmem's own bounded parser; see resp_options for the limits.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "kvmem/result.hpp"
#include "kvmem/store.hpp"

namespace kvmem {

struct resp_options {
  /// The address to listen on: 127.0.0.1 by default.
  std::string bind = "127.0.0.1";
  /// The port; 0 picks a free one (resp_server::port() says which).
  std::uint16_t port = 0;
  /// If set, a client must AUTH (or HELLO ... AUTH) with it before any
  /// other command but HELLO, AUTH, PING and QUIT (Redis's requirepass; the
  /// user name, if any, must be "default").
  std::string password = {};
  /// Listen on a non-loopback address without a password: for trusted
  /// networks only.
  bool allow_nonlocal_without_password = false;
  /// SO_REUSEADDR, so that a restarted server takes its port back at once.
  bool reuse_address = true;

  // -- limits (a client that breaks one gets an error and is disconnected) --
  /// Largest bulk string (one argument) a client may send (Redis's
  /// proto-max-bulk-len).
  std::uint64_t max_bulk_bytes = std::uint64_t{512} << 20;
  /// Largest number of arguments of one command.
  std::uint64_t max_args = 1024 * 1024;
  /// Largest incomplete command (or unread pipeline) held for one client
  /// (Redis's client-query-buffer-limit).
  std::uint64_t max_query_buffer = std::uint64_t{1} << 30;
  /// Connections served at once; one more is told "-ERR max number of
  /// clients reached" and closed.
  std::uint32_t max_clients = 10000;
  /// While more reply bytes than this wait for a client that does not read
  /// them, the server stops reading its commands (the client's own
  /// pipeline waits in its socket; other clients are not affected).
  std::uint64_t max_pending_output = std::uint64_t{64} << 20;
  /// Where the server reports refused connections and protocol errors;
  /// null: stderr ("kvmem: resp: ...").
  std::function<void(const std::string&)> log = {};
};

/// A running RESP endpoint. Copies share it; it keeps serving until close()
/// or until the actor system shuts down.
namespace detail {
struct resp_endpoint;
}

/// A running RESP endpoint. Copies share it. It serves until close(), or
/// until its store terminates, or until the last copy is destroyed (which
/// closes it); close it (or let the handles go) before the actor system is
/// destroyed.
class resp_server {
public:
  resp_server() = default;
  /// The TCP port it listens on.
  std::uint16_t port() const noexcept { return port_; }
  /// Stops the endpoint and waits for its thread: the listening socket and
  /// every connection are closed (replies not yet taken by a client's socket
  /// are dropped; a commit already sent to the store still applies).
  /// Idempotent; not from inside a log callback.
  void close() const;

private:
  friend result<resp_server> serve_resp(caf::actor_system&, const store&, resp_options);
  std::shared_ptr<detail::resp_endpoint> impl_;
  std::uint16_t port_ = 0;
};

/// Serves `s` over RESP on a thread of its own. `s` must be a store of this
/// process (spawn_store, open_store): the server reads its published root
/// directly. No middleman is needed. Errors: invalid_argument (a
/// non-loopback bind without a password and without
/// allow_nonlocal_without_password; a remote store), unavailable (cannot
/// listen: the address is in use, ...).
result<resp_server> serve_resp(caf::actor_system& sys, const store& s, resp_options opts = {});

} // namespace kvmem
