#include "commands.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "input.hpp"
#include "listing.hpp"
#include "text.hpp"

namespace kvmem::cli {

int report(const error& e, const output& o) {
  bool connection = e.code == errc::unavailable || e.code == errc::disconnected;
  if (connection && !o.server.empty())
    fmt::print(o.err, "kvmem: {} (server {})\n", one_line(e.message()), one_line(o.server));
  else
    fmt::print(o.err, "kvmem: {}\n", one_line(e.message()));
  return connection ? connection_error : store_error;
}

const char* help_text() {
  return "commands:\n"
         "  get KEY                 print the value (bytes as stored)\n"
         "  set KEY VALUE           bind KEY to VALUE (after '--' if it starts with '-')\n"
         "  set KEY --file PATH     ... to the contents of a file\n"
         "  set KEY -               ... to standard input (binary-safe)\n"
         "  rm KEY                  remove a value or a whole dictionary\n"
         "  ls [--json|-0] [KEY]    list a dictionary (default /): kind and key\n"
         "  exists KEY              print value, dictionary or absent\n"
         "  stat [--json] KEY       kind, size, last modified (RFC 3339), digest\n"
         "  digest KEY              SHA-256 (values) or Merkle digest (dictionaries), hex\n"
         "  mv SRC DST              rename (mirage-kv semantics)\n"
         "  info [--json]           the store's version, bytes used, capacity, pinned snapshots\n"
         "  help                    this text ('COMMAND --help' for one command)\n"
         "keys are absolute paths: /a/b; in human output, keys are escaped (docs/cli.md)\n";
}

namespace {

int get(client& c, const key& k, const output& o) {
  auto r = c.get(k);
  if (!r)
    return report(r.error(), o);
  std::fwrite(r->data(), 1, r->size(), o.out);
  if (o.for_person && (r->empty() || r->view().back() != '\n'))
    std::fputc('\n', o.out);
  return ok;
}

int set(client& c, const key& k, const command_args& a, const output& o) {
  bytes value;
  if (!a.file.empty() || a.value == "-") {
    auto in = read_value(a.file.empty() ? a.value : a.file);
    if (!in.ok()) {
      fmt::print(o.err, "kvmem: {}\n", one_line(in.error));
      return usage_error;
    }
    value = std::move(in.value);
  } else {
    value = bytes{a.value};
  }
  // The client sends the handle: the bytes are not copied again here.
  auto r = c.set(k, std::move(value));
  return r ? ok : report(r.error(), o);
}

int stat(client& c, const key& k, const command_args& a, const output& o) {
  auto e = c.exists(k);
  if (!e)
    return report(e.error(), o);
  if (!*e)
    return report(error::not_found(k), o);
  stat_info s;
  s.k = k;
  s.kd = **e;
  auto t = c.last_modified(k);
  auto d = c.digest(k);
  if (!t || !d)
    return report(!t ? t.error() : d.error(), o);
  s.last_modified = *t;
  s.hash = *d;
  if (s.kd == kind::value) {
    auto n = c.size(k);
    if (!n)
      return report(n.error(), o);
    s.size = *n;
  } else {
    auto l = c.list(k);
    if (!l)
      return report(l.error(), o);
    s.size = l->size();
  }
  print_stat(s, a.json, o.out);
  return ok;
}

int dispatch(client& c, const command_args& a, const output& o) {
  const auto& cmd = a.name;
  auto k = key::v(a.key1); // the parser checked that it is absolute
  if (cmd == "help") {
    std::fputs(help_text(), o.out);
    return ok;
  }
  if (cmd == "get")
    return get(c, k, o);
  if (cmd == "set")
    return set(c, k, a, o);
  if (cmd == "rm") {
    auto r = c.remove(k);
    return r ? ok : report(r.error(), o);
  }
  if (cmd == "exists") {
    auto r = c.exists(k);
    if (!r)
      return report(r.error(), o);
    fmt::print(o.out, "{}\n", *r ? to_string(**r) : "absent");
    return ok;
  }
  if (cmd == "digest") {
    auto r = c.digest(k);
    if (!r)
      return report(r.error(), o);
    fmt::print(o.out, "{}\n", *r);
    return ok;
  }
  if (cmd == "stat")
    return stat(c, k, a, o);
  if (cmd == "ls") {
    auto r = c.list(k);
    if (!r)
      return report(r.error(), o);
    auto form = a.json ? listing_form::json : a.nul ? listing_form::nul : listing_form::human;
    if (auto why = print_listing(*r, form, o.out); !why.empty()) {
      fmt::print(o.err, "kvmem: {}\n", why);
      return usage_error;
    }
    return ok;
  }
  if (cmd == "mv") {
    auto r = c.rename(k, key::v(a.key2));
    return r ? ok : report(r.error(), o);
  }
  if (cmd == "info") {
    auto r = c.info();
    if (!r)
      return report(r.error(), o);
    print_info(*r, a.json, o.out);
    return ok;
  }
  fmt::print(o.err, "kvmem: unknown command \"{}\" (try 'help')\n", one_line(cmd));
  return usage_error;
}

} // namespace

int run_command(client& c, const command_args& a, const output& o) {
  errno = 0;
  int rc = dispatch(c, a, o);
  if (std::fflush(o.out) != 0 || std::ferror(o.out)) {
    int why = errno != 0 ? errno : EIO;
    fmt::print(o.err, "kvmem: cannot write the output: {}\n", std::strerror(why));
    std::clearerr(o.out);
    return rc == ok ? usage_error : rc;
  }
  return rc;
}

} // namespace kvmem::cli
