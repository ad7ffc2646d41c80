#include "resp/commands.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>


#include <fmt/format.h>

#include "kvmem/read_op.hpp"
#include "kvmem/write_op.hpp"

namespace kvmem::detail::resp {

namespace {

constexpr std::string_view wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr std::string_view not_integer = "ERR value is not an integer or out of range";
constexpr std::string_view syntax_error = "ERR syntax error";
constexpr std::string_view no_expiry =
    "ERR kvmem does not expire keys: EX, PX, EXAT, PXAT and EXPIRE are not supported (docs/resp.md)";
constexpr std::uint64_t max_string = std::uint64_t{512} << 20; // Redis's proto-max-bulk-len for SETRANGE/APPEND

// Redis's string2ll: optional '-', digits, no leading zeros, no spaces.
bool to_ll(std::string_view s, long long& out) {
  if (s.empty() || s.size() > 20)
    return false;
  std::string_view digits = s[0] == '-' ? s.substr(1) : s;
  if (digits.empty() || (digits[0] == '0' && (digits.size() > 1 || s[0] == '-')))
    return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

bool to_ld(std::string_view s, long double& out) {
  if (s.empty() || s.size() > 5000 || std::isspace(static_cast<unsigned char>(s[0])))
    return false;
  std::string z{s};
  char* end = nullptr;
  errno = 0;
  out = std::strtold(z.c_str(), &end);
  if (end != z.c_str() + z.size() || errno == ERANGE || std::isnan(out))
    return false;
  return true;
}

// Keys of more segments than this are refused (an error, or absent where
// Redis would answer for a missing key): what a path costs grows with its
// depth in every walk (KEYS, SCAN, listings hold absolute keys).
constexpr std::size_t max_key_segments = 512;

bool too_deep(std::string_view s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '/')) >= max_key_segments;
}

// A key for commands that treat a key they cannot hold as absent: the root
// (which they count as absent) for one too deep.
key lookup_key(std::string_view s) { return too_deep(s) ? key{} : key::v(s); }

// A Redis key as a kvmem key; the root is no key (an error reply).
std::optional<key> to_key(std::string_view s, reply_writer& out) {
  if (too_deep(s)) {
    out.error(fmt::format("ERR invalid key: more than {} path segments", max_key_segments));
    return std::nullopt;
  }
  auto k = key::v(s);
  if (k.is_root()) {
    out.error("ERR invalid key: '" + std::string{s} + "' names the root dictionary (a key needs a non-empty path segment)");
    return std::nullopt;
  }
  return k;
}

// What a key holds, for commands that expect a value: the value, or absent,
// or the wrong kind (a dictionary).
enum class found_kind { value, absent, dictionary };

struct value_read {
  found_kind what = found_kind::absent;
  bytes value;
  version_t modified = 0;
};

value_read read_value(group_run& g, const key& k) {
  g.note(read_op::get(k));
  auto r = g.view().get(k);
  if (r)
    return {found_kind::value, std::move(*r), 0};
  if (r.error().code == errc::value_expected)
    return {found_kind::dictionary, {}, 0};
  return {}; // not_found, or a path through a value: absent for Redis
}

std::optional<kind> read_exists(group_run& g, const key& k) {
  g.note(read_op::exists(k));
  return g.view().exists(k);
}

// Applies a write to the group's copy; on failure answers its error.
bool write(group_run& g, write_op w, reply_writer& out) {
  auto r = apply(g.view(), w, g.at, nullptr);
  if (!r) {
    out.error(error_line(r.error()));
    return false;
  }
  g.changed = g.changed || *r;
  g.ops.push_back(std::move(w));
  g.applied = g.ops.size();
  return true;
}

// A plain set: recorded, applied when something reads (group_run::view).
bool set_value(group_run& g, const key& k, std::string_view v, reply_writer& out) {
  if (g.eager)
    return write(g, write_op::set(k, bytes{v}), out);
  g.ops.push_back(write_op::set(k, bytes{v}));
  return true;
}

// --- strings -----------------------------------------------------------------

void cmd_get(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto k = to_key(a[1], out);
  if (!k)
    return;
  auto v = read_value(g, *k);
  if (v.what == found_kind::value)
    out.bulk(v.value.view());
  else if (v.what == found_kind::dictionary)
    out.error(wrongtype);
  else
    out.null();
}

void cmd_set(args_t a, group_run& g, session_data&, reply_writer& out) {
  bool nx = false, xx = false, get = false;
  for (std::size_t i = 3; i < a.size(); ++i) {
    if (iequals(a[i], "nx") && !xx)
      nx = true;
    else if (iequals(a[i], "xx") && !nx)
      xx = true;
    else if (iequals(a[i], "get"))
      get = true;
    else if (iequals(a[i], "keepttl"))
      continue; // no key has a TTL: keeping it is what always happens
    else if (iequals(a[i], "ex") || iequals(a[i], "px") || iequals(a[i], "exat") || iequals(a[i], "pxat"))
      return out.error(no_expiry);
    else
      return out.error(syntax_error);
  }
  auto k = to_key(a[1], out);
  if (!k)
    return;
  value_read old;
  if (nx || xx || get) {
    old = read_value(g, *k);
    if (get && old.what == found_kind::dictionary)
      return out.error(wrongtype);
    bool exists = old.what != found_kind::absent;
    if ((nx && exists) || (xx && !exists))
      return get && old.what == found_kind::value ? out.bulk(old.value.view()) : out.null();
  }
  if (!set_value(g, *k, a[2], out))
    return;
  if (!get)
    out.ok();
  else if (old.what == found_kind::value)
    out.bulk(old.value.view());
  else
    out.null();
}

void cmd_setnx(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto k = to_key(a[1], out);
  if (!k)
    return;
  if (read_exists(g, *k))
    return out.integer(0);
  if (set_value(g, *k, a[2], out))
    out.integer(1);
}

void cmd_getset(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto k = to_key(a[1], out);
  if (!k)
    return;
  auto old = read_value(g, *k);
  if (old.what == found_kind::dictionary)
    return out.error(wrongtype);
  if (!set_value(g, *k, a[2], out))
    return;
  old.what == found_kind::value ? out.bulk(old.value.view()) : out.null();
}

void cmd_getdel(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto k = to_key(a[1], out);
  if (!k)
    return;
  auto old = read_value(g, *k);
  if (old.what == found_kind::dictionary)
    return out.error(wrongtype);
  if (old.what == found_kind::absent)
    return out.null();
  if (write(g, write_op::remove(*k), out))
    out.bulk(old.value.view());
}

void cmd_mget(args_t a, group_run& g, session_data&, reply_writer& out) {
  out.array(a.size() - 1);
  for (std::size_t i = 1; i < a.size(); ++i) {
    auto k = lookup_key(a[i]);
    if (k.is_root()) {
      out.null();
      continue;
    }
    auto v = read_value(g, k);
    v.what == found_kind::value ? out.bulk(v.value.view()) : out.null();
  }
}

bool pairs_ok(args_t a, reply_writer& out) {
  if ((a.size() - 1) % 2 != 0) {
    out.error(arity_error(lower(a[0])));
    return false;
  }
  return true;
}

// MSET's writes, all or nothing: on a failure the group's copy goes back to
// what it was before the command.
void cmd_mset(args_t a, group_run& g, session_data&, reply_writer& out) {
  if (!pairs_ok(a, out))
    return;
  std::vector<key> keys;
  for (std::size_t i = 1; i < a.size(); i += 2) {
    auto k = to_key(a[i], out);
    if (!k)
      return;
    keys.push_back(std::move(*k));
  }
  bool nx = iequals(a[0], "msetnx");
  if (nx)
    for (auto& k : keys)
      if (read_exists(g, k))
        return out.integer(0);
  if (g.eager) { // all or none here too: on a failure the copy goes back
    auto before = g.view();
    auto ops = g.ops.size();
    bool changed = g.changed;
    std::string discard;
    reply_writer quiet{discard};
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (!set_value(g, keys[i], a[2 * i + 2], quiet)) {
        g.work = std::move(before);
        g.ops.resize(ops);
        g.applied = ops;
        g.changed = changed;
        return out.error(std::string_view{discard}.substr(1, discard.size() - 3));
      }
  } else {
    for (std::size_t i = 0; i < keys.size(); ++i)
      set_value(g, keys[i], a[2 * i + 2], out); // recorded: all apply in one commit, or none
  }
  nx ? out.integer(1) : out.ok();
}

void cmd_strlen(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto k = to_key(a[1], out);
  if (!k)
    return;
  g.note(read_op::size(*k));
  auto r = g.view().size(*k);
  if (r)
    return out.integer(static_cast<long long>(*r));
  if (r.error().code == errc::value_expected)
    return out.error(wrongtype);
  out.integer(0);
}

void cmd_getrange(args_t a, group_run& g, session_data&, reply_writer& out) {
  long long start = 0, end = 0;
  if (!to_ll(a[2], start) || !to_ll(a[3], end))
    return out.error(not_integer);
  auto k = to_key(a[1], out);
  if (!k)
    return;
  auto v = read_value(g, *k);
  if (v.what == found_kind::dictionary)
    return out.error(wrongtype);
  auto len = static_cast<long long>(v.value.size());
  if (start < 0 && end < 0 && start > end)
    return out.bulk("");
  if (start < 0)
    start = std::max(0LL, len + start);
  if (end < 0)
    end = std::max(0LL, len + end);
  end = std::min(end, len - 1);
  if (start > end || len == 0)
    return out.bulk("");
  out.bulk(v.value.view().substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start + 1)));
}

