// An actor system able to serve and reach remote stores, raw sockets, and
// child processes, for the remote tests.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "kvmem/client.hpp"
#include "kvmem/remote.hpp"

extern char** environ;

namespace test {

inline kvmem::key K(std::string_view s) { return kvmem::key::v(s); }

/// Options for stores that tests serve over the network: on the scheduler
/// (see remote_test.cpp).
inline const kvmem::store_options served{.detached = false};

/// One node: an actor system with CAF's middleman and kvmem's types.
struct node {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    kvmem::enable_remote(cfg).value();
    return cfg;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};
};

/// A store served on a loopback port (guarded, its log lines kept in
/// `log`), with one client of it on another node: what the tests that send
/// a server hostile bytes start from.
struct logged_server {
  node server;
  kvmem::store st = kvmem::spawn_store(server.sys, kvmem::system_clock{}, test::served);
  std::vector<std::string> log;
  std::mutex log_m;
  kvmem::serve_options opts;
  std::uint16_t port = kvmem::publish(server.sys, st, 0, opts).value();
  node client_node;
  kvmem::store remote = kvmem::remote_store(client_node.sys, "127.0.0.1", port).value();
  kvmem::client c{client_node.sys, remote};

  logged_server() : logged_server(kvmem::serve_options{}) {}
  /// Served with `o` (its log replaced by `log`).
  explicit logged_server(kvmem::serve_options o) : opts(logged(std::move(o))) {}
  logged_server(const logged_server&) = delete;
  logged_server& operator=(const logged_server&) = delete;

  kvmem::serve_options logged(kvmem::serve_options o) {
    o.log = [this](const std::string& line) {
      std::lock_guard g{log_m};
      log.push_back(line);
    };
    return o;
  }
  std::string last_log() {
    std::lock_guard g{log_m};
    return log.empty() ? std::string{} : log.back();
  }

  ~logged_server() {
    kvmem::unpublish(server.sys, st, port);
    caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
  }
};

/// A TCP connection to 127.0.0.1:port, or -1.
inline int tcp_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// A socket listening on 127.0.0.1 at a free port (set in `port`).
inline int listen_loopback(std::uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1) != 0)
    return -1;
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

/// Writes all of s (false if the peer closed first).
inline bool send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    auto n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

/// Reads until the peer closes the connection or `wait` passes; returns
/// true if it closed (reset included).
inline bool closed_by_peer(int fd, std::chrono::milliseconds wait) {
  auto until = std::chrono::steady_clock::now() + wait;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      return true;
  }
}

/// Sends `bytes` to 127.0.0.1:port from a child process (another process
/// id, as another program on this host would be) and returns whether the
/// server closed that connection within `wait`.
inline bool closed_for_other_process(std::uint16_t port, const std::string& bytes,
                                     std::chrono::milliseconds wait) {
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only system calls from here: the parent has threads.
    int fd = tcp_to(port);
    if (fd < 0 || !send_all(fd, bytes))
      ::_exit(2);
    ::_exit(closed_by_peer(fd, wait) ? 0 : 1);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid)
    return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// Waits until fd has something to read (or the peer closed it), for at
/// most `wait`; true if so. Reads nothing.
inline bool readable(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
}

/// Bytes that arrived at established TCP connections whose local port is
/// `port` (a server's side of its connections) and that no one has read yet,
/// as the kernel reports them (/proc/net/tcp and tcp6): what a stopped
/// server has been sent.
inline std::size_t unread_at(std::uint16_t port) {
  std::size_t total = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line); // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues;
      if (!(fields >> slot >> local >> remote >> state >> queues))
        continue;
      auto colon = local.rfind(':');
      auto split = queues.find(':');
      if (state != "01" || colon == std::string::npos || split == std::string::npos) // 01: established
        continue;
      if (std::stoul(local.substr(colon + 1), nullptr, 16) == port)
        total += std::stoul(queues.substr(split + 1), nullptr, 16); // tx_queue:rx_queue
    }
  }
  return total;
}

/// A child process with pipes to its stdin, stdout and stderr; killed (if
/// still running) and reaped on destruction.
struct child {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1;

  explicit child(const std::vector<std::string>& args) {
    int pin[2], pout[2], perr[2];
    if (::pipe2(pin, O_CLOEXEC) != 0 || ::pipe2(pout, O_CLOEXEC) != 0 ||
        ::pipe2(perr, O_CLOEXEC) != 0)
      return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pin[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, pout[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, perr[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0)
      pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(pin[0]);
    ::close(pout[1]);
    ::close(perr[1]);
    in = pin[1];
    out = pout[0];
    err = perr[0];
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  ~child() {
    close_stdin();
    if (pid > 0 && !exited_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    for (int fd : {out, err})
      if (fd >= 0)
        ::close(fd);
  }

  void close_stdin() {
    if (in >= 0)
      ::close(in);
    in = -1;
  }

  /// The next line of stdout (without '\n'), or "" at EOF or after `wait`.
  std::string line(std::chrono::milliseconds wait = std::chrono::seconds(30)) {
    std::string s;
    char c;
    auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{out, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0)
        continue;
      if (::read(out, &c, 1) != 1 || c == '\n')
        return s;
      s += c;
    }
    return s;
  }

  /// Everything the child wrote to stderr so far (non-blocking).
  std::string stderr_text() {
    int flags = ::fcntl(err, F_GETFL);
    ::fcntl(err, F_SETFL, flags | O_NONBLOCK);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(err, buf, sizeof buf)) > 0)
      err_text_.append(buf, static_cast<std::size_t>(n));
    return err_text_;
  }

  /// Waits for the child to exit; its exit status (128 + signal if killed).
  int wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  /// Non-blocking: true (and `status` set) once the child has exited.
  bool done(int& status) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) != pid)
      return false;
    exited_ = true;
    status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
  }

private:
  bool exited_ = false;
  std::string err_text_;
};

} // namespace test
