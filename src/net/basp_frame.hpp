// BASP frames as kvmem's connection guard sees them (internal, CAF-free).
//
// CAF 0.17.6's BASP broker trusts its peer: a handshake header declaring no
// payload makes it dereference a null payload (SIGSEGV), and a header
// declaring a 4 GB payload makes it allocate and zero 4 GB before a single
// payload byte arrives. The guard (guarded_scribe.hpp) therefore checks every
// header a peer sends against the subset of BASP that kvmem's own clients and
// servers speak, before any byte reaches the broker. This file holds that
// subset: the header layout and the rules, as pure functions.
//
// Layout (32 bytes, big-endian, as CAF's binary serializer writes
// caf::io::basp::header; verified on the wire against CAF 0.17.6):
//   u8 operation | u8 padding | u8 padding | u8 flags | u32 payload_len |
//   u64 operation_data | u64 source_actor | u64 dest_actor
// Written against CAF 0.17.6 (BASP version 3); the version check in
// cmake/kvmemCAF.cmake pins it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace kvmem::detail::net {

inline constexpr std::size_t basp_header_size = 32;

/// BASP operations (caf/io/basp/message_type.hpp).
enum class basp_op : std::uint8_t {
  server_handshake = 0,
  client_handshake = 1,
  direct_message = 2,
  routed_message = 3,
  monitor_message = 4,
  down_message = 5,
  heartbeat = 6,
};

struct basp_header {
  std::uint8_t operation = 0;
  std::uint8_t padding1 = 0;
  std::uint8_t padding2 = 0;
  std::uint8_t flags = 0;
  std::uint32_t payload_len = 0;
  std::uint64_t operation_data = 0;
  std::uint64_t source_actor = 0;
  std::uint64_t dest_actor = 0;
};

/// A header for `op` (padding zero): what a test or a seed generator writes.
inline basp_header make_header(basp_op op, std::uint32_t payload_len, std::uint64_t operation_data = 0,
                               std::uint64_t source_actor = 0, std::uint64_t dest_actor = 0,
                               std::uint8_t flags = 0) noexcept {
  basp_header h;
  h.operation = static_cast<std::uint8_t>(op);
  h.flags = flags;
  h.payload_len = payload_len;
  h.operation_data = operation_data;
  h.source_actor = source_actor;
  h.dest_actor = dest_actor;
  return h;
}

/// Decodes the 32 bytes at p (which must hold that many).
basp_header decode_header(const char* p) noexcept;

/// The 32 bytes of h, as CAF writes them.
std::string encode_header(const basp_header& h);

/// Why a peer is dropped whose first bytes are no BASP handshake at all.
inline constexpr const char* not_basp = "not a CAF handshake";

/// Whose frames are checked: a guard on a server checks what a client sends,
/// a guard on a client checks what the server sends.
enum class sender { client, server };

struct frame_limits {
  /// Largest payload of a message frame (direct message).
  std::uint32_t max_frame = (std::uint32_t{1} << 30) + (std::uint32_t{1} << 20);
  /// Largest payload of a control frame (handshakes, monitor and down
  /// messages). A client handshake is 32 bytes, a server handshake carries the
  /// published actor's interface (1.6 KB for a store).
  std::uint32_t max_control = 64 * 1024;
};

/// Checks the headers of one connection in order. One per connection; not
/// thread-safe.
class frame_rules {
public:
  frame_rules(sender from, frame_limits limits) : from_(from), limits_(limits) {}

  /// Why the peer must be dropped for sending h next, or nothing if h is a
  /// frame kvmem's peers send at this point of a connection.
  std::optional<std::string> check(const basp_header& h);

  /// True once the peer's handshake has been accepted.
  bool handshaken() const noexcept { return handshakes_ > 0; }

private:
  std::optional<std::string> check_client_frame(const basp_header& h);
  std::optional<std::string> check_server_frame(const basp_header& h);
  std::optional<std::string> check_common(const basp_header& h);

  sender from_;
  frame_limits limits_;
  int handshakes_ = 0;
  bool established_ = false; // a frame other than a handshake was accepted
};

/// A short, printable description of the first bytes of a stream that is not
/// BASP ("HTTP/1.1 400 Bad Re…" or "16 03 01 02 00 01…"), for error messages.
std::string describe_bytes(const char* p, std::size_t n);

} // namespace kvmem::detail::net