void cmd_setrange(args_t a, group_run& g, session_data&, reply_writer& out) {
  long long off = 0;
  if (!to_ll(a[2], off) || off < 0)
    return out.error("ERR offset is out of range");
  auto k = to_key(a[1], out);
  if (!k)
    return;
  auto v = read_value(g, *k);
  if (v.what == found_kind::dictionary)
    return out.error(wrongtype);
  auto uoff = static_cast<std::uint64_t>(off);
  if (a[3].empty()) // changes nothing, creates nothing (as Redis)
    return out.integer(static_cast<long long>(v.value.size()));
  if (uoff + a[3].size() > max_string)
    return out.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  // A value the store's capacity cannot hold is refused before it is built
  // (SETRANGE k 536870911 x would otherwise allocate 512 MB to be told no).
  const auto& t = g.view();
  if (t.capacity() != unlimited && uoff + a[3].size() > v.value.size() &&
      uoff + a[3].size() - v.value.size() > t.capacity() - std::min(t.capacity(), t.used()))
    return out.error(error_line(error::make(errc::no_space, "the store's capacity")));
  if (uoff > v.value.size()) { // Redis pads with zero bytes; kvmem's set_partial would append
    std::string whole{v.value.view()};
    whole.resize(static_cast<std::size_t>(uoff), '\0');
    whole.append(a[3]);
    if (set_value(g, *k, whole, out))
      out.integer(static_cast<long long>(whole.size()));
    return;
  }
  if (write(g, write_op::set_partial(*k, uoff, bytes{a[3]}), out))
    out.integer(static_cast<long long>(std::max<std::uint64_t>(v.value.size(), uoff + a[3].size())));
}

