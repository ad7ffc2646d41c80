// kvmem::posix_file_system() — the real file_system (file_io.hpp) on POSIX
// calls: pread/pwrite, fdatasync, ftruncate, rename(2), unlink, flock.
//
// Every failure is errc::io_error with the detail
// "<operation> <path>[ at offset N]: <strerror(errno)>", except a lock held
// by another holder: errc::unavailable "<path> is locked by another store
// (pid N)".
#include "kvmem/file_io.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string>
#include <system_error>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <fmt/core.h>

namespace kvmem {
namespace {

/// errc::io_error "<op> <path>: <strerror(err)>".
error io_fail(std::string_view op, const std::string& path, int err) {
  return error::make(errc::io_error,
                     fmt::format("{} {}: {}", op, path, std::generic_category().message(err)));
}

/// errc::io_error "<op> <path> at offset <offset>: <strerror(err)>".
error io_fail_at(std::string_view op, const std::string& path, std::uint64_t offset, int err) {
  return error::make(errc::io_error, fmt::format("{} {} at offset {}: {}", op, path, offset,
                                                 std::generic_category().message(err)));
}

/// Calls f() until it does not fail with EINTR; returns its last result.
template <class F>
auto retry_eintr(F f) {
  for (;;) {
    auto r = f();
    if (r >= 0 || errno != EINTR)
      return r;
  }
}

/// Closes fd (an EINTR from close is not retried: the fd is gone on Linux).
void close_fd(int fd) noexcept {
  if (fd >= 0)
    ::close(fd);
}

/// pwrite()s all of data at offset: EINTR retried, a short write continues.
result<void> pwrite_all(int fd, const std::string& path, std::uint64_t offset,
                        std::span<const char> data) {
  while (!data.empty()) {
    auto n = retry_eintr(
        [&] { return ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset)); });
    if (n < 0)
      return io_fail_at("write", path, offset, errno);
    if (n == 0) // no progress and no errno: treat as a full device
      return io_fail_at("write", path, offset, ENOSPC);
    data = data.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

class posix_file final : public file {
public:
  posix_file(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~posix_file() override { close_fd(fd_); }
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  result<void> write_at(std::uint64_t offset, std::span<const char> data) override {
    return pwrite_all(fd_, path_, offset, data);
  }

  // pread until out is full or the end of the file.
  result<std::size_t> read_at(std::uint64_t offset, std::span<char> out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      auto n = retry_eintr([&] {
        return ::pread(fd_, out.data() + done, out.size() - done,
                       static_cast<off_t>(offset + done));
      });
      if (n < 0)
        return io_fail_at("read", path_, offset + done, errno);
      if (n == 0)
        break;
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  result<void> sync() override {
    if (retry_eintr([&] { return ::fdatasync(fd_); }) < 0)
      return io_fail("sync", path_, errno);
    return {};
  }

  result<void> write_back(std::uint64_t offset, std::uint64_t length) override {
    constexpr unsigned flags =
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    if (retry_eintr([&] {
          return ::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
                                   flags);
        }) < 0)
      return io_fail_at("write back", path_, offset, errno);
    return {};
  }

  result<void> truncate(std::uint64_t size) override {
    if (retry_eintr([&] { return ::ftruncate(fd_, static_cast<off_t>(size)); }) < 0)
      return io_fail_at("truncate", path_, size, errno);
    return {};
  }

  result<std::uint64_t> size() override {
    struct stat st {};
    if (::fstat(fd_, &st) < 0)
      return io_fail("stat", path_, errno);
    return static_cast<std::uint64_t>(st.st_size);
  }

private:
  int fd_;
  std::string path_;
};

/// Holds an flock()ed fd; closing it releases the lock.
class posix_lock final : public file_lock {
public:
  explicit posix_lock(int fd) : fd_(fd) {}
  ~posix_lock() override { close_fd(fd_); }
  posix_lock(const posix_lock&) = delete;
  posix_lock& operator=(const posix_lock&) = delete;

private:
  int fd_;
};

/// The pid written in a lock file, or 0 if it holds none.
long read_pid(int fd) {
  char buf[32];
  auto n = retry_eintr([&] { return ::pread(fd, buf, sizeof buf, 0); });
  if (n <= 0)
    return 0;
  long pid = 0;
  auto [p, ec] = std::from_chars(buf, buf + n, pid);
  return ec == std::errc{} && p != buf ? pid : 0;
}

class posix_fs final : public file_system {
public:
  result<std::unique_ptr<file>> open(const std::string& path, mode m) override {
    int flags = O_CLOEXEC;
    switch (m) {
      case mode::read: flags |= O_RDONLY; break;
      case mode::write: flags |= O_RDWR; break;
      case mode::create_new: flags |= O_RDWR | O_CREAT | O_EXCL; break;
    }
    int fd = retry_eintr([&] { return ::open(path.c_str(), flags, 0644); });
    if (fd < 0)
      return io_fail("open", path, errno);
    return std::unique_ptr<file>(std::make_unique<posix_file>(fd, path));
  }

