// The interactive shell: the same commands, with line editing and history
// (libedit) on a terminal, plain line reading otherwise.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <editline/readline.h>
#include <fmt/format.h>

#include "block.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "modes.hpp"
#include "words.hpp"

namespace kvmem::cli {

namespace {

std::string history_file() {
  const char* home = std::getenv("HOME");
  return home ? std::string(home) + "/.kvmem_history" : std::string();
}

} // namespace

int shell(client& c, const std::string& where) {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  output o;
  o.for_person = true;
  o.server = where;
  line_parser parser;
  auto hist = history_file();
  if (tty) {
    fmt::print("kvmem shell connected to {}; 'help' lists commands, 'quit' leaves\n", where);
    using_history();
    if (!hist.empty())
      read_history(hist.c_str());
  }
  int last = ok;
  write_block block; // begin ... commit
  for (;;) {
    std::string line;
    if (tty) {
      char* raw = readline(block.open() ? "kvmem (begin)> " : "kvmem> ");
      if (!raw)
        break; // end of input (Ctrl-D)
      line = raw;
      std::free(raw);
      if (!line.empty())
        add_history(line.c_str());
    } else if (!std::getline(std::cin, line)) {
      break;
    }
    std::vector<std::string> words;
    if (!split_words(line, &words)) {
      fmt::print(stderr, "kvmem: unterminated quote\n");
      last = usage_error;
      continue;
    }
    if (words.empty())
      continue;
    if (words[0] == "quit" || words[0] == "exit")
      break;
    if (write_block::is_control(words[0])) {
      last = block.control(words, c, o);
      continue;
    }
    if (words[0] == "history" && tty) {
      for (int i = 1; i <= history_length; ++i)
        if (auto* h = history_get(i))
          fmt::print("{:5}  {}\n", i, h->line);
      continue;
    }
    auto p = parser.parse(words, stdout, stderr);
    if (block.open())
      last = block.add(p, o, limit_of(c));
    else
      last = p.args ? run_command(c, *p.args, o) : p.exit;
    std::fflush(stdout);
  }
  if (block.open())
    last = block.end(o);
  if (tty && !hist.empty())
    write_history(hist.c_str());
  return last;
}

} // namespace kvmem::cli
