#include "net/listening.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

namespace kvmem::detail::net {

bool resolves_to_loopback(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), "0", &hints, &found) != 0)
    return false;
  bool all = found != nullptr;
  for (auto* ai = found; ai != nullptr && all; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      auto a = ntohl(reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr.s_addr);
      all = (a >> 24) == 127;
    } else if (ai->ai_family == AF_INET6) {
      const auto& a = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
      all = IN6_IS_ADDR_LOOPBACK(&a) ||
            (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
    } else {
      all = false;
    }
  }
  ::freeaddrinfo(found);
  return all;
}

result<int> listen_on(const std::string& bind, std::uint16_t port, bool reuse) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(bind.c_str(), service.c_str(), &hints, &found); rc != 0)
    return error::make(errc::unavailable,
                       fmt::format("cannot listen on {}:{}: {}", bind, port, ::gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard{found, &::freeaddrinfo};
  std::string why = "no address";
  for (auto* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int one = 1;
    if (reuse)
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0)
      return fd;
    why = std::strerror(errno);
    ::close(fd);
  }
  return error::make(errc::unavailable, fmt::format("cannot listen on {}:{}: {}", bind, port, why));
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return 0;
  if (ss.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

} // namespace kvmem::detail::net
