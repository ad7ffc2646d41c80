// How the kvmem CLI renders bytes it did not choose (keys, error details)
// for people and for programs. docs/cli.md states the same rules for users.
//
// Keys may hold any byte but '/' (NUL, newlines, escape sequences, invalid
// UTF-8), so printing them raw lets one key span two lines of `ls` or
// rewrite a terminal. Human output escapes; machine output (JSON) encodes
// losslessly or says exactly where it could not.
#pragma once

#include <string>
#include <string_view>

namespace kvmem::cli {

/// `s` escaped for a terminal, reversibly: '\\' becomes "\\\\"; newline,
/// tab and carriage return become "\\n", "\\t", "\\r"; other ASCII control
/// bytes and DEL become "\\xHH"; bytes >= 0x80 pass through when they form
/// well-formed UTF-8 of a printable character, and every other byte (invalid
/// UTF-8, C1 controls, invisible or direction-changing format characters)
/// becomes "\\xHH". Printable ASCII other than '\\' is unchanged. The result
/// never contains a control character, so it is always one line.
std::string escape(std::string_view s);

/// `s` made one harmless line for a message: as escape(), except that '\\'
/// stays as it is (messages are prose, often already escaped by whoever
/// wrote them, and need not be reversible).
std::string one_line(std::string_view s);

/// True if `s` is well-formed UTF-8 (shortest forms, no surrogates, at most
/// U+10FFFF).
bool valid_utf8(std::string_view s);

/// `s` as a JSON string literal (quotes included). Control, C1 and format
/// characters are written as \uXXXX; other well-formed UTF-8 passes through;
/// a byte that is not part of well-formed UTF-8 becomes U+FFFD (JSON cannot
/// carry it: callers add a hex form when !valid_utf8(s)).
std::string json_string(std::string_view s);

/// The bytes of `s` as lowercase hex, two digits per byte.
std::string hex(std::string_view s);

/// A JSON member for bytes: `"name":"..."`, followed by `,"name_hex":"..."`
/// (the exact bytes, authoritative) when `s` is not valid UTF-8.
std::string json_bytes_field(std::string_view name, std::string_view s);

} // namespace kvmem::cli
