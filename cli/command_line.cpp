#include "command_line.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "text.hpp"

namespace kvmem::cli {

namespace {

// Validators: CLI11 runs them on the option's text before converting it and
// prefixes their message with the option's name. Numbers are rewritten in
// canonical decimal so that CLI11's own conversion (base 0: "010" would be
// octal) sees nothing it could misread.
CLI::Validator number(std::uint64_t lo, std::uint64_t hi, std::string what = "a number") {
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        auto v = parse_uint(s, lo, hi);
        if (!v)
          return fmt::format("expected {} from {} to {}, got \"{}\"", what, lo, hi, s);
        s = std::to_string(*v);
        return {};
      },
      fmt::format("{}..{}", lo, hi));
}

CLI::Validator version_value() {
  return number(0, std::numeric_limits<version_t>::max(), "a version");
}

CLI::Validator size_value() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        auto v = parse_size(s);
        if (!v)
          return fmt::format("expected a size in bytes (e.g. 1048576, 64MiB, 2GB or unlimited), "
                             "got \"{}\"",
                             s);
        s = std::to_string(*v);
        return {};
      },
      "SIZE");
}

CLI::Validator duration_value(std::uint64_t hi_ms) {
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        auto d = parse_duration(s);
        if (!d || static_cast<std::uint64_t>(d->count()) > hi_ms)
          return fmt::format("expected a duration with a unit (ms, s, m, h or d: e.g. 30s, 5m) "
                             "of at most {}d, got \"{}\"",
                             hi_ms / 86'400'000, s);
        s = std::to_string(d->count()); // milliseconds, for the option's callback
        return {};
      },
      "DURATION");
}

CLI::Validator endpoint_value() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        std::string why;
        return parse_endpoint(s, &why) ? std::string() : fmt::format("{} in \"{}\"", why, s);
      },
      "HOST:PORT");
}

CLI::Validator key_value() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return !s.empty() && s[0] == '/'
                   ? std::string()
                   : fmt::format("bad key \"{}\": keys are absolute paths like /a/b", s);
      },
      "KEY");
}

CLI::Validator nonempty_path() {
  return CLI::Validator(
      [](std::string& s) { return s.empty() ? std::string("empty path") : std::string(); }, "");
}

// --if-version V and, unless `absent_too` is false, --if-absent (exclusive):
// the condition of a write, about `what` ("KEY", or "SRC" for mv).
void add_condition(CLI::App* sub, command_args& a, const char* what, bool absent_too) {
  auto* version =
      sub->add_option_function<std::uint64_t>(
             "--if-version", [&a](const std::uint64_t& v) { a.condition = expect::modified(v); },
             fmt::format("only if {}'s modified version (see stat) is V; else exit code 4", what))
          ->option_text("V")
          ->transform(version_value());
  if (absent_too)
    sub->add_flag_callback(
           "--if-absent", [&a] { a.condition = expect::none(); },
           fmt::format("only if {} is absent; else exit code 4", what))
        ->excludes(version);
}

// get --at V, ls --at V: read the store as it was at version V.
void add_at(CLI::App* sub, command_args& a) {
  sub->add_option_function<std::uint64_t>(
         "--at", [&a](const std::uint64_t& v) { a.at = v; },
         "read the store as it was at version V (kept by serve --history; else exit code 1)")
      ->option_text("V")
      ->transform(version_value());
}

// diff and watch: the events' form.
void add_event_flags(CLI::App* sub, command_args& a, const char* json_what) {
  sub->add_flag("--json", a.json, json_what);
  sub->add_flag("--values", a.values, "also print the values set (escaped, or in JSON)");
}

void add_tls(CLI::App& app, tls_options& tls) {
  auto file = [&](const char* name, std::string& to, const char* what) {
    app.add_option(name, to, what)->option_text("FILE")->check(CLI::ExistingFile);
  };
  file("--tls-cert", tls.certificate, "this node's certificate (PEM); mutual TLS");
  file("--tls-key", tls.key, "its private key (PEM)");
  file("--tls-ca", tls.cafile, "the CA that signs the peers' certificates (PEM)");
}

