#include "net/peer_process.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace kvmem::detail::net {

namespace {

// An address as /proc/net/tcp{,6} prints it: each 32-bit word of the
// address as it lies in memory, in %08X, then ':' and the port in %04X.
std::string proc_address(const sockaddr_storage& ss) {
  char buf[64];
  if (ss.ss_family == AF_INET) {
    auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    std::snprintf(buf, sizeof buf, "%08X:%04X", a.sin_addr.s_addr, ntohs(a.sin_port));
    return buf;
  }
  auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
  std::uint32_t w[4];
  std::memcpy(w, &a.sin6_addr, sizeof w);
  std::snprintf(buf, sizeof buf, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], ntohs(a.sin6_port));
  return buf;
}

// The inode of the socket whose local end is `local` and remote end
// `remote`, from one of /proc/net/tcp{,6}.
std::optional<std::string> socket_inode(const char* table, const std::string& local,
                                        const std::string& remote) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line); // the header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string slot, l, r, state, queues, timer, retr, uid, timeout, inode;
    if (!(f >> slot >> l >> r >> state >> queues >> timer >> retr >> uid >> timeout >> inode))
      continue;
    if (l == local && r == remote)
      return inode;
  }
  return std::nullopt;
}

} // namespace

ownership process_holds_peer(int fd, std::uint32_t pid) {
  sockaddr_storage ours{}, theirs{};
  socklen_t len = sizeof ours;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ours), &len) != 0)
    return ownership::unknown;
  len = sizeof theirs;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&theirs), &len) != 0)
    return ownership::unknown;
  if (ours.ss_family != theirs.ss_family ||
      (ours.ss_family != AF_INET && ours.ss_family != AF_INET6))
    return ownership::unknown;
  // The peer's socket: its local end is our remote one.
  auto inode = socket_inode(ours.ss_family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6",
                            proc_address(theirs), proc_address(ours));
  if (!inode || *inode == "0")
    return ownership::unknown; // another network namespace, or a socket being torn down
  auto want = "socket:[" + *inode + "]";
  auto dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr)
    return errno == ENOENT ? ownership::does_not : ownership::unknown;
  auto result = ownership::does_not;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] == '.')
      continue;
    char target[64];
    auto path = dir + "/" + e->d_name;
    auto n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n > 0 && want.compare(0, want.size(), target, static_cast<std::size_t>(n)) == 0 &&
        static_cast<std::size_t>(n) == want.size()) {
      result = ownership::holds;
      break;
    }
  }
  ::closedir(d);
  return result;
}

} // namespace kvmem::detail::net
