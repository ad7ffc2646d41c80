#include "input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <new>

#include <fmt/format.h>

namespace kvmem::cli {

namespace {

// A malloc'd buffer grown with realloc: large blocks are mmap'd by glibc and
// realloc moves them with mremap, so growing never copies or zero-fills
// (std::string::resize does both, and holds the old and new blocks at once).
class buffer {
public:
  buffer() = default;
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  ~buffer() { std::free(data_); }

  bool reserve(std::size_t n) {
    if (n <= cap_)
      return true;
    auto* p = static_cast<char*>(std::realloc(data_, n));
    if (!p)
      return false;
    data_ = p;
    cap_ = n;
    return true;
  }
  char* free_space() { return data_ + size_; }
  std::size_t free_size() const { return cap_ - size_; }
  void grew(std::size_t n) { size_ += n; }
  std::string_view view() const { return {data_ ? data_ : "", size_}; }
  std::size_t size() const { return size_; }

private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

constexpr std::size_t min_read = 64 * 1024;

std::string too_large(std::uint64_t limit) {
  return fmt::format("more than {} bytes, the most the store takes in one write (max_batch_bytes)",
                     limit);
}

// Reads `fd` to its end into `buf`; returns why not, or "". `hint` is the
// expected size (a regular file's), so a file fills one exact buffer; the
// buffer never grows past limit + 1 bytes (one more than the limit tells
// that the input is over it).
std::string read_all(int fd, std::size_t hint, std::uint64_t limit, buffer& buf) {
  const std::size_t most = limit >= SIZE_MAX - 1 ? SIZE_MAX : static_cast<std::size_t>(limit) + 1;
  if (!buf.reserve(std::min(most, std::max(hint + 1, min_read)))) // +1: EOF needs a read that returns 0
    return std::strerror(ENOMEM);
  for (;;) {
    if (buf.size() > limit)
      return too_large(limit);
    if (buf.free_size() == 0 &&
        !buf.reserve(std::min(most, buf.size() + std::max(buf.size(), min_read))))
      return std::strerror(ENOMEM);
    auto n = ::read(fd, buf.free_space(), buf.free_size());
    if (n == 0)
      return {};
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return std::strerror(errno);
    }
    buf.grew(static_cast<std::size_t>(n));
  }
}

bool stdin_closed = false; // at start (check_standard_input)

} // namespace

void check_standard_input() {
  if (::fcntl(STDIN_FILENO, F_GETFD) == -1 && errno == EBADF) {
    stdin_closed = true;
    int fd = ::open("/dev/null", O_RDONLY); // takes the lowest free descriptor: 0
    if (fd > STDIN_FILENO)
      ::close(fd);
  }
}

value_input read_value(const std::string& path, std::uint64_t limit) {
  const bool from_stdin = path == "-";
  const std::string name = from_stdin ? std::string("standard input") : path;
  auto failed = [&](std::string_view why) {
    return value_input{{}, fmt::format("cannot read {}: {}", name, why)};
  };
  if (from_stdin && stdin_closed)
    return failed("it is closed");
  int fd = from_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return failed(std::strerror(errno));
  struct stat st {};
  std::string why;
  buffer buf;
  if (::fstat(fd, &st) != 0)
    why = std::strerror(errno);
  else if (S_ISDIR(st.st_mode))
    why = std::strerror(EISDIR);
  else if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > limit)
    why = fmt::format("it holds {} bytes, {}", st.st_size, too_large(limit));
  else
    why = read_all(fd, S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0, limit, buf);
  if (!from_stdin)
    ::close(fd);
  if (!why.empty())
    return failed(why);
  try {
    return value_input{bytes{buf.view()}, {}};
  } catch (const std::bad_alloc&) {
    return failed(std::strerror(ENOMEM));
  }
}

} // namespace kvmem::cli