void cmd_append(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto k = to_key(a[1], out);
  if (!k)
    return;
  auto v = read_value(g, *k);
  if (v.what == found_kind::dictionary)
    return out.error(wrongtype);
  if (v.value.size() + a[2].size() > max_string)
    return out.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  auto w = v.what == found_kind::absent ? write_op::set(*k, bytes{a[2]})
                                        : write_op::set_partial(*k, v.value.size(), bytes{a[2]});
  if (write(g, std::move(w), out))
    out.integer(static_cast<long long>(v.value.size() + a[2].size()));
}

void incr_by(args_t a, long long by, group_run& g, reply_writer& out) {
  auto k = to_key(a[1], out);
  if (!k)
    return;
  auto v = read_value(g, *k);
  if (v.what == found_kind::dictionary)
    return out.error(wrongtype);
  long long cur = 0;
  if (v.what == found_kind::value && !to_ll(v.value.view(), cur))
    return out.error(not_integer);
  if ((by < 0 && cur < 0 && by < std::numeric_limits<long long>::min() - cur) ||
      (by > 0 && cur > 0 && by > std::numeric_limits<long long>::max() - cur))
    return out.error("ERR increment or decrement would overflow");
  auto next = cur + by;
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, next);
  if (set_value(g, *k, std::string_view{buf, static_cast<std::size_t>(r.ptr - buf)}, out))
    out.integer(next);
}

void cmd_incr(args_t a, group_run& g, session_data&, reply_writer& out) { incr_by(a, 1, g, out); }
void cmd_decr(args_t a, group_run& g, session_data&, reply_writer& out) { incr_by(a, -1, g, out); }

void cmd_incrby(args_t a, group_run& g, session_data&, reply_writer& out) {
  long long by = 0;
  if (!to_ll(a[2], by))
    return out.error(not_integer);
  incr_by(a, by, g, out);
}

void cmd_decrby(args_t a, group_run& g, session_data&, reply_writer& out) {
  long long by = 0;
  if (!to_ll(a[2], by))
    return out.error(not_integer);
  if (by == std::numeric_limits<long long>::min())
    return out.error("ERR decrement would overflow");
  incr_by(a, -by, g, out);
}

