#include "resp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

namespace bench {

std::optional<resp_client> resp_client::connect(std::uint16_t port,
                                                std::chrono::milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return std::nullopt;
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return std::nullopt;
  }
  return resp_client{fd};
}

resp_client::resp_client(resp_client&& x) noexcept
  : fd_(x.fd_), out_(std::move(x.out_)), in_(std::move(x.in_)), pos_(x.pos_) {
  x.fd_ = -1;
}

resp_client::~resp_client() {
  if (fd_ >= 0)
    close(fd_);
}

void resp_client::queue(std::initializer_list<std::string_view> args) {
  out_ += '*';
  out_ += std::to_string(args.size());
  out_ += "\r\n";
  for (auto a : args) {
    out_ += '$';
    out_ += std::to_string(a.size());
    out_ += "\r\n";
    out_ += a;
    out_ += "\r\n";
  }
}

bool resp_client::send_queued() {
  std::size_t done = 0;
  while (done < out_.size()) {
    auto n = send(fd_, out_.data() + done, out_.size() - done, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    done += static_cast<std::size_t>(n);
  }
  out_.clear();
  return true;
}

bool resp_client::fill() {
  if (pos_ > 0 && pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  }
  char chunk[16384];
  auto n = recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0)
    return false; // closed, error or SO_RCVTIMEO
  in_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::string> resp_client::read_line() {
  for (;;) {
    auto crlf = in_.find("\r\n", pos_);
    if (crlf != std::string::npos) {
      auto line = in_.substr(pos_, crlf - pos_);
      pos_ = crlf + 2;
      return line;
    }
    if (!fill())
      return std::nullopt;
  }
}

std::optional<resp_client::reply> resp_client::read_reply() {
  auto line = read_line();
  if (!line || line->empty())
    return std::nullopt;
  reply r;
  r.type = (*line)[0];
  r.text = line->substr(1);
  auto number = [&]() -> std::optional<long long> {
    long long v = 0;
    auto [p, ec] = std::from_chars(r.text.data(), r.text.data() + r.text.size(), v);
    if (ec != std::errc{} || p != r.text.data() + r.text.size())
      return std::nullopt;
    return v;
  };
  switch (r.type) {
    case '+':
    case '-':
    case ':':
      return r;
    case '$': {
      auto len = number();
      if (!len || *len < -1 || *len > (512LL << 20))
        return std::nullopt;
      r.text.clear();
      if (*len == -1) {
        r.null = true;
        return r;
      }
      auto need = static_cast<std::size_t>(*len) + 2;
      while (in_.size() - pos_ < need)
        if (!fill())
          return std::nullopt;
      r.text.assign(in_, pos_, static_cast<std::size_t>(*len));
      pos_ += need;
      return r;
    }
    case '*': {
      auto len = number();
      if (!len || *len < -1 || *len > 1'000'000)
        return std::nullopt;
      r.null = *len == -1;
      for (long long i = 0; i < *len; ++i) {
        auto e = read_reply();
        if (!e)
          return std::nullopt;
        r.elems.push_back(std::move(*e));
      }
      return r;
    }
    default:
      return std::nullopt;
  }
}

std::optional<resp_client::reply> resp_client::call(std::initializer_list<std::string_view> args) {
  queue(args);
  if (!send_queued())
    return std::nullopt;
  return read_reply();
}

std::optional<std::string> resp_client::get(std::string_view k) {
  auto r = call({"GET", k});
  if (!r || r->type != '$' || r->null)
    return std::nullopt;
  return std::move(r->text);
}

bool resp_client::set(std::string_view k, std::string_view v) {
  auto r = call({"SET", k, v});
  return r && r->type == '+';
}

bool resp_client::set_all(const std::vector<std::string>& keys, std::string_view value,
                          std::size_t per_pipeline) {
  for (std::size_t b = 0; b < keys.size(); b += per_pipeline) {
    auto end = std::min(b + per_pipeline, keys.size());
    for (std::size_t i = b; i < end; ++i)
      queue({"SET", keys[i], value});
    if (!send_queued())
      return false;
    for (std::size_t i = b; i < end; ++i)
      if (auto r = read_reply(); !r || r->type != '+')
        return false;
  }
  return true;
}

} // namespace bench
