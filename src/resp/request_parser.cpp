#include "resp/request_parser.hpp"

#include <cstring>

namespace kvmem::detail::resp {

namespace {

parsed fail(std::string_view what) {
  parsed p{parse_status::error, 0, {}};
  p.error.reserve(16 + what.size());
  p.error.append("Protocol error: ").append(what);
  return p;
}

// A decimal integer filling [p, end) exactly ("-1", "42"); false otherwise
// or beyond 18 digits (lengths that large are refused anyway).
bool to_int(const char* p, const char* end, long long& out) {
  bool neg = false;
  if (p < end && *p == '-') {
    neg = true;
    ++p;
  }
  if (p == end || end - p > 18)
    return false;
  long long v = 0;
  for (; p < end; ++p) {
    if (*p < '0' || *p > '9')
      return false;
    v = v * 10 + (*p - '0');
  }
  out = neg ? -v : v;
  return true;
}

// The line starting at `from`: its end (the '\r' of "\r\n"), or nullptr if
// no "\r\n" has arrived yet.
const char* line_end(const char* from, const char* end) {
  for (auto* p = from; p < end;) {
    auto* cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p)));
    if (cr == nullptr || cr + 1 >= end)
      return nullptr;
    if (cr[1] == '\n')
      return cr;
    p = cr + 1;
  }
  return nullptr;
}

int hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Splits an inline line into words as Redis's sdssplitargs does (quotes,
// backslash escapes and \xHH inside "..."). False on unbalanced quotes.
bool split_inline(const char* p, const char* end, std::vector<std::string>& words) {
  while (true) {
    while (p < end && is_space(*p))
      ++p;
    if (p == end)
      return true;
    std::string w;
    bool in_dq = false, in_sq = false, started = false;
    for (;;) {
      if (in_dq) {
        if (p == end)
          return false;
        if (*p == '\\' && end - p >= 4 && p[1] == 'x' && hex(p[2]) >= 0 && hex(p[3]) >= 0) {
          w.push_back(static_cast<char>(hex(p[2]) * 16 + hex(p[3])));
          p += 4;
        } else if (*p == '\\' && end - p >= 2) {
          char c = p[1];
          switch (c) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'a': c = '\a'; break;
            default: break;
          }
          w.push_back(c);
          p += 2;
        } else if (*p == '"') {
          ++p;
          if (p < end && !is_space(*p))
            return false; // a closing quote must end the word
          break;
        } else {
          w.push_back(*p++);
        }
      } else if (in_sq) {
        if (p == end)
          return false;
        if (*p == '\\' && end - p >= 2 && p[1] == '\'') {
          w.push_back('\'');
          p += 2;
        } else if (*p == '\'') {
          ++p;
          if (p < end && !is_space(*p))
            return false;
          break;
        } else {
          w.push_back(*p++);
        }
      } else {
        if (p == end || is_space(*p))
          break;
        if (*p == '"' && !started) {
          in_dq = true;
          ++p;
        } else if (*p == '\'' && !started) {
          in_sq = true;
          ++p;
        } else {
          w.push_back(*p++);
        }
        started = true;
      }
    }
    words.push_back(std::move(w));
  }
}

parsed parse_inline(const char* data, std::size_t size, const parse_limits& lim,
                    std::vector<std::string_view>& args, std::vector<std::string>& words) {
  auto* nl = static_cast<const char*>(std::memchr(data, '\n', size));
  if (nl == nullptr) {
    if (size > lim.max_inline)
      return fail("too big inline request");
    return {};
  }
  auto line = static_cast<std::size_t>(nl - data);
  if (line > lim.max_inline)
    return fail("too big inline request");
  const char* end = nl;
  if (end > data && end[-1] == '\r')
    --end;
  words.clear();
  if (!split_inline(data, end, words)) {
    words.clear();
    return fail("unbalanced quotes in request");
  }
  for (auto& w : words)
    args.emplace_back(w);
  return {args.empty() ? parse_status::empty : parse_status::complete, line + 1, {}};
}

} // namespace

parsed parse_request(const char* data, std::size_t size, const parse_limits& lim,
                     std::vector<std::string_view>& args, std::vector<std::string>& words) {
  args.clear();
  if (size == 0)
    return {};
  if (data[0] != '*')
    return parse_inline(data, size, lim, args, words);
  const char* end = data + size;
  const char* le = line_end(data + 1, end);
  if (le == nullptr) {
    if (size > lim.max_inline)
      return fail("too big mbulk count string");
    return {};
  }
  long long n = 0;
  if (!to_int(data + 1, le, n) || n > static_cast<long long>(lim.max_args))
    return fail("invalid multibulk length");
  const char* p = le + 2;
  if (n <= 0)
    return {parse_status::empty, static_cast<std::size_t>(p - data), {}};
  // Reserve by what has arrived, not by what the header claims.
  args.reserve(static_cast<std::size_t>(std::min<long long>(n, (end - p) / 4 + 1)));
  for (long long i = 0; i < n; ++i) {
    if (p == end) {
      args.clear();
      return {};
    }
    if (*p != '$') {
      args.clear();
      char got[] = "expected '$', got ' '";
      got[sizeof got - 3] = *p;
      return fail(got);
    }
    le = line_end(p + 1, end);
    if (le == nullptr) {
      args.clear();
      if (static_cast<std::size_t>(end - p) > lim.max_inline)
        return fail("too big bulk count string");
      return {};
    }
    long long len = 0;
    if (!to_int(p + 1, le, len) || len < 0 || static_cast<unsigned long long>(len) > lim.max_bulk) {
      args.clear();
      return fail("invalid bulk length");
    }
    p = le + 2;
    auto ulen = static_cast<std::size_t>(len);
    if (static_cast<std::size_t>(end - p) < ulen + 2) {
      args.clear();
      return {};
    }
    if (p[ulen] != '\r' || p[ulen + 1] != '\n') {
      args.clear();
      return fail("expected CRLF after a bulk string");
    }
    args.emplace_back(p, ulen);
    p += ulen + 2;
  }
  return {parse_status::complete, static_cast<std::size_t>(p - data), {}};
}

} // namespace kvmem::detail::resp
