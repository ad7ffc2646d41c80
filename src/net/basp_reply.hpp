// The reply a server's guard sends in the store's place (internal;
// header-only, CAF's constants at compile time only).
//
// A client's request that is well-formed but of no shape the store serves
// (basp_payload.hpp, verdict::answer) never reaches CAF; its sender gets
// what the store would have answered: a response carrying
// caf::error(sec::unexpected_message), which kvmem::from_caf reads as "the
// store does not understand this request". The frame is what CAF 0.17.6's
// BASP writes for it (tests/message_schema_test.cpp compares the bytes).
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/sec.hpp>

#include "net/basp_frame.hpp"
#include "net/basp_payload.hpp"

namespace kvmem::detail::net {

/// caf::message_id's request id bits: nonzero in a request.
inline constexpr std::uint64_t request_id_mask = 0x0FFFFFFFFFFFFFFF;

/// True if h is a direct message that expects a response.
inline bool is_request(const basp_header& h) noexcept {
  return (h.operation_data & request_id_mask) != 0 && (h.operation_data & response_flag) == 0;
}

/// The frame (header and payload) answering request h with
/// unexpected_message, from its receiver to its sender.
inline std::string unexpected_message_reply(const basp_header& h) {
  std::string payload;
  payload.push_back(0); // no forwarding stack
  auto message = [&](const std::string& names) {
    payload.append(2, '\0'); // no type number
    payload.push_back(static_cast<char>(names.size()));
    payload += names;
  };
  message("@<>+@error");
  payload.push_back(static_cast<char>(caf::sec::unexpected_message));
  auto category = static_cast<std::uint64_t>(caf::atom("system"));
  for (int i = 7; i >= 0; --i)
    payload.push_back(static_cast<char>((category >> (8 * i)) & 0xff));
  message("@<>"); // no context
  auto reply = make_header(basp_op::direct_message, static_cast<std::uint32_t>(payload.size()),
                           h.operation_data | response_flag, h.dest_actor, h.source_actor);
  return encode_header(reply) + payload;
}

} // namespace kvmem::detail::net
