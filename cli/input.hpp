// Reading a value from a file or standard input, for `set`.
//
// One read(2) loop into one growing buffer, then one copy into the
// kvmem::bytes the client sends. Replaced an istreambuf_iterator (a call
// per byte: 5x slower than the network path for 100 MB from a pipe) into a
// std::string that then lived on beside the value while it was sent.
#pragma once

#include <cstdint>
#include <string>

#include <kvmem/bytes.hpp>

namespace kvmem::cli {

/// What read_value() returns: the bytes, or why they could not be read.
struct value_input {
  bytes value;
  std::string error; // empty on success; else one line, e.g. "cannot read /tmp: Is a directory"
  bool ok() const { return error.empty(); }
};

/// Notes whether standard input is open, and if it is not, puts /dev/null
/// in its place, so that no descriptor the program opens later (a socket)
/// becomes "standard input". Call first in main().
void check_standard_input();

/// Reads all of the file at `path`, or standard input if `path` is "-", if
/// it holds at most `limit` bytes (the store's max_batch_bytes: more could
/// not be written anyway). A regular file larger than that is refused
/// before anything is read; a stream (pipe, terminal, /dev/zero) is read
/// until it ends or passes the limit, so memory stays within the limit
/// plus one read. Never throws: a missing file, a directory, standard
/// input closed, a read error, a value over the limit or too large to hold
/// in memory are all reported in `error`. Peak memory is about twice the
/// value's size (the read buffer and the value), briefly.
value_input read_value(const std::string& path, std::uint64_t limit);

} // namespace kvmem::cli