void cmd_incrbyfloat(args_t a, group_run& g, session_data&, reply_writer& out) {
  long double by = 0;
  if (!to_ld(a[2], by))
    return out.error("ERR value is not a valid float");
  auto k = to_key(a[1], out);
  if (!k)
    return;
  auto v = read_value(g, *k);
  if (v.what == found_kind::dictionary)
    return out.error(wrongtype);
  long double cur = 0;
  if (v.what == found_kind::value && !to_ld(v.value.view(), cur))
    return out.error("ERR value is not a valid float");
  long double next = cur + by;
  if (std::isnan(next) || std::isinf(next))
    return out.error("ERR increment would produce NaN or Infinity");
  // As Redis (ld2string, LD_STR_HUMAN): "%.17Lf", trailing zeros and a
  // trailing point removed, "-0" written "0".
  char buf[5 * 1024];
  int len = std::snprintf(buf, sizeof buf, "%.17Lf", next);
  if (len <= 0 || static_cast<std::size_t>(len) >= sizeof buf)
    return out.error("ERR increment would produce a value too long to write");
  std::string text{buf, static_cast<std::size_t>(len)};
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0')
      text.pop_back();
    if (text.back() == '.')
      text.pop_back();
  }
  if (text == "-0")
    text = "0";
  if (set_value(g, *k, text, out))
    out.bulk(text);
}

// --- keyspace ----------------------------------------------------------------

void cmd_del(args_t a, group_run& g, session_data&, reply_writer& out) {
  long long n = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    auto k = lookup_key(a[i]);
    if (k.is_root() || !read_exists(g, k))
      continue;
    std::string discard;
    reply_writer quiet{discard};
    if (write(g, write_op::remove(k), quiet))
      ++n;
  }
  out.integer(n);
}

void cmd_exists(args_t a, group_run& g, session_data&, reply_writer& out) {
  long long n = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    auto k = lookup_key(a[i]);
    if (!k.is_root() && read_exists(g, k))
      ++n;
  }
  out.integer(n);
}

std::string_view type_name(std::optional<kind> k) {
  if (!k)
    return "none";
  return *k == kind::value ? "string" : "dict";
}

void cmd_type(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto k = lookup_key(a[1]);
  out.simple(k.is_root() ? "none" : type_name(read_exists(g, k)));
}

void cmd_ttl(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto k = lookup_key(a[1]);
  out.integer(!k.is_root() && read_exists(g, k) ? -1 : -2);
}

void cmd_no_expiry(args_t, group_run&, session_data&, reply_writer& out) { out.error(no_expiry); }

void cmd_persist(args_t a, group_run& g, session_data&, reply_writer& out) {
  (void)read_exists(g, lookup_key(a[1]));
  out.integer(0); // no key has a TTL to remove
}

// RENAME keeps Redis's meaning: the destination value is replaced. A
// dictionary destination is refused (Redis would drop it; kvmem never
// drops a subtree as a side effect: KV.MV moves into it).
void rename_cmd(args_t a, group_run& g, reply_writer& out, bool nx) {
  auto src = to_key(a[1], out);
  if (!src)
    return;
  auto dst = to_key(a[2], out);
  if (!dst)
    return;
  auto s = read_exists(g, *src);
  if (!s)
    return out.error("ERR no such key");
  auto d = read_exists(g, *dst);
  if (nx && d)
    return out.integer(0);
  if (*src == *dst)
    return nx ? out.integer(0) : out.ok();
  if (d == kind::dictionary)
    return out.error(wrongtype);
  if (d && !write(g, write_op::remove(*dst), out))
    return;
  if (!write(g, write_op::rename(*src, *dst), out))
    return;
  nx ? out.integer(1) : out.ok();
}

void cmd_rename(args_t a, group_run& g, session_data&, reply_writer& out) { rename_cmd(a, g, out, false); }
void cmd_renamenx(args_t a, group_run& g, session_data&, reply_writer& out) { rename_cmd(a, g, out, true); }

