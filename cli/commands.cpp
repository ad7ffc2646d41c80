#include "commands.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "dump.hpp"
#include "events.hpp"
#include "input.hpp"
#include "listing.hpp"
#include "text.hpp"

namespace kvmem::cli {

int report(const error& e, const output& o, std::string_view context) {
  bool connection = e.code == errc::unavailable || e.code == errc::disconnected;
  auto what = context.empty() ? one_line(e.message())
                              : fmt::format("{}: {}", context, one_line(e.message()));
  if (connection && !o.server.empty())
    fmt::print(o.err, "kvmem: {} (server {})\n", what, one_line(o.server));
  else
    fmt::print(o.err, "kvmem: {}\n", what);
  if (connection)
    return connection_error;
  // Only a write's condition yields version_mismatch: a script's
  // compare-and-set loop retries on 4 and stops on any other failure.
  return e.code == errc::version_mismatch ? condition_failed : store_error;
}

bool is_write(const command_args& a) {
  return a.name == "set" || a.name == "rm" || a.name == "mv";
}

value_limit limit_of(client& c) {
  return [&c]() -> std::uint64_t {
    auto info = c.info();
    return info ? info->max_batch_bytes : UINT64_MAX;
  };
}

write_or_exit make_write(const command_args& a, const output& o, const value_limit& limit) {
  auto k = key::v(a.key1); // the parser checked that it is absolute
  if (a.name == "rm")
    return {write_op::remove(std::move(k), a.condition)};
  if (a.name == "mv")
    return {write_op::rename(std::move(k), key::v(a.key2), a.condition)};
  bytes value;
  if (!a.file.empty() || a.value == "-") {
    auto in = read_value(a.file.empty() ? a.value : a.file, limit());
    if (!in.ok()) {
      fmt::print(o.err, "kvmem: {}\n", one_line(in.error));
      return {std::nullopt, usage_error};
    }
    value = std::move(in.value);
  } else {
    value = bytes{a.value};
  }
  // The write holds the handle: the bytes are not copied again.
  return {write_op::set(std::move(k), std::move(value), a.condition)};
}

const char* help_text() {
  return "commands:\n"
         "  get [--at V] KEY        print the value (bytes as stored); --at: as at version V\n"
         "  set [COND] KEY VALUE    bind KEY to VALUE (after '--' if it starts with '-')\n"
         "  set [COND] KEY --file PATH  ... to the contents of a file\n"
         "  set [COND] KEY -        ... to standard input (binary-safe)\n"
         "  rm [COND] KEY           remove a value or a whole dictionary\n"
         "  ls [--json|-0] [--at V] [KEY]  list a dictionary (default /): kind and key\n"
         "  exists KEY              print value, dictionary or absent\n"
         "  stat [--json] KEY       kind, size or entries, last modified (RFC 3339),\n"
         "                          versions (created, modified, subtree), digest\n"
         "  digest KEY              SHA-256 (values) or Merkle digest (dictionaries), hex\n"
         "  mv [--if-version V] SRC DST  rename (mirage-kv semantics)\n"
         "  info [--json]           the store's version, bytes used, capacity, pinned snapshots\n"
         "  diff [--json] [--values] V1 V2 [PREFIX]  what changed under PREFIX (default /)\n"
         "                          from version V1 to V2: op, kind, key per line\n"
         "  watch [--from V] [--window N] [--json] [--values] PREFIX\n"
         "                          print each change under PREFIX as it happens (version,\n"
         "                          op, kind, key) until Ctrl-C; not in the shell\n"
         "  checkpoint              write a checkpoint now (serve --dir); print its version\n"
         "  dump [PREFIX]           write the subtree (default /) to stdout, one snapshot\n"
         "  load [PREFIX]           read a dump from stdin into PREFIX (default /)\n"
         "  help                    this text ('COMMAND --help' for one command)\n"
         "in the shell (kvmem with no command), also:\n"
         "  begin ... commit        buffer set, rm and mv; commit applies them as one batch:\n"
         "                          all or none, one version (any failed line: none)\n"
         "  abort                   drop the writes buffered since begin\n"
         "  history, quit, exit\n"
         "COND: --if-version V (KEY's modified version, as stat shows it, is V) or\n"
         "  --if-absent (KEY is absent); if it does not hold, nothing is written, exit code 4\n"
         "--at, diff and watch --from read old versions: those kept by serve --history N\n"
         "  or --history-age DURATION (the current version always works)\n"
         "keys are absolute paths: /a/b; in human output, keys are escaped (docs/cli.md)\n";
}

namespace {

int get(client& c, const key& k, const command_args& a, const output& o) {
  auto r = a.at ? c.get_at(*a.at, k) : c.get(k);
  if (!r)
    return report(r.error(), o);
  std::fwrite(r->data(), 1, r->size(), o.out);
  if (o.for_person && (r->empty() || r->view().back() != '\n'))
    std::fputc('\n', o.out);
  return ok;
}

int stat(client& c, const key& k, const command_args& a, const output& o) {
  // One snapshot (a batch that only reads: it never conflicts), so that the
  // digest belongs to the entry the versions describe even while others
  // write. stat counts a dictionary's entries in O(1): never list it.
  auto r = c.batch([&k](batch_view& b) -> result<stat_info> {
    auto st = b.stat(k);
    if (!st)
      return std::move(st).error();
    auto d = b.digest(k);
    if (!d)
      return std::move(d).error();
    return stat_info{k, *st, *d};
  });
  if (!r)
    return report(r.error(), o);
  if (!*r)
    return report(r->error(), o);
  print_stat(**r, a.json, o.out);
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
    return get(c, k, a, o);
  if (cmd == "dump")
    return dump(c, k, o);
  if (cmd == "load")
    return load(c, k, stdin, o);
  if (is_write(a)) { // set, rm, mv: one path, conditional or not
    auto w = make_write(a, o, limit_of(c));
    if (!w.w)
      return w.exit;
    auto r = c.write(std::move(*w.w));
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
    auto r = a.at ? c.list_at(*a.at, k) : c.list(k);
    if (!r)
      return report(r.error(), o);
    auto form = a.json ? listing_form::json : a.nul ? listing_form::nul : listing_form::human;
    if (auto why = print_listing(*r, form, o.out); !why.empty()) {
      fmt::print(o.err, "kvmem: {}\n", why);
      return usage_error;
    }
    return ok;
  }
  if (cmd == "diff") {
    auto r = c.diff(a.v1, a.v2, k);
    if (!r)
      return report(r.error(), o);
    print_diff(*r, a.json, event_form{false, a.values}, o.out);
    return ok;
  }
  if (cmd == "checkpoint") {
    auto r = c.checkpoint();
    if (!r)
      return report(r.error(), o);
    fmt::print(o.out, "{}\n", *r);
    return ok;
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