  result<void> rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) < 0)
      return io_fail("rename", from + " to " + to, errno);
    return {};
  }

  result<void> remove(const std::string& path) override {
    if (::unlink(path.c_str()) < 0)
      return io_fail("remove", path, errno);
    return {};
  }

  result<std::vector<std::string>> list(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr)
      return io_fail("list", dir, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(d);
      if (e == nullptr) {
        int err = errno;
        ::closedir(d);
        if (err != 0)
          return io_fail("list", dir, err);
        break;
      }
      std::string_view name = e->d_name;
      if (name != "." && name != "..")
        names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  result<void> sync_dir(const std::string& dir) override {
    int fd = retry_eintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0)
      return io_fail("open directory", dir, errno);
    int rc = retry_eintr([&] { return ::fsync(fd); });
    int err = errno;
    close_fd(fd);
    if (rc < 0)
      return io_fail("sync directory", dir, err);
    return {};
  }

  // mkdir -p: each missing prefix is created; an existing directory is fine.
  result<void> make_dir(const std::string& dir) override {
    for (std::size_t i = 1; i <= dir.size(); ++i) {
      if (i < dir.size() && dir[i] != '/')
        continue;
      if (dir[i - 1] == '/') // "a//b" or a trailing '/'
        continue;
      std::string prefix = dir.substr(0, i);
      if (::mkdir(prefix.c_str(), 0755) == 0)
        continue;
      int err = errno;
      struct stat st {};
      if (err != EEXIST)
        return io_fail("make_dir", prefix, err);
      if (::stat(prefix.c_str(), &st) < 0)
        return io_fail("make_dir", prefix, errno);
      if (!S_ISDIR(st.st_mode))
        return io_fail("make_dir", prefix, ENOTDIR);
    }
    return {};
  }

  result<std::unique_ptr<file_lock>> lock(const std::string& path) override {
    int fd = retry_eintr([&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644); });
    if (fd < 0)
      return io_fail("open lock", path, errno);
    if (retry_eintr([&] { return ::flock(fd, LOCK_EX | LOCK_NB); }) < 0) {
      int err = errno;
      if (err == EWOULDBLOCK) {
        long pid = read_pid(fd);
        close_fd(fd);
        auto held_by = pid > 0 ? fmt::format(" (pid {})", pid) : std::string();
        return error::make(errc::unavailable,
                           fmt::format("{} is locked by another store{}", path, held_by));
      }
      close_fd(fd);
      return io_fail("lock", path, err);
    }
    // Ours: record our pid for the next one who finds it locked.
    auto held = std::make_unique<posix_lock>(fd); // closes fd on every path below
    if (retry_eintr([&] { return ::ftruncate(fd, 0); }) < 0)
      return io_fail("truncate lock", path, errno);
    auto pid = fmt::format("{}\n", static_cast<long>(::getpid()));
    if (auto r = pwrite_all(fd, path, 0, pid); !r)
      return std::move(r).error();
    return std::unique_ptr<file_lock>(std::move(held));
  }
};

} // namespace

std::shared_ptr<file_system> posix_file_system() {
  static const auto fs = std::make_shared<posix_fs>();
  return fs;
}

} // namespace kvmem
