// The kvmem command-line client's commands (one-shot and shell share them).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <kvmem/client.hpp>

namespace kvmem::cli {

/// Exit codes: what a script can tell apart.
enum exit_code : int {
  ok = 0,
  store_error = 1,  // the store answered with an error (mirage wording)
  usage_error = 2,  // unknown command, bad arguments, bad key
  connection_error = 3, // refused, unreachable, lost
};

/// Where a command writes. `raw_values`: `get` writes the value's bytes
/// exactly (one-shot mode); otherwise followed by a newline (shell).
struct output {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  bool raw_values = true;
};

/// Runs one command (args[0] is its name) against `c`; returns an exit code.
/// Errors are one line on `o.err`.
int run_command(client& c, const std::vector<std::string>& args, const output& o);

/// The help text.
const char* help_text();

/// Splits a shell line into words: whitespace separates, '...' and "..."
/// quote, backslash escapes the next character. Returns false on an
/// unterminated quote.
bool split_words(const std::string& line, std::vector<std::string>* words);

} // namespace kvmem::cli
