// Whether a local process holds the other end of a TCP connection
// (internal; Linux /proc).
//
// A CAF node id is the process id plus a host id that every process of a
// host shares (and a server's handshake reveals), so another process on the
// same host can claim a client's node id before the client connects (and
// lock it out), or after it (to speak for it). When a peer claims a node id
// another connection holds, the guard asks the kernel whether the process
// id it names really holds the peer's end of the connection.
#pragma once

#include <cstdint>

namespace kvmem::detail::net {

enum class ownership { holds, does_not, unknown };

/// Whether process `pid` holds the socket at the other end of the TCP
/// connection `fd` (an accepted or connected socket on this host):
/// /proc/net/tcp and tcp6 give the peer socket's inode, /proc/<pid>/fd the
/// sockets of `pid`. unknown when the peer is not on this host's network
/// namespace or /proc cannot be read (another user's process, no /proc).
ownership process_holds_peer(int fd, std::uint32_t pid);

} // namespace kvmem::detail::net
