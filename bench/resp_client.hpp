// A minimal blocking Redis client: RESP2 over one plain TCP socket
// (TCP_NODELAY), one request and its reply at a time, plus pipelined SETs
// for loading. It is the Redis counterpart of kvmem::client in the NET rows:
// the least a client of Redis can do per request (format, one send, one
// receive, parse), so the comparison is with Redis's server, not with a
// heavy client library. Every read has a deadline (SO_RCVTIMEO).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

class resp_client {
public:
  /// Connects to 127.0.0.1:port; nullopt if that fails.
  static std::optional<resp_client> connect(std::uint16_t port, std::chrono::milliseconds timeout);
  resp_client(resp_client&& x) noexcept;
  resp_client& operator=(resp_client&&) = delete;
  ~resp_client();

  /// One reply: its type ('+', '-', ':', '$', '*'), its text (a simple
  /// string, an error, an integer, a bulk string), or elements (an array).
  /// A null bulk string has type '$' and null = true.
  struct reply {
    char type = 0;
    bool null = false;
    std::string text;
    std::vector<reply> elems;
  };

  /// Sends one command and waits for its reply; nullopt on a broken
  /// connection, a timeout or a malformed reply.
  std::optional<reply> call(std::initializer_list<std::string_view> args);
  /// GET: the value (nullopt if absent or on failure).
  std::optional<std::string> get(std::string_view k);
  /// SET: true on +OK.
  bool set(std::string_view k, std::string_view v);

  /// SETs every key of `keys` to `value`, in pipelines of `per_pipeline`
  /// (one write, then their replies); false on a reply other than +OK, a
  /// broken connection or a timeout. Loads a dataset into either server.
  bool set_all(const std::vector<std::string>& keys, std::string_view value,
               std::size_t per_pipeline);

  /// Queues a command without sending it; send_queued() sends them all in
  /// one write, then read_reply() reads their replies in order.
  void queue(std::initializer_list<std::string_view> args);
  bool send_queued();
  std::optional<reply> read_reply();

private:
  explicit resp_client(int fd) : fd_(fd) {}
  bool fill();                             // reads more into in_
  std::optional<std::string> read_line();  // up to CRLF
  int fd_ = -1;
  std::string out_, in_;
  std::size_t pos_ = 0; // parsed up to here in in_
};

} // namespace bench