// The store commands, as subcommands of `app`, all writing into `a`.
void add_commands(CLI::App& app, command_args& a) {
  auto cmd = [&](const char* name, const char* what) {
    auto* sub = app.add_subcommand(name, what);
    sub->fallthrough(); // `kvmem get /a --connect h:p` works too
    return sub;
  };
  auto key = [&](CLI::App* sub, const char* name, std::string& to) {
    return sub->add_option(name, to, "an absolute path: /a/b")->check(key_value());
  };
  auto* get = cmd("get", "print the value (raw bytes)");
  key(get, "KEY", a.key1)->required();
  add_at(get, a);
  auto* set = cmd("set", "bind KEY to VALUE, to standard input (-) or to a file's contents");
  key(set, "KEY", a.key1)->required();
  auto* value = set->add_option("VALUE", a.value, "the value; - reads standard input");
  set->add_option("--file", a.file, "read the value from this file")
      ->option_text("PATH")
      ->check(nonempty_path())
      ->excludes(value);
  add_condition(set, a, "KEY", true);
  auto* rm = cmd("rm", "remove a value or a whole dictionary");
  key(rm, "KEY", a.key1)->required();
  add_condition(rm, a, "KEY", true);
  key(cmd("exists", "print value, dictionary or absent"), "KEY", a.key1)->required();
  auto* stat = cmd("stat", "kind, size or entries, last modified (RFC 3339), versions, digest");
  key(stat, "KEY", a.key1)->required();
  stat->add_flag("--json", a.json, "one JSON object");
  key(cmd("digest", "SHA-256 (values) or Merkle digest (dictionaries), hex"), "KEY", a.key1)
      ->required();
  auto* ls = cmd("ls", "list a dictionary (default /): kind and key per line, escaped");
  key(ls, "KEY", a.key1);
  auto* json = ls->add_flag("--json", a.json, "one JSON array of {kind, key}");
  ls->add_flag("-0,--null", a.nul, "KIND<tab>KEY records ended by NUL, keys raw")->excludes(json);
  add_at(ls, a);
  auto* mv = cmd("mv", "rename (mirage-kv semantics)");
  key(mv, "SRC", a.key1)->required();
  key(mv, "DST", a.key2)->required();
  add_condition(mv, a, "SRC", false); // SRC must exist: --if-absent could never hold
  cmd("info", "the store's version, bytes used, capacity, pinned snapshots, journal and "
             "checkpoint")
      ->add_flag("--json", a.json, "one JSON object");
  cmd("checkpoint", "write a checkpoint of the store now (serve --dir) and print its version");
  key(cmd("dump", "write the subtree at PREFIX (default /) to stdout (docs/cli.md)"), "PREFIX",
      a.key1);
  key(cmd("load", "read a dump from stdin and write it under PREFIX (default /)"), "PREFIX",
      a.key1);
  auto* diff = cmd("diff", "what changed under PREFIX (default /) from version V1 to V2");
  for (auto [name, to] : {std::pair{"V1", &a.v1}, std::pair{"V2", &a.v2}})
    diff->add_option(name, *to, "a version kept by serve --history (or the current one)")
        ->required()
        ->transform(version_value());
  key(diff, "PREFIX", a.key1);
  add_event_flags(diff, a, "one JSON array of {op, kind, key...}");
  auto* watch = cmd("watch", "print the changes under PREFIX as they happen, until interrupted");
  key(watch, "PREFIX", a.key1)->required();
  watch
      ->add_option_function<std::uint64_t>(
          "--from", [&a](const std::uint64_t& v) { a.from = v; },
          "start after version V (resume: the last version printed); default: now")
      ->option_text("V")
      ->transform(version_value());
  watch
      ->add_option("--window", a.window,
                   "most deliveries in flight before the store coalesces them (default 16)")
      ->option_text("N")
      ->transform(number(1, std::numeric_limits<std::uint32_t>::max()));
  add_event_flags(watch, a, "one JSON object per line: the start, then each delivery");
  cmd("help", "the list of commands");
}

// Parses `args` (in order) with `app`; a reversed copy is what CLI11 wants.
// Returns the exit code to stop with, or nullopt to go on.
std::optional<int> run_parser(CLI::App& app, const std::vector<std::string>& args, std::FILE* out,
                              std::FILE* err, std::string_view help_hint) {
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    std::ostringstream help, ignored;
    app.exit(e, help, ignored); // the help of the subcommand that asked
    fmt::print(out, "{}", help.str());
    return ok;
  } catch (const CLI::ParseError& e) {
    fmt::print(err, "kvmem: {} ({})\n", one_line(e.what()), help_hint);
    return usage_error;
  }
}

