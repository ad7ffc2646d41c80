#include "block.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "text.hpp"

namespace kvmem::cli {

bool write_block::is_control(const std::string& word) {
  return word == "begin" || word == "commit" || word == "abort";
}

void write_block::reset() {
  open_ = false;
  failed_ = false;
  writes_.clear();
  writes_.shrink_to_fit(); // a block of a million writes leaves nothing behind
}

int write_block::control(const std::vector<std::string>& words, client& c, const output& o) {
  const auto& cmd = words[0];
  auto usage = [&](std::string_view why) {
    fmt::print(o.err, "kvmem: {}\n", why);
    return usage_error;
  };
  if (words.size() > 1)
    return usage(fmt::format("{}: unexpected argument \"{}\"", cmd, one_line(words[1])));
  if (cmd == "begin") {
    if (open_) {
      failed_ = true; // the script lost track of its blocks: write nothing
      return usage("begin inside begin ... commit (blocks do not nest)");
    }
    open_ = true;
    return ok;
  }
  if (!open_)
    return usage(fmt::format("{} without begin", cmd));
  if (cmd == "abort") {
    reset();
    return ok;
  }
  return commit(c, o);
}

int write_block::add(const parsed<command_args>& p, const output& o, const value_limit& limit) {
  if (!p.args) { // the parser printed help (exit ok) or an error
    failed_ = failed_ || p.exit != ok;
    return p.exit;
  }
  const auto& a = *p.args;
  if (a.name == "help") {
    std::fputs(help_text(), o.out);
    return ok;
  }
  if (!is_write(a)) {
    failed_ = true;
    fmt::print(o.err, "kvmem: {} between begin and commit: only set, rm and mv can be batched\n",
               a.name);
    return usage_error;
  }
  auto w = make_write(a, o, limit);
  if (!w.w) {
    failed_ = true;
    return w.exit;
  }
  if (!failed_)
    writes_.push_back(std::move(*w.w));
  return ok;
}

int write_block::commit(client& c, const output& o) {
  auto writes = std::move(writes_);
  bool failed = failed_;
  reset();
  if (failed) {
    fmt::print(o.err, "kvmem: commit: nothing written (a line since begin failed)\n");
    return usage_error;
  }
  // Only writes: the batch cannot conflict, so the body runs once (more
  // only under store_options::validation::by_version, and then the same).
  auto r = c.batch_version([&writes](batch_view& b) {
    for (const auto& w : writes)
      if (!b.write(w))
        return; // a batch limit: the batch fails with it
  });
  return r ? ok : report(r.error(), o);
}

int write_block::end(const output& o) {
  if (!open_)
    return ok;
  fmt::print(o.err, "kvmem: begin without commit: {} buffered write(s) discarded\n",
             writes_.size());
  reset();
  return usage_error;
}

} // namespace kvmem::cli
