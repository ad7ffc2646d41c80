// begin ... commit in the shell: the writes between them (set, rm, mv, with
// their conditions) are buffered and sent as one batch at commit, applied
// all or none as one new version (batch.hpp). A script's way to change
// several keys atomically, and to write many keys for one round trip
// instead of one each (~0.1-0.2 ms per command to a served store).
//
// A block is all or nothing from its first line: if any line inside it
// fails (does not parse, is not a write, names a file that cannot be read),
// commit writes nothing. docs/cli.md states the same for users.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <kvmem/client.hpp>
#include <kvmem/write_op.hpp>

#include "command_line.hpp"
#include "commands.hpp"

namespace kvmem::cli {

class write_block {
public:
  /// begin, commit and abort: the words the shell hands to control().
  static bool is_control(const std::string& word);

  /// True between begin and commit or abort.
  bool open() const noexcept { return open_; }

  /// Runs a control line (`words[0]` is begin, commit or abort): commit
  /// sends the batch on `c`. Errors (one line on o.err): begin inside a
  /// block, commit or abort outside one, surplus words (usage_error); what
  /// the store answered to the batch (report()). Returns the exit code.
  int control(const std::vector<std::string>& words, client& c, const output& o);

  /// A parsed line inside a block: buffers its write (reading set's value
  /// now), runs help, or marks the block failed (the parser's error, a
  /// command that is not a write, a file error). Returns the line's exit code.
  int add(const parsed<command_args>& p, const output& o, const value_limit& limit);

  /// The input ended (or quit came) inside a block: discards it and says
  /// so on o.err. Returns usage_error, or ok if no block is open.
  int end(const output& o);

private:
  int commit(client& c, const output& o);
  void reset();

  bool open_ = false;
  bool failed_ = false;
  std::vector<write_op> writes_;
};

} // namespace kvmem::cli
