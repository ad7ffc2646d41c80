// RESP replies (internal): appends what a command answers to a
// connection's output, in RESP2 or, after HELLO 3, RESP3. The types RESP3
// adds (null, map, set, double, push) fall back to what Redis itself sends
// a RESP2 client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kvmem::detail::resp {

class reply_writer {
public:
  explicit reply_writer(std::string& out, int protocol = 2) : out_(&out), proto_(protocol) {}

  int protocol() const noexcept { return proto_; }
  std::string& buffer() noexcept { return *out_; }

  void simple(std::string_view s);      // +OK
  void error(std::string_view s);       // -ERR ... (the text must hold no CR or LF)
  void integer(long long n);            // :n
  void bulk(std::string_view s);        // $len ... (binary-safe)
  void null();                          // $-1 / _
  void null_array();                    // *-1 / _ (EXEC after a WATCH conflict)
  void array(std::size_t n);            // *n, then n replies
  void map(std::size_t pairs);          // %n / *2n, then 2n replies
  void set(std::size_t n);              // ~n / *n
  void push(std::size_t n);             // >n / *n
  void dbl(double d);                   // ,d / $ bulk of its text
  void ok() { simple("OK"); }

private:
  void header(char type, long long n);
  std::string* out_;
  int proto_;
};

} // namespace kvmem::detail::resp