// Redis's glob (stringmatchlen): * ? [abc] [^a-z] and \\ escapes, over
// bytes (NUL included). Iterative with one backtrack point for '*', so
// O(|p|·|s|) at worst, never exponential.
bool glob(std::string_view p, std::string_view s) {
  std::size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  auto one = [&](std::size_t& i, char c) -> bool { // matches p[i..] against c; advances i
    if (p[i] == '?') {
      ++i;
      return true;
    }
    if (p[i] == '[') {
      std::size_t j = i + 1;
      bool neg = j < p.size() && p[j] == '^';
      if (neg)
        ++j;
      bool hit = false;
      while (j < p.size() && p[j] != ']') {
        if (p[j] == '\\' && j + 1 < p.size()) {
          hit = hit || p[j + 1] == c;
          j += 2;
        } else if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
          auto lo = static_cast<unsigned char>(std::min(p[j], p[j + 2]));
          auto hi = static_cast<unsigned char>(std::max(p[j], p[j + 2]));
          auto uc = static_cast<unsigned char>(c);
          hit = hit || (uc >= lo && uc <= hi);
          j += 3;
        } else {
          hit = hit || p[j] == c;
          ++j;
        }
      }
      i = j < p.size() ? j + 1 : j;
      return hit != neg;
    }
    if (p[i] == '\\' && i + 1 < p.size()) {
      bool hit = p[i + 1] == c;
      i += 2;
      return hit;
    }
    bool hit = p[i] == c;
    ++i;
    return hit;
  };
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
      continue;
    }
    std::size_t next = pi;
    if (pi < p.size() && one(next, s[si])) {
      pi = next;
      ++si;
      continue;
    }
    if (star == std::string_view::npos)
      return false;
    pi = star + 1;
    si = ++mark;
  }
  while (pi < p.size() && p[pi] == '*')
    ++pi;
  return pi == p.size();
}

bool matches(const std::string& pattern, const std::string& text) {
  return pattern == "*" || glob(pattern, text);
}

// Every value under `root`, in key order, calling f(key text) until it
// returns false. Iterative (no recursion on deep trees).
template <class F>
void walk_values(const tree& t, F&& f) {
  std::vector<scan_cursors::frame> stack;
  auto top = t.list(key{});
  if (!top)
    return;
  stack.push_back({std::move(*top), 0});
  while (!stack.empty()) {
    auto& fr = stack.back();
    if (fr.next == fr.entries.size()) {
      stack.pop_back();
      continue;
    }
    auto& [k, what] = fr.entries[fr.next++];
    if (what == kind::value) {
      if (!f(k))
        return;
    } else if (auto sub = t.list(k); sub) {
      stack.push_back({std::move(*sub), 0});
    }
  }
}

std::string pattern_text(const std::string& pattern, const key& k) {
  // A pattern written with a leading '/' matches the "/a/b" form.
  return !pattern.empty() && pattern[0] == '/' ? k.to_string() : key_text(k);
}

void cmd_keys(args_t a, group_run& g, session_data&, reply_writer& out) {
  g.reads_complete = false;
  std::string pattern{a[1]};
  std::vector<std::string> found;
  walk_values(g.view(), [&](const key& k) {
    auto text = pattern_text(pattern, k);
    if (matches(pattern, text))
      found.push_back(std::move(text));
    return true;
  });
  out.array(found.size());
  for (auto& s : found)
    out.bulk(s);
}

void cmd_scan(args_t a, group_run& g, session_data& sd, reply_writer& out) {
  g.reads_complete = false;
  std::uint64_t id = 0;
  {
    auto r = std::from_chars(a[1].data(), a[1].data() + a[1].size(), id);
    if (r.ec != std::errc{} || r.ptr != a[1].data() + a[1].size())
      return out.error("ERR invalid cursor");
  }
  std::string pattern = "*";
  long long count = 10;
  std::optional<std::string> type;
  for (std::size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size())
      return out.error(syntax_error);
    if (iequals(a[i], "match"))
      pattern = std::string{a[i + 1]};
    else if (iequals(a[i], "count")) {
      if (!to_ll(a[i + 1], count))
        return out.error(not_integer);
      if (count < 1)
        return out.error(syntax_error);
    } else if (iequals(a[i], "type"))
      type = lower(a[i + 1]);
    else
      return out.error(syntax_error);
  }
  scan_cursors::cursor* c = nullptr;
  if (id == 0) {
    c = &sd.cursors.open(g.view());
    if (auto top = c->root.list(key{}))
      c->stack.push_back({std::move(*top), 0});
  } else if ((c = sd.cursors.find(id)) == nullptr) {
    return out.error("ERR invalid cursor");
  }
  std::vector<std::string> found;
  long long visited = 0;
  while (!c->stack.empty() && visited < count) {
    auto& fr = c->stack.back();
    if (fr.next == fr.entries.size()) {
      c->stack.pop_back();
      continue;
    }
    auto [k, what] = fr.entries[fr.next++];
    if (what == kind::dictionary) {
      if (auto sub = c->root.list(k); sub)
        c->stack.push_back({std::move(*sub), 0});
      continue;
    }
    ++visited;
    if (type && *type != "string")
      continue;
    auto text = pattern_text(pattern, k);
    if (matches(pattern, text))
      found.push_back(std::move(text));
  }
  while (!c->stack.empty() && c->stack.back().next == c->stack.back().entries.size())
    c->stack.pop_back(); // nothing left in these: the scan may be over
  std::uint64_t next = c->stack.empty() ? 0 : c->id;
  if (next == 0)
    sd.cursors.close(c->id);
  out.array(2);
  out.bulk(std::to_string(next));
  out.array(found.size());
  for (auto& s : found)
    out.bulk(s);
}

