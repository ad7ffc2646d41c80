// Listening sockets (internal), shared by the CAF endpoint (the guard) and
// the RESP endpoint: where a server may listen, and the socket itself.
#pragma once

#include <cstdint>
#include <string>

#include "kvmem/result.hpp"

namespace kvmem::detail::net {

/// Whether every address `host` resolves to for listening is a loopback one
/// (127.0.0.0/8, ::1, or ::ffff:127.x.y.z): decided on what a bind would
/// use, not on how the name looks ("127.example.com" is a name like any
/// other). A name that does not resolve is not loopback.
bool resolves_to_loopback(const std::string& host);

/// A listening socket (close-on-exec, SOMAXCONN backlog) on the first
/// address of `host` that binds at `port` (0: a free one), with
/// SO_REUSEADDR if `reuse`. Errors: unavailable, saying why.
result<int> listen_on(const std::string& host, std::uint16_t port, bool reuse);

/// The local port of a bound socket (0 if it cannot be read).
std::uint16_t bound_port(int fd);

} // namespace kvmem::detail::net
