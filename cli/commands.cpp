#include "commands.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

namespace kvmem::cli {

namespace {

// Keys on the command line are absolute paths.
bool parse_key(const std::string& s, key* k, const output& o) {
  if (s.empty() || s[0] != '/') {
    fmt::print(o.err, "kvmem: bad key {:?}: keys are absolute paths like /a/b\n", s);
    return false;
  }
  *k = key::v(s);
  return true;
}

int fail(const error& e, const output& o) {
  fmt::print(o.err, "kvmem: {}\n", e.message());
  return e.code == errc::unavailable || e.code == errc::disconnected ? connection_error
                                                                     : store_error;
}

int usage(const output& o, std::string_view what) {
  fmt::print(o.err, "kvmem: {} (try 'kvmem help')\n", what);
  return usage_error;
}

bool read_all(std::istream& in, std::string* out) {
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

} // namespace

const char* help_text() {
  return "commands:\n"
         "  get KEY                 print the value (bytes as stored)\n"
         "  set KEY VALUE           bind KEY to VALUE\n"
         "  set KEY --file PATH     ... to the contents of a file\n"
         "  set KEY -               ... to standard input (binary-safe)\n"
         "  rm KEY                  remove a value or a whole dictionary\n"
         "  ls [KEY]                list a dictionary (default /): kind and key\n"
         "  exists KEY              print value, dictionary or absent\n"
         "  stat KEY                kind, size, last modified (RFC 3339), digest\n"
         "  digest KEY              SHA-256 (values) or Merkle digest (dictionaries), hex\n"
         "  mv SRC DST              rename (mirage-kv semantics)\n"
         "  info                    the store's version, bytes used, capacity, pinned snapshots\n"
         "  help                    this text\n"
         "keys are absolute paths: /a/b\n";
}

int run_command(client& c, const std::vector<std::string>& args, const output& o) {
  if (args.empty())
    return usage(o, "no command");
  const auto& cmd = args[0];
  auto argc = args.size();
  key k, k2;
  if (cmd == "help") {
    std::fputs(help_text(), o.out);
    return ok;
  }
  if (cmd == "get") {
    if (argc != 2 || !parse_key(args[1], &k, o))
      return argc != 2 ? usage(o, "usage: get KEY") : usage_error;
    auto r = c.get(k);
    if (!r)
      return fail(r.error(), o);
    std::fwrite(r->data(), 1, r->size(), o.out);
    if (!o.raw_values)
      std::fputc('\n', o.out);
    return ok;
  }
  if (cmd == "set") {
    if (argc < 3 || argc > 4)
      return usage(o, "usage: set KEY VALUE | set KEY --file PATH | set KEY -");
    if (!parse_key(args[1], &k, o))
      return usage_error;
    std::string value;
    if (argc == 4) {
      if (args[2] != "--file")
        return usage(o, "usage: set KEY --file PATH");
      std::ifstream f(args[3], std::ios::binary);
      if (!f || !read_all(f, &value)) {
        fmt::print(o.err, "kvmem: cannot read {}\n", args[3]);
        return usage_error;
      }
    } else if (args[2] == "-") {
      if (!read_all(std::cin, &value)) {
        fmt::print(o.err, "kvmem: cannot read standard input\n");
        return usage_error;
      }
    } else {
      value = args[2];
    }
    auto r = c.set(k, bytes{value});
    return r ? ok : fail(r.error(), o);
  }
  if (cmd == "rm" || cmd == "exists" || cmd == "stat" || cmd == "digest") {
    if (argc != 2)
      return usage(o, fmt::format("usage: {} KEY", cmd));
    if (!parse_key(args[1], &k, o))
      return usage_error;
    if (cmd == "rm") {
      auto r = c.remove(k);
      return r ? ok : fail(r.error(), o);
    }
    if (cmd == "exists") {
      auto r = c.exists(k);
      if (!r)
        return fail(r.error(), o);
      fmt::print(o.out, "{}\n", *r ? (**r == kind::value ? "value" : "dictionary") : "absent");
      return ok;
    }
    if (cmd == "digest") {
      auto r = c.digest(k);
      if (!r)
        return fail(r.error(), o);
      fmt::print(o.out, "{}\n", *r);
      return ok;
    }
    auto e = c.exists(k); // stat
    if (!e)
      return fail(e.error(), o);
    if (!*e)
      return fail(error::not_found(k), o);
    auto t = c.last_modified(k);
    auto d = c.digest(k);
    if (!t || !d)
      return fail(!t ? t.error() : d.error(), o);
    fmt::print(o.out, "key: {}\nkind: {}\n", k, **e);
    if (**e == kind::value) {
      auto n = c.size(k);
      if (!n)
        return fail(n.error(), o);
      fmt::print(o.out, "size: {}\n", *n);
    } else {
      auto l = c.list(k);
      if (!l)
        return fail(l.error(), o);
      fmt::print(o.out, "entries: {}\n", l->size());
    }
    fmt::print(o.out, "last_modified: {}\ndigest: {}\n", *t, *d);
    return ok;
  }
  if (cmd == "ls") {
    if (argc > 2)
      return usage(o, "usage: ls [KEY]");
    if (argc == 2 && !parse_key(args[1], &k, o))
      return usage_error;
    auto r = c.list(k);
    if (!r)
      return fail(r.error(), o);
    for (auto& [entry, kd] : *r)
      fmt::print(o.out, "{}\t{}\n", kd == kind::value ? "value" : "dictionary", entry);
    return ok;
  }
  if (cmd == "mv") {
    if (argc != 3)
      return usage(o, "usage: mv SRC DST");
    if (!parse_key(args[1], &k, o) || !parse_key(args[2], &k2, o))
      return usage_error;
    auto r = c.rename(k, k2);
    return r ? ok : fail(r.error(), o);
  }
  if (cmd == "info") {
    if (argc != 1)
      return usage(o, "usage: info");
    auto r = c.info();
    if (!r)
      return fail(r.error(), o);
    fmt::print(o.out, "version: {}\nused: {}\ncapacity: {}\npinned: {}\n", r->version, r->used,
               r->capacity == unlimited ? std::string("unlimited") : std::to_string(r->capacity),
               r->pinned);
    return ok;
  }
  return usage(o, fmt::format("unknown command {:?}", cmd));
}

bool split_words(const std::string& line, std::vector<std::string>* words) {
  words->clear();
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (ch == '\\' && i + 1 < line.size() && quote != '\'') {
      cur += line[++i];
      in_word = true;
    } else if (quote) {
      if (ch == quote)
        quote = 0;
      else
        cur += ch;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
      in_word = true;
    } else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
      if (in_word)
        words->push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += ch;
      in_word = true;
    }
  }
  if (quote)
    return false;
  if (in_word)
    words->push_back(std::move(cur));
  return true;
}

} // namespace kvmem::cli