void cmd_dbsize(args_t, group_run& g, session_data&, reply_writer& out) {
  g.reads_complete = false;
  out.integer(static_cast<long long>(count_values(g.view())));
}

void cmd_flushall(args_t a, group_run& g, session_data&, reply_writer& out) {
  for (std::size_t i = 1; i < a.size(); ++i)
    if (!iequals(a[i], "sync") && !iequals(a[i], "async"))
      return out.error(syntax_error);
  if (write(g, write_op::remove(key{}), out))
    out.ok();
}

// --- kvmem's own -------------------------------------------------------------

// A key for kvmem's own commands, the root included ("" or "/"); one too
// deep answers an error.
std::optional<key> any_key(std::string_view s, reply_writer& out) {
  if (too_deep(s)) {
    out.error(fmt::format("ERR invalid key: more than {} path segments", max_key_segments));
    return std::nullopt;
  }
  return key::v(s);
}

void cmd_kv_ls(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto ko = any_key(a.size() > 1 ? a[1] : std::string_view{}, out);
  if (!ko)
    return;
  auto& k = *ko;
  g.note(read_op::list(k));
  auto r = g.view().list(k);
  if (!r)
    return r.error().code == errc::not_found ? out.null_array() : out.error(error_line(r.error()));
  out.array(r->size());
  for (auto& [child, what] : *r)
    out.bulk(what == kind::dictionary ? std::string{child.basename()} + "/" : std::string{child.basename()});
}

void cmd_kv_stat(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto ko = any_key(a[1], out);
  if (!ko)
    return;
  auto& k = *ko;
  g.note(read_op::stat(k));
  auto r = g.view().stat(k);
  if (!r)
    return r.error().code == errc::not_found ? out.null() : out.error(error_line(r.error()));
  out.map(7);
  out.bulk("kind");
  out.bulk(r->what == kind::value ? "value" : "dictionary");
  out.bulk("size");
  out.integer(static_cast<long long>(r->size));
  out.bulk("last_modified");
  out.bulk(r->last_modified.to_rfc3339());
  out.bulk("created");
  out.integer(static_cast<long long>(r->created));
  out.bulk("modified");
  out.integer(static_cast<long long>(r->modified));
  out.bulk("subtree");
  out.integer(static_cast<long long>(r->subtree));
  out.bulk("entries");
  out.integer(static_cast<long long>(r->entries));
}

void cmd_kv_digest(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto ko = any_key(a.size() > 1 ? a[1] : std::string_view{}, out);
  if (!ko)
    return;
  auto& k = *ko;
  g.note(read_op::digest(k));
  auto r = g.view().digest(k);
  if (!r)
    return r.error().code == errc::not_found ? out.null() : out.error(error_line(r.error()));
  out.bulk(r->hex());
}

void cmd_kv_lastmod(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto ko = any_key(a[1], out);
  if (!ko)
    return;
  auto& k = *ko;
  g.note(read_op::last_modified(k));
  auto r = g.view().last_modified(k);
  if (!r)
    return r.error().code == errc::not_found ? out.null() : out.error(error_line(r.error()));
  out.bulk(r->to_rfc3339());
}

void cmd_kv_mv(args_t a, group_run& g, session_data&, reply_writer& out) {
  auto src = to_key(a[1], out);
  if (!src)
    return;
  auto dst = any_key(a[2], out);
  if (!dst)
    return;
  if (write(g, write_op::rename(*src, *dst), out))
    out.ok();
}

void cmd_ping(args_t a, group_run&, session_data&, reply_writer& out) {
  if (a.size() > 2)
    return out.error(arity_error("ping"));
  a.size() == 2 ? out.bulk(a[1]) : out.simple("PONG");
}

void cmd_echo(args_t a, group_run&, session_data&, reply_writer& out) { out.bulk(a[1]); }

void cmd_kv_version(args_t, group_run& g, session_data&, reply_writer& out) {
  out.integer(static_cast<long long>(g.base));
}

// --- the table ---------------------------------------------------------------

constexpr unsigned R = cmd_read, W = cmd_write | cmd_read, C = cmd_connection, T = cmd_transaction,
                   N = cmd_no_auth, K = cmd_walk;