// Arguments no option or command took (app.allow_extras() collects them, so
// that the message can say what they are): an error naming the first.
std::string check_extras(CLI::App& app) {
  auto extras = app.remaining(true);
  // With allow_extras, CLI11 2.1 files a "--" it honoured among the extras.
  extras.erase(std::remove(extras.begin(), extras.end(), "--"), extras.end());
  if (extras.empty())
    return {};
  const auto& x = extras.front();
  auto subs = app.get_subcommands();
  bool option = x.size() > 1 && x[0] == '-';
  if (option && !subs.empty() && subs[0]->get_name() == "set")
    return fmt::format("unknown option \"{}\" (a VALUE that starts with '-' goes after '--': "
                       "set KEY -- {})",
                       x, x);
  if (option && !subs.empty() && subs[0]->get_name() == "mv" && x == "--if-absent")
    return "mv has no --if-absent: its condition is about SRC, which mv needs to exist "
           "(there is no condition on DST)";
  if (option)
    return fmt::format("unknown option \"{}\"", x);
  if (subs.empty() && (x == "begin" || x == "commit" || x == "abort"))
    return fmt::format("{} works in the shell only (kvmem with no command)", x);
  if (subs.empty())
    return fmt::format("unknown command \"{}\"", x);
  auto cmd = subs[0]->get_name();
  return fmt::format("{}: unexpected argument \"{}\"", cmd, x);
}

void command_name(CLI::App& app, command_args& a) {
  auto subs = app.get_subcommands();
  a.name = subs.empty() ? std::string() : subs[0]->get_name();
}

// Checks what CLI11 cannot express; returns an error, or "".
std::string check_command(CLI::App& app, const command_args& a) {
  if (auto why = check_extras(app); !why.empty())
    return why;
  if (a.name == "set") {
    auto* set = app.get_subcommand("set");
    if (set->count("VALUE") == 0 && set->count("--file") == 0)
      return "set needs a VALUE, - (standard input) or --file PATH";
  }
  return {};
}

} // namespace

