// One journal record: the commit it describes, framed and checksummed
// (internal). docs/persistence.md, "The journal", has the byte layout.
//
// A record holds what the store was asked to apply — the commit's stamp
// (time, version) and its writes as write_ops — not the tree's effects: the
// write_ops are already at hand when a commit starts (effects are computed
// only while someone watches or owns keys), they are smaller (a rename of a
// dictionary is one op, not an event per moved value), and applying them to
// the same state with the same stamp gives the same tree (apply() is
// deterministic: it reads no clock and no randomness), which recovery
// checks record by record (each must apply and make its version).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvmem/result.hpp"
#include "kvmem/tree.hpp"
#include "kvmem/write_op.hpp"

namespace kvmem::detail {

/// The frame before each record's body: its length and XXH3-64 checksum.
inline constexpr std::size_t record_header_bytes = 12; // u32 length, u64 checksum
/// Largest body accepted when reading (a length beyond is damage): 4 GiB - 1.
inline constexpr std::uint64_t max_record_body = 0xffff'ffffull;

/// A decoded record.
struct journal_record {
  stamp at;
  std::vector<write_op> writes;
  std::vector<key> owned; // keys the commit made owned by an actor
};

/// Appends the framed record of a commit to `out`. Throws std::bad_alloc,
/// and std::length_error for a body of 4 GiB or more.
void encode_record(std::string& out, const stamp& at, std::span<const write_op> writes,
                   std::span<const key> owned);

/// What a frame at some offset holds.
struct frame_check {
  enum status_t {
    ok,        // a complete record: body = [offset + header, + length)
    truncated, // fewer bytes than the header or the length promises
    zeros,     // a zero length where a record should start
    bad_sum,   // complete, but its checksum fails
  } status = ok;
  std::uint64_t length = 0; // the body's length (ok, bad_sum, truncated with a header)
};
/// Checks the frame starting at `data` (the bytes up to the end of the file).
frame_check check_frame(std::string_view data) noexcept;

/// Decodes a checked body. errc::corrupt (detail: what is wrong) if the
/// checksum held but the contents are not a record of this format.
result<journal_record> decode_record(std::string_view body);

} // namespace kvmem::detail
