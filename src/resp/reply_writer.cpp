#include "resp/reply_writer.hpp"

#include <charconv>
#include <cmath>

namespace kvmem::detail::resp {

void reply_writer::header(char type, long long n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out_->push_back(type);
  out_->append(buf, r.ptr);
  out_->append("\r\n", 2);
}

void reply_writer::simple(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void reply_writer::error(std::string_view s) {
  out_->push_back('-');
  for (char c : s) // an error line cannot hold a line break
    out_->push_back(c == '\r' || c == '\n' ? ' ' : c);
  out_->append("\r\n", 2);
}

void reply_writer::integer(long long n) { header(':', n); }

void reply_writer::bulk(std::string_view s) {
  header('$', static_cast<long long>(s.size()));
  out_->append(s);
  out_->append("\r\n", 2);
}

void reply_writer::null() {
  if (proto_ >= 3)
    out_->append("_\r\n", 3);
  else
    out_->append("$-1\r\n", 5);
}

void reply_writer::null_array() {
  if (proto_ >= 3)
    out_->append("_\r\n", 3);
  else
    out_->append("*-1\r\n", 5);
}

void reply_writer::array(std::size_t n) { header('*', static_cast<long long>(n)); }

void reply_writer::map(std::size_t pairs) {
  if (proto_ >= 3)
    header('%', static_cast<long long>(pairs));
  else
    header('*', static_cast<long long>(2 * pairs));
}

void reply_writer::set(std::size_t n) { header(proto_ >= 3 ? '~' : '*', static_cast<long long>(n)); }

void reply_writer::push(std::size_t n) { header(proto_ >= 3 ? '>' : '*', static_cast<long long>(n)); }

void reply_writer::dbl(double d) {
  char buf[64];
  std::string_view text;
  if (std::isinf(d))
    text = d > 0 ? "inf" : "-inf";
  else {
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    text = std::string_view{buf, static_cast<std::size_t>(r.ptr - buf)};
  }
  if (proto_ >= 3) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n", 2);
  } else {
    bulk(text);
  }
}

} // namespace kvmem::detail::resp