parsed<main_args> parse_command_line(int argc, const char* const* argv) {
  main_args a;
  CLI::App app{"kvmem: a command-line client and server for kvmem stores.\n"
               "With no command: an interactive shell. Exit codes: 0 ok, 1 store error,\n"
               "2 usage or file error, 3 connection error, 4 a condition (--if-version,\n"
               "--if-absent) failed. See docs/cli.md.",
               "kvmem"};
  app.require_subcommand(0, 1);
  std::string connect;
  std::uint64_t timeout = 0, connect_timeout = 0;
  app.add_option("--connect", connect,
                 fmt::format("the store's address (default $KVMEM_CONNECT, else 127.0.0.1:{})",
                             default_port))
      ->option_text("HOST:PORT")
      ->check(endpoint_value());
  app.add_option("--timeout", timeout, "the longest wait for a command's reply (default 30000)")
      ->option_text("MS")
      ->transform(number(min_timeout_ms, max_timeout_ms, "milliseconds"));
  app.add_option("--connect-timeout", connect_timeout,
                 "the longest wait for connecting (default 5000, or --timeout if smaller)")
      ->option_text("MS")
      ->transform(number(min_timeout_ms, max_timeout_ms, "milliseconds"));
  add_tls(app, a.client.tls);

  auto& s = a.server;
  auto* serve = app.add_subcommand("serve", "serve a store until SIGINT or SIGTERM");
  serve
      ->add_option("--port", s.port,
                   fmt::format("the port (default {}; 0: any free port)", default_port))
      ->transform(number(0, 65535));
  serve->add_option("--bind", s.bind, "the address to listen on (default 127.0.0.1)")
      ->option_text("ADDR");
  serve->add_option("--capacity", s.capacity, "the most bytes stored (default unlimited)")
      ->option_text("SIZE")
      ->transform(size_value());
  serve
      ->add_option("--max-batch-bytes", s.max_batch_bytes,
                   "the most bytes of keys and data one write or batch may make (default 1GiB)")
      ->option_text("SIZE")
      ->transform(size_value());
  serve
      ->add_option("--history", s.history_versions,
                   "keep the last N versions for get --at, ls --at, diff, watch --from "
                   "(default 0)")
      ->option_text("N")
      ->transform(number(0, max_history_versions));
  serve
      ->add_option_function<std::uint64_t>(
          "--history-age",
          [&s](const std::uint64_t& ms) {
            s.history_age = std::chrono::milliseconds(static_cast<std::int64_t>(ms));
          },
          "also keep the versions younger than this, e.g. 30s, 5m (default 0s)")
      ->option_text("DURATION")
      ->transform(duration_value(max_history_age_ms));
  auto* dir = serve->add_option("--dir", s.dir,
                    "keep the store in this directory: journal and checkpoints, recovered at "
                    "start (default: in memory only)")
      ->option_text("DIR")
      ->check(nonempty_path());
  serve
      ->add_option_function<std::string>(
          "--sync",
          [&s](const std::string& p) { s.sync = *parse_sync_policy(p); },
          "with --dir: always (acknowledged = on disk), interval (on disk within "
          "--sync-interval), none (the OS decides); default always")
      ->option_text("POLICY")
      ->check(CLI::IsMember({"always", "interval", "none"}))
      ->needs(dir);
  serve
      ->add_option_function<std::uint64_t>(
          "--sync-interval",
          [&s](const std::uint64_t& ms) {
            s.sync_interval = std::chrono::milliseconds(static_cast<std::int64_t>(ms));
          },
          "with --sync interval: the longest time before a write is on disk (default 1s)")
      ->option_text("DURATION")
      ->transform(duration_value(3'600'000))
      ->needs(dir);
  serve
      ->add_option("--checkpoint-bytes", s.checkpoint_bytes,
                   "with --dir: checkpoint once the journal grew this much (default 256MiB; "
                   "0: only on request)")
      ->option_text("SIZE")
      ->transform(size_value())
      ->needs(dir);
  serve->add_flag("--recover-to-damage", s.recover_to_damage,
                  "with --dir: if a store file is damaged before its end, recover up to the "
                  "damage instead of refusing to start (copy the directory first)")
      ->needs(dir);
  serve->add_flag("--insecure-unguarded-tls", s.insecure_unguarded_tls,
                  "serve over TLS although CAF's TLS transport has no guard (every "
                  "certificate holder trusted)");
  auto* resp_port = serve->add_option("--resp-port", s.resp_port,
                                     "also serve the store over RESP (Redis's protocol) on this "
                                     "port (0: any free port; docs/resp.md)")
                        ->option_text("P")
                        ->transform(number(0, 65535));
  serve->add_option("--resp-password", s.resp_password,
                    "clients of the RESP port must AUTH with this (needed to --bind a "
                    "non-loopback address without --insecure-nonlocal)")
      ->option_text("PASS")
      ->needs(resp_port);
  serve->add_flag("--resp-only", s.resp_only, "serve RESP only: no CAF port")->needs(resp_port);
  serve->add_flag("--insecure-nonlocal", s.insecure_nonlocal,
                  "allow a non-loopback --bind without TLS (trusted networks only)");
  add_tls(*serve, s.tls);
  add_commands(app, a.command);
  app.allow_extras(); // after the subcommands, which must not inherit it

  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto rc = run_parser(app, args, stdout, stderr, "try 'kvmem --help'"))
    return {std::nullopt, *rc};
  command_name(app, a.command);
  auto fail = [](std::string_view what) {
    fmt::print(stderr, "kvmem: {}\n", one_line(what));
    return parsed<main_args>{std::nullopt, usage_error};
  };
  if (auto why = check_command(app, a.command); !why.empty())
    return fail(why);
  a.serve = serve->parsed();
  if (a.serve) {
    for (auto* opt :
         {"--connect", "--timeout", "--connect-timeout", "--tls-cert", "--tls-key", "--tls-ca"})
      if (app.count(opt) > 0)
        return fail(fmt::format("{} before 'serve' is a client option; serve's own options "
                                "follow 'serve' (try 'kvmem serve --help')",
                                opt));
    return {std::move(a), ok};
  }
  std::string why;
  if (!connect.empty()) {
    a.client.where = *parse_endpoint(connect, &why); // checked by the validator
  } else if (const char* env = std::getenv("KVMEM_CONNECT"); env && *env) {
    auto e = parse_endpoint(env, &why);
    if (!e)
      return fail(fmt::format("KVMEM_CONNECT: {} in \"{}\"", why, env));
    a.client.where = *e;
  }
  if (app.count("--timeout") > 0)
    a.client.call_timeout = std::chrono::milliseconds(timeout);
  if (app.count("--connect-timeout") > 0)
    a.client.connect_timeout = std::chrono::milliseconds(connect_timeout);
  return {std::move(a), ok};
}

struct line_parser::impl {
  CLI::App app{"Commands of the kvmem shell; also: history, quit, exit.", ""};
  command_args args;
  impl() {
    app.require_subcommand(0, 1); // no command: check_extras says what the word was
    add_commands(app, args);
    app.allow_extras();
  }
};

line_parser::line_parser() : impl_(std::make_unique<impl>()) {}
line_parser::~line_parser() = default;

parsed<command_args> line_parser::parse(const std::vector<std::string>& words, std::FILE* out,
                                        std::FILE* err) {
  auto& a = impl_->args;
  a = {}; // CLI11 leaves the variables of absent options alone
  if (auto rc = run_parser(impl_->app, words, out, err, "try 'help'"))
    return {std::nullopt, *rc};
  command_name(impl_->app, a);
  if (a.name == "watch") {
    fmt::print(err, "kvmem: watch runs until interrupted: use it from the command line "
                    "(kvmem watch PREFIX), not in the shell\n");
    return {std::nullopt, usage_error};
  }
  if (auto why = check_command(impl_->app, a); !why.empty()) {
    fmt::print(err, "kvmem: {}\n", one_line(why));
    return {std::nullopt, usage_error};
  }
  return {a, ok};
}

} // namespace kvmem::cli
