// Whether a listening address is loopback-only (internal; shared by the
// CAF endpoint and the RESP endpoint).
#pragma once

#include <string>

namespace kvmem::detail::net {

/// Whether every address `host` resolves to for listening is a loopback one
/// (127.0.0.0/8, ::1, or ::ffff:127.x.y.z): decided on what a bind would
/// use, not on how the name looks ("127.example.com" is a name like any
/// other). A name that does not resolve is not loopback.
bool resolves_to_loopback(const std::string& host);

} // namespace kvmem::detail::net