const command_spec table[] = {
    // connection and server (run by the server)
    {"ping", -1, N, 0, 0, 0, cmd_ping, "Returns PONG, or its argument."},
    {"echo", 2, 0, 0, 0, 0, cmd_echo, "Returns its argument."},
    {"quit", -1, C | N, 0, 0, 0, nullptr, "Closes the connection after +OK."},
    {"select", 2, C, 0, 0, 0, nullptr, "Database 0 only: a store has one keyspace."},
    {"auth", -2, C | N, 0, 0, 0, nullptr, "Authenticates with the server's password."},
    {"hello", -1, C | N, 0, 0, 0, nullptr, "Chooses RESP2 or RESP3; may AUTH and SETNAME."},
    {"client", -2, C, 0, 0, 0, nullptr, "SETNAME, GETNAME, ID, SETINFO, LIST, INFO."},
    {"command", -1, C, 0, 0, 0, nullptr, "COUNT, INFO, DOCS, LIST: this table."},
    {"info", -1, C, 0, 0, 0, nullptr, "Server, clients, memory, persistence, keyspace and kvmem sections."},
    {"config", -2, C, 0, 0, 0, nullptr, "GET of a few Redis parameters (save, appendonly, ...); SET refused."},
    {"reset", 1, C | N, 0, 0, 0, nullptr, "Resets the connection's state."},
    // transactions (run by the server)
    {"multi", 1, T, 0, 0, 0, nullptr, "Starts queueing commands."},
    {"exec", 1, T, 0, 0, 0, nullptr, "Runs the queued commands as one commit."},
    {"discard", 1, T, 0, 0, 0, nullptr, "Drops the queued commands."},
    {"watch", -2, T, 1, -1, 1, nullptr, "EXEC fails if one of these keys changes first."},
    {"unwatch", 1, T, 0, 0, 0, nullptr, "Forgets the watched keys."},
    // strings
    {"get", 2, R, 1, 1, 1, cmd_get, "The value of a key."},
    {"set", -3, W, 1, 1, 1, cmd_set, "Sets a value (NX, XX, GET, KEEPTTL; no expiry)."},
    {"setnx", 3, W, 1, 1, 1, cmd_setnx, "Sets a value if the key does not exist."},
    {"getset", 3, W, 1, 1, 1, cmd_getset, "Sets a value, returns the old one."},
    {"getdel", 2, W, 1, 1, 1, cmd_getdel, "Returns a value and removes it."},
    {"mget", -2, R, 1, -1, 1, cmd_mget, "The values of several keys."},
    {"mset", -3, W, 1, -1, 2, cmd_mset, "Sets several values, all or none."},
    {"msetnx", -3, W, 1, -1, 2, cmd_mset, "Sets several values if none exists."},
    {"strlen", 2, R, 1, 1, 1, cmd_strlen, "A value's length."},
    {"getrange", 4, R, 1, 1, 1, cmd_getrange, "Part of a value."},
    {"substr", 4, R, 1, 1, 1, cmd_getrange, "Part of a value (GETRANGE)."},
    {"setrange", 4, W, 1, 1, 1, cmd_setrange, "Overwrites part of a value."},
    {"append", 3, W, 1, 1, 1, cmd_append, "Appends to a value."},
    {"incr", 2, W, 1, 1, 1, cmd_incr, "Adds 1 to an integer value."},
    {"decr", 2, W, 1, 1, 1, cmd_decr, "Subtracts 1."},
    {"incrby", 3, W, 1, 1, 1, cmd_incrby, "Adds an integer."},
    {"decrby", 3, W, 1, 1, 1, cmd_decrby, "Subtracts an integer."},
    {"incrbyfloat", 3, W, 1, 1, 1, cmd_incrbyfloat, "Adds a float."},
    // keyspace
    {"del", -2, W, 1, -1, 1, cmd_del, "Removes keys (a dictionary with everything under it)."},
    {"unlink", -2, W, 1, -1, 1, cmd_del, "DEL."},
    {"exists", -2, R, 1, -1, 1, cmd_exists, "How many of the keys exist."},
    {"type", 2, R, 1, 1, 1, cmd_type, "string, dict or none."},
    {"ttl", 2, R, 1, 1, 1, cmd_ttl, "-1 (no expiry) or -2 (no key)."},
    {"pttl", 2, R, 1, 1, 1, cmd_ttl, "-1 (no expiry) or -2 (no key)."},
    {"persist", 2, W, 1, 1, 1, cmd_persist, "0: no key has a TTL."},
    {"expire", -3, W, 1, 1, 1, cmd_no_expiry, "Refused: kvmem does not expire keys."},
    {"pexpire", -3, W, 1, 1, 1, cmd_no_expiry, "Refused."},
    {"expireat", -3, W, 1, 1, 1, cmd_no_expiry, "Refused."},
    {"pexpireat", -3, W, 1, 1, 1, cmd_no_expiry, "Refused."},
    {"setex", 4, W, 1, 1, 1, cmd_no_expiry, "Refused."},
    {"psetex", 4, W, 1, 1, 1, cmd_no_expiry, "Refused."},
    {"rename", 3, W, 1, 2, 1, cmd_rename, "Renames a key, replacing a destination value."},
    {"renamenx", 3, W, 1, 2, 1, cmd_renamenx, "Renames a key if the destination does not exist."},
    {"keys", 2, R | K, 0, 0, 0, cmd_keys, "Value keys matching a glob pattern."},
    {"scan", -2, R | K, 0, 0, 0, cmd_scan, "Iterates over value keys (MATCH, COUNT, TYPE)."},
    {"dbsize", 1, R | K, 0, 0, 0, cmd_dbsize, "The number of values."},
    {"flushall", -1, W, 0, 0, 0, cmd_flushall, "Removes everything."},
    {"flushdb", -1, W, 0, 0, 0, cmd_flushall, "Removes everything."},
    // kvmem's own
    {"kv.ls", -1, R, 1, 1, 1, cmd_kv_ls, "A dictionary's entries (dictionaries end in '/')."},
    {"kv.stat", 2, R, 1, 1, 1, cmd_kv_stat, "An entry's kind, size, time and versions."},
    {"kv.digest", -1, R, 1, 1, 1, cmd_kv_digest, "The SHA-256 digest of a value or subtree."},
    {"kv.lastmod", 2, R, 1, 1, 1, cmd_kv_lastmod, "When an entry was last modified (RFC 3339)."},
    {"kv.mv", 3, W, 1, 2, 1, cmd_kv_mv, "kvmem's rename: into a destination dictionary."},
    {"kv.version", 1, R, 0, 0, 0, cmd_kv_version, "The store's version this command saw."},
    {"kv.diff", -3, C, 0, 0, 0, nullptr, "Changes between two retained versions (under a prefix)."},
    {"kv.watch", -2, C, 0, 0, 0, nullptr, "Pushes the changes under a prefix (FROM v: after version v)."},
    {"kv.unwatch", 1, C, 0, 0, 0, nullptr, "Ends this connection's watches."},
};

} // namespace

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& ch : out)
    if (ch >= 'A' && ch <= 'Z')
      ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z')
      x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = static_cast<char>(y - 'A' + 'a');
    if (x != y)
      return false;
  }
  return true;
}

