// Parsing the kvmem command line and the shell's lines with CLI11 (the only
// translation unit that includes it: it is a large header-only library).
//
// Every option value is checked by the strict parsers of values.hpp, and an
// error names the option: `--port: expected a number from 0 to 65535, got
// "70000"`. Errors and help go to the given streams; nothing here exits.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"

namespace kvmem::cli {

/// The result of parsing: the arguments to act on, or the exit code to stop
/// with (0 after printing help, usage_error after printing an error).
template <class Args> struct parsed {
  std::optional<Args> args;
  int exit = ok;
};

/// Parses `kvmem [OPTIONS] [serve OPTIONS | COMMAND ARGS]`, including
/// $KVMEM_CONNECT when --connect is absent.
parsed<main_args> parse_command_line(int argc, const char* const* argv);

/// Parses the words of shell lines ("get /a", "ls --json"). Keeps one
/// parser for the whole session.
class line_parser {
public:
  line_parser();
  ~line_parser();
  line_parser(const line_parser&) = delete;
  line_parser& operator=(const line_parser&) = delete;

  /// Help goes to `out`, errors (one line) to `err`.
  parsed<command_args> parse(const std::vector<std::string>& words, std::FILE* out, std::FILE* err);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace kvmem::cli
