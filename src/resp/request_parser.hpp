// RESP requests: Redis's wire format for what a client sends (internal).
//
// A request is either a multibulk — "*<n>\r\n" then n bulk strings
// "$<len>\r\n<len bytes>\r\n" — or an inline command: one line of words
// separated by spaces, with "..." and '...' quoting as redis-cli and
// telnet users write them. Nothing else is a request: a client never sends
// nested arrays, integers or RESP3 types, so the nesting a request may have
// is one level, by construction.
//
// The parser is validate-then-use: it reads lengths and delimiters and never
// allocates by a declared length; a request is returned only once all of its
// bytes are in the buffer. Errors are worded as Redis words them
// ("Protocol error: invalid bulk length"), and after one the connection is
// closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvmem::detail::resp {

struct parse_limits {
  std::uint64_t max_bulk = std::uint64_t{512} << 20; // one argument's bytes (Redis: proto-max-bulk-len)
  std::uint64_t max_args = 1024 * 1024;               // arguments of one multibulk (Redis: 1024*1024)
  std::size_t max_inline = 64 * 1024;                 // an inline command, or a "*"/"$" header line
};

enum class parse_status {
  complete,   // one request: args, consumed
  empty,      // an empty inline line or "*0"/"*-1": consumed, nothing to run
  incomplete, // more bytes are needed; nothing consumed
  error,      // a protocol error: error holds its text; close the connection
};

struct parsed {
  parse_status status = parse_status::incomplete;
  std::size_t consumed = 0; // bytes of the buffer the request took
  std::string error;        // for parse_status::error: "Protocol error: ..."
};

/// Parses the first request in [data, data + size). On complete, `args`
/// holds its arguments: views into the buffer for a multibulk (valid while
/// the buffer's bytes are), into `words` for an inline command (its words
/// unescaped; valid while `words` is not touched). The buffer is never
/// modified, so parsing the same bytes again gives the same request. Never
/// reads past size; allocates by what has arrived, never by a declared
/// length.
parsed parse_request(const char* data, std::size_t size, const parse_limits& lim,
                     std::vector<std::string_view>& args, std::vector<std::string>& words);

} // namespace kvmem::detail::resp
