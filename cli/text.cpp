#include "text.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace kvmem::cli {

namespace {

// One decoded UTF-8 sequence: its code point and length, or len 0 if the
// bytes at the start of `s` are not a well-formed sequence.
struct decoded {
  char32_t cp = 0;
  std::size_t len = 0;
};

decoded decode(std::string_view s) {
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80)
    return {c, 1};
  std::size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                    : c >= 0xE0 && c <= 0xEF ? 3
                    : c >= 0xF0 && c <= 0xF4 ? 4
                                             : 0;
  if (len == 0 || s.size() < len)
    return {};
  char32_t cp = c & (0x7F >> len);
  for (std::size_t i = 1; i < len; ++i) {
    if ((b(i) & 0xC0) != 0x80)
      return {};
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are malformed.
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return {};
  return {cp, len};
}

// Characters a terminal does not show as themselves: controls, and the
// invisible or direction-changing format characters that can make one key
// look like another.
bool unprintable(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF;
}

void append_hex_byte(std::string& out, char c) {
  fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned char>(c));
}

// The two-character escapes, or nullptr.
const char* short_escape(char c, bool backslash) {
  switch (c) {
  case '\\':
    return backslash ? "\\\\" : "\\";
  case '\n':
    return "\\n";
  case '\t':
    return "\\t";
  case '\r':
    return "\\r";
  default:
    return nullptr;
  }
}

std::string escape_bytes(std::string_view s, bool backslash) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char c = s[i];
    if (const char* e = short_escape(c, backslash)) {
      out += e;
      ++i;
      continue;
    }
    auto d = decode(s.substr(i));
    if (d.len == 0) { // not UTF-8: this byte alone, then resynchronise
      append_hex_byte(out, c);
      ++i;
      continue;
    }
    if (unprintable(d.cp))
      for (std::size_t j = 0; j < d.len; ++j)
        append_hex_byte(out, s[i + j]);
    else
      out.append(s.substr(i, d.len));
    i += d.len;
  }
  return out;
}

} // namespace

std::string escape(std::string_view s) {
  return escape_bytes(s, true);
}

std::string one_line(std::string_view s) {
  return escape_bytes(s, false);
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto d = decode(s.substr(i));
    if (d.len == 0)
      return false;
    i += d.len;
  }
  return true;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  auto it = std::back_inserter(out);
  for (std::size_t i = 0; i < s.size();) {
    auto d = decode(s.substr(i));
    if (d.len == 0) {
      out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
      ++i;
      continue;
    }
    char32_t cp = d.cp;
    if (cp == '"' || cp == '\\')
      (out += '\\') += static_cast<char>(cp);
    else if (cp == '\n')
      out += "\\n";
    else if (cp == '\t')
      out += "\\t";
    else if (cp == '\r')
      out += "\\r";
    else if (unprintable(cp)) // all are in the BMP: one \u escape each
      fmt::format_to(it, "\\u{:04x}", static_cast<std::uint32_t>(cp));
    else
      out.append(s.substr(i, d.len));
    i += d.len;
  }
  out += '"';
  return out;
}

std::string hex(std::string_view s) {
  std::string out;
  out.reserve(2 * s.size());
  for (char c : s)
    fmt::format_to(std::back_inserter(out), "{:02x}", static_cast<unsigned char>(c));
  return out;
}

std::string json_bytes_field(std::string_view name, std::string_view s) {
  auto out = fmt::format("\"{}\":{}", name, json_string(s));
  if (!valid_utf8(s))
    out += fmt::format(",\"{}_hex\":\"{}\"", name, hex(s));
  return out;
}

} // namespace kvmem::cli
