// Reading a value from a file or standard input, for `set`.
//
// One read(2) loop into one growing buffer, then one copy into the
// kvmem::bytes the client sends. Replaced an istreambuf_iterator (a call
// per byte: 5x slower than the network path for 100 MB from a pipe) into a
// std::string that then lived on beside the value while it was sent.
#pragma once

#include <string>

#include <kvmem/bytes.hpp>

namespace kvmem::cli {

/// What read_value() returns: the bytes, or why they could not be read.
struct value_input {
  bytes value;
  std::string error; // empty on success; else one line, e.g. "cannot read /tmp: Is a directory"
  bool ok() const { return error.empty(); }
};

/// Reads all of the file at `path`, or standard input if `path` is "-".
/// Never throws: a missing file, a directory, a read error or a value too
/// large to hold in memory are all reported in `error`. Peak memory is
/// about twice the value's size (the read buffer and the value), briefly.
value_input read_value(const std::string& path);

} // namespace kvmem::cli
