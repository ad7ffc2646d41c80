#include "child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace bench {

std::optional<child_process> child_process::start(const std::vector<std::string>& argv,
                                                  bool capture_stdout) {
  int in[2], out[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0)
    return std::nullopt;
  if (capture_stdout && pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return std::nullopt;
  }
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls (the parent has threads).
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int devnull = capture_stdout ? -1 : open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Dies with its parent, even if the parent is killed.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(126);
    dup2(in[0], STDIN_FILENO);
    dup2(capture_stdout ? out[1] : devnull, STDOUT_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  if (capture_stdout)
    close(out[1]);
  if (devnull >= 0)
    close(devnull);
  if (pid < 0) {
    close(in[1]);
    if (capture_stdout)
      close(out[0]);
    return std::nullopt;
  }
  child_process c;
  c.pid_ = pid;
  c.in_ = in[1];
  c.out_ = capture_stdout ? out[0] : -1;
  return c;
}

child_process::child_process(child_process&& x) noexcept
  : pid_(x.pid_), in_(x.in_), out_(x.out_), reaped_(x.reaped_), buf_(std::move(x.buf_)) {
  x.pid_ = -1;
  x.in_ = x.out_ = -1;
}

bool child_process::alive() {
  if (pid_ < 0 || reaped_)
    return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_)
    reaped_ = true;
  return !reaped_;
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = buf_.find('\n'); nl != std::string::npos) {
      auto line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (out_ < 0 || left.count() <= 0)
      return std::nullopt;
    pollfd p{out_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue; // timeout (checked above) or EINTR
    char chunk[512];
    auto n = read(out_, chunk, sizeof chunk);
    if (n <= 0)
      return std::nullopt; // EOF: the child closed its stdout or exited
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
}

long child_process::rss_bytes() const { return pid_ < 0 || reaped_ ? -1 : rss_of(pid_); }

void child_process::stop() noexcept {
  if (in_ >= 0)
    close(in_);
  if (out_ >= 0)
    close(out_);
  in_ = out_ = -1;
  if (pid_ < 0 || reaped_)
    return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 200 && alive(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }
}

long rss_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  long size = 0, resident = 0;
  if (!(in >> size >> resident))
    return -1;
  return resident * sysconf(_SC_PAGESIZE);
}

std::optional<std::uint16_t> free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  std::optional<std::uint16_t> port;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{} : p.string();
}

std::string find_program(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::string s = path;
    for (std::size_t p = 0; p <= s.size();) {
      auto q = s.find(':', p);
      if (q == std::string::npos)
        q = s.size();
      if (q > p)
        dirs.push_back(s.substr(p, q - p));
      p = q + 1;
    }
  }
  dirs.push_back("/usr/bin");
  dirs.push_back("/usr/sbin");
  for (auto& d : dirs) {
    auto f = d + "/" + name;
    if (access(f.c_str(), X_OK) == 0)
      return f;
  }
  return {};
}

} // namespace bench
