// Child processes of the benchmark (a served kvmem store, redis-server):
// started with fork/exec, killed when the parent dies (PR_SET_PDEATHSIG) and
// when the handle is destroyed, whatever happened in between.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench {

class child_process {
public:
  /// Starts argv[0] (a path) with arguments argv[1..]. Its stdin is a pipe
  /// from this process (closed by stop(): a child may exit on EOF); its
  /// stdout is a pipe read by read_line() if `capture_stdout`, else
  /// /dev/null; stderr is inherited. Returns nullopt if fork fails; a failed
  /// exec shows as a child that exited (alive() false).
  static std::optional<child_process> start(const std::vector<std::string>& argv,
                                            bool capture_stdout);

  child_process(child_process&& x) noexcept;
  child_process& operator=(child_process&&) = delete;
  ~child_process() { stop(); }

  pid_t pid() const noexcept { return pid_; }
  /// True while the child has not exited.
  bool alive();
  /// One line of the child's stdout (without the newline), or nullopt on
  /// EOF, error or when `timeout` passed.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  /// Resident memory of the child in bytes (/proc/<pid>/statm), -1 if gone.
  long rss_bytes() const;
  /// Closes its stdin, sends SIGTERM, waits up to 2 s, then SIGKILL; reaps it.
  void stop() noexcept;

private:
  child_process() = default;
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1; // our ends of its stdin and stdout
  bool reaped_ = false;
  std::string buf_;        // read ahead from its stdout
};

/// The resident memory of process `pid` in bytes, -1 if unreadable.
long rss_of(pid_t pid);

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
std::optional<std::uint16_t> free_loopback_port();

/// The path of this executable (/proc/self/exe resolved).
std::string self_exe();

/// The path of `name` on $PATH (or in /usr/bin, /usr/sbin), or "".
std::string find_program(const std::string& name);

} // namespace bench