const command_spec* find_command(std::string_view lower_name) {
  static const auto index = [] {
    std::unordered_map<std::string_view, const command_spec*> m;
    for (auto& c : table)
      m.emplace(c.name, &c);
    return m;
  }();
  auto it = index.find(lower_name);
  return it == index.end() ? nullptr : it->second;
}

std::span<const command_spec> all_commands() { return table; }

std::string unknown_command_error(args_t args) {
  // As Redis: the name cut at 128 bytes, then arguments while their text
  // is under 128 bytes, each cut to what is left of those 128.
  std::string list;
  for (std::size_t i = 1; i < args.size() && list.size() < 128; ++i)
    list += fmt::format("'{}' ", args[i].substr(0, 128 - list.size()));
  return fmt::format("ERR unknown command '{}', with args beginning with: {}",
                     args[0].substr(0, 128), list);
}

std::string arity_error(std::string_view name) {
  return fmt::format("ERR wrong number of arguments for '{}' command", name);
}

std::string error_line(const error& e) {
  switch (e.code) {
    case errc::value_expected: return std::string{wrongtype};
    case errc::no_space: return "OOM command not allowed: " + e.message();
    case errc::read_only:
    case errc::io_error: return "MISCONF " + e.message();
    default: return "ERR " + e.message();
  }
}

std::string key_text(const key& k) {
  auto s = k.to_string();
  return s.size() > 1 ? s.substr(1) : s;
}

std::uint64_t count_values(const tree& t) {
  std::uint64_t n = 0;
  walk_values(t, [&](const key&) {
    ++n;
    return true;
  });
  return n;
}

scan_cursors::cursor& scan_cursors::open(const tree& root) {
  if (open_.size() >= max_open)
    open_.pop_front();
  open_.push_back(cursor{++next_id_, root, {}});
  return open_.back();
}

scan_cursors::cursor* scan_cursors::find(std::uint64_t id) {
  for (auto& c : open_)
    if (c.id == id)
      return &c;
  return nullptr;
}

void scan_cursors::close(std::uint64_t id) {
  std::erase_if(open_, [&](const cursor& c) { return c.id == id; });
}

} // namespace kvmem::detail::resp
