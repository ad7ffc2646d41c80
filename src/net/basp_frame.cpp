#include "net/basp_frame.hpp"

#include <cctype>

#include <fmt/format.h>

namespace kvmem::detail::net {

namespace {

template <class T>
T read_be(const char* p) noexcept {
  T x = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    x = static_cast<T>((x << 8) | static_cast<unsigned char>(p[i]));
  return x;
}

template <class T>
void write_be(std::string& out, T x) {
  for (std::size_t i = sizeof(T); i-- > 0;)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
}

// CAF 0.17.6 talks BASP version 3 and puts it in the server handshake's
// operation data.
constexpr std::uint64_t basp_version = 3;

// caf::io::basp::header::named_receiver_flag | select_connection_flag.
constexpr std::uint8_t known_flags = 0x03;

} // namespace

basp_header decode_header(const char* p) noexcept {
  basp_header h;
  h.operation = static_cast<std::uint8_t>(p[0]);
  h.padding1 = static_cast<std::uint8_t>(p[1]);
  h.padding2 = static_cast<std::uint8_t>(p[2]);
  h.flags = static_cast<std::uint8_t>(p[3]);
  h.payload_len = read_be<std::uint32_t>(p + 4);
  h.operation_data = read_be<std::uint64_t>(p + 8);
  h.source_actor = read_be<std::uint64_t>(p + 16);
  h.dest_actor = read_be<std::uint64_t>(p + 24);
  return h;
}

std::string encode_header(const basp_header& h) {
  std::string out;
  out.reserve(basp_header_size);
  out.push_back(static_cast<char>(h.operation));
  out.push_back(static_cast<char>(h.padding1));
  out.push_back(static_cast<char>(h.padding2));
  out.push_back(static_cast<char>(h.flags));
  write_be(out, h.payload_len);
  write_be(out, h.operation_data);
  write_be(out, h.source_actor);
  write_be(out, h.dest_actor);
  return out;
}

std::optional<std::string> frame_rules::check(const basp_header& h) {
  if (auto why = check_common(h))
    return why;
  auto why = from_ == sender::client ? check_client_frame(h) : check_server_frame(h);
  if (why)
    return why;
  if (static_cast<basp_op>(h.operation) == basp_op::client_handshake ||
      static_cast<basp_op>(h.operation) == basp_op::server_handshake)
    ++handshakes_;
  else
    established_ = true;
  return std::nullopt;
}

std::optional<std::string> frame_rules::check_common(const basp_header& h) {
  if (h.operation > static_cast<std::uint8_t>(basp_op::heartbeat))
    return handshaken() ? fmt::format("unknown BASP operation {}", h.operation)
                        : std::string(not_basp);
  if (h.padding1 != 0 || h.padding2 != 0)
    return std::string("nonzero padding in a BASP header");
  if ((h.flags & ~known_flags) != 0)
    return fmt::format("unknown BASP flags {:#04x}", h.flags);
  switch (static_cast<basp_op>(h.operation)) {
    case basp_op::direct_message:
      if (h.dest_actor == 0 || h.payload_len == 0)
        return std::string("a message without receiver or payload");
      if (h.payload_len > limits_.max_frame)
        return fmt::format("a {}-byte message, above the limit of {} bytes", h.payload_len,
                           limits_.max_frame);
      break;
    case basp_op::routed_message:
      // kvmem's clients talk to their server directly; relaying through a
      // server to a third node is not something a store needs to do.
      return std::string("a routed message (only direct connections are served)");
    case basp_op::monitor_message:
      if (h.payload_len == 0 || h.operation_data != 0 || h.payload_len > limits_.max_control)
        return std::string("a malformed monitor message");
      break;
    case basp_op::down_message:
      if (h.source_actor == 0 || h.dest_actor != 0 || h.payload_len == 0 ||
          h.operation_data != 0 || h.payload_len > limits_.max_control)
        return std::string("a malformed down message");
      break;
    case basp_op::heartbeat:
      if (h.payload_len != 0 || h.operation_data != 0 || h.source_actor != 0 || h.dest_actor != 0)
        return std::string("a malformed heartbeat");
      break;
    case basp_op::server_handshake:
    case basp_op::client_handshake:
      // Checked by role below. CAF 0.17.6 dereferences a null payload for a
      // handshake that declares none: this is the check that keeps it alive.
      if (h.payload_len == 0)
        return std::string("a handshake without payload");
      if (h.payload_len > limits_.max_control)
        return fmt::format("a {}-byte handshake", h.payload_len);
      break;
  }
  return std::nullopt;
}

std::optional<std::string> frame_rules::check_client_frame(const basp_header& h) {
  auto op = static_cast<basp_op>(h.operation);
  if (op == basp_op::server_handshake)
    return std::string("a server handshake from a client");
  if (op == basp_op::client_handshake) {
    // A CAF 0.17.6 client sends two: one on connecting, one (with the
    // select-connection flag) after the server's handshake.
    if (established_ || handshakes_ >= 2)
      return std::string("a repeated handshake");
    if (h.source_actor != 0 || h.dest_actor != 0)
      return std::string("a malformed client handshake");
    return std::nullopt;
  }
  if (!handshaken())
    return std::string(not_basp);
  return std::nullopt;
}

std::optional<std::string> frame_rules::check_server_frame(const basp_header& h) {
  auto op = static_cast<basp_op>(h.operation);
  if (op == basp_op::client_handshake)
    return std::string("a client handshake from a server");
  if (op == basp_op::server_handshake) {
    if (handshaken())
      return std::string("a repeated handshake");
    if (h.operation_data != basp_version)
      return fmt::format("a handshake of BASP version {} (this is CAF 0.17.6, version {})",
                         h.operation_data, basp_version);
    return std::nullopt;
  }
  if (!handshaken())
    return std::string(not_basp);
  return std::nullopt;
}

std::string describe_bytes(const char* p, std::size_t n) {
  constexpr std::size_t shown = 16;
  std::size_t printable = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    if (std::isprint(c) || c == '\r' || c == '\n' || c == '\t')
      ++printable;
  }
  std::string out;
  if (n > 0 && printable == n) {
    out += '"';
    for (std::size_t i = 0; i < n && i < shown; ++i) {
      auto c = p[i];
      if (c == '\r')
        out += "\\r";
      else if (c == '\n')
        out += "\\n";
      else if (c == '\t')
        out += "\\t";
      else
        out += c;
    }
    out += n > shown ? "\"..." : "\"";
    return out;
  }
  for (std::size_t i = 0; i < n && i < shown; ++i)
    out += fmt::format("{}{:02x}", i == 0 ? "" : " ", static_cast<unsigned char>(p[i]));
  if (n > shown)
    out += " ...";
  return out;
}

} // namespace kvmem::detail::net
