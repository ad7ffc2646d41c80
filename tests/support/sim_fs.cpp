// kvmem::test::sim_fs — the simulated disk; the model is in sim_fs.hpp.
#include "support/sim_fs.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>

#include <unistd.h>

#include <fmt/core.h>

namespace kvmem::test {

namespace {

struct inode {
  std::string current; // what reads see
  std::string durable; // what survives a crash
};
using inode_ptr = std::shared_ptr<inode>;

struct directory {
  std::map<std::string, inode_ptr> current; // the names lookups see
  std::map<std::string, inode_ptr> durable; // the names that survive a crash
};

struct fault {
  op_kind kind;
  std::uint64_t n;        // fires at the n-th matching call
  std::uint64_t seen = 0; // matching calls so far
  kvmem::error e;
  bool repeat; // fail_from: every call from the n-th on
};

/// errc::io_error "<op> <path>: <why>".
kvmem::error fail(std::string_view op, const std::string& path, std::string_view why) {
  return kvmem::error::make(errc::io_error, fmt::format("{} {}: {}", op, path, why));
}

constexpr std::string_view enoent = "No such file or directory";

/// "a/b/c" → ("a/b", "c"); "c" → (".", "c"); "/c" → ("/", "c").
std::pair<std::string, std::string> split(const std::string& path) {
  auto i = path.rfind('/');
  if (i == std::string::npos)
    return {".", path};
  return {i == 0 ? "/" : path.substr(0, i), path.substr(i + 1)};
}

/// A directory's key: no trailing '/', "" → ".".
std::string norm_dir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  return dir.empty() ? "." : dir;
}

/// What survives of an inode at a torn crash (sim_fs.hpp has the model).
std::string torn(const inode& f, std::mt19937_64& rng) {
  const auto& cur = f.current;
  const auto& dur = f.durable;
  if (cur == dur)
    return dur;
  if (cur.size() > dur.size() && rng() % 4 == 0) // the size reached the disk, the data not
    return dur + std::string(cur.size() - dur.size(), '\0');
  auto p = static_cast<std::size_t>(
      std::mismatch(cur.begin(), cur.end(), dur.begin(), dur.end()).first - cur.begin());
  auto n = cur.size() - p;
  auto k = std::uniform_int_distribution<std::size_t>(0, n)(rng);
  if (k == n)
    return cur;
  auto out = cur.substr(0, p + k);
  if (dur.size() > p + k)
    out += dur.substr(p + k);
  return out;
}

} // namespace

struct sim_fs::state {
  mutable std::mutex m; // guards everything below
  std::map<std::string, directory> dirs;
  std::uint64_t epoch = 0; // crashes so far: a handle of an older epoch is stale
  std::vector<fault> faults;
  std::array<std::uint64_t, 8> counts{}; // per op_kind
  std::uint64_t capacity = std::numeric_limits<std::uint64_t>::max();
  std::map<std::string, std::uint64_t> locks; // path -> holder's token
  std::uint64_t next_token = 1;

  /// Counts a call of kind k; the error it must fail with, if a fault fires.
  std::optional<kvmem::error> hit(op_kind k) {
    ++counts[static_cast<std::size_t>(k)];
    ++counts[static_cast<std::size_t>(op_kind::any)];
    std::optional<kvmem::error> out;
    for (auto& f : faults) {
      if (f.kind != op_kind::any && f.kind != k)
        continue;
      ++f.seen;
      if (!out && (f.repeat ? f.seen >= f.n : f.seen == f.n))
        out = f.e;
    }
    std::erase_if(faults, [](const fault& f) { return !f.repeat && f.seen >= f.n; });
    return out;
  }

  /// The directory `dir`, or null.
  directory* find_dir(const std::string& dir) {
    auto i = dirs.find(norm_dir(dir));
    return i == dirs.end() ? nullptr : &i->second;
  }
  const directory* find_dir(const std::string& dir) const {
    return const_cast<state*>(this)->find_dir(dir);
  }

  /// The inode named `path` now, or null.
  inode_ptr find(const std::string& path) const {
    auto [dir, name] = split(path);
    auto* d = find_dir(dir);
    if (d == nullptr)
      return nullptr;
    auto i = d->current.find(name);
    return i == d->current.end() ? nullptr : i->second;
  }

  /// The current bytes of every named file.
  std::uint64_t used() const {
    std::set<const inode*> seen;
    std::uint64_t total = 0;
    for (auto& [_, d] : dirs)
      for (auto& [_, f] : d.current)
        if (seen.insert(f.get()).second)
          total += f->current.size();
    return total;
  }

  /// Whether growing a file from `from` to `to` bytes fits the capacity.
  bool fits(std::uint64_t from, std::uint64_t to) const {
    return to <= from || to - from <= capacity - std::min(capacity, used());
  }
};

namespace {

class sim_file final : public file {
public:
  sim_file(std::shared_ptr<sim_fs::state> s, inode_ptr f, std::string path, bool writable)
    : s_(std::move(s)), f_(std::move(f)), path_(std::move(path)), writable_(writable),
      epoch_(s_->epoch) {}

  // Writes all of data, or nothing (a fault, no space, a read-only handle).
  result<void> write_at(std::uint64_t offset, std::span<const char> data) override {
    std::lock_guard g{s_->m};
    if (auto e = check("write"))
      return *e;
    if (!writable_)
      return fail("write", path_, "Bad file descriptor");
    if (auto e = s_->hit(op_kind::write))
      return *e;
    auto end = offset + data.size();
    if (!s_->fits(f_->current.size(), end))
      return fail("write", at(offset), "No space left on device");
    if (f_->current.size() < end)
      f_->current.resize(end, '\0');
    std::copy(data.begin(), data.end(), f_->current.begin() + static_cast<std::ptrdiff_t>(offset));
    return {};
  }

  result<std::size_t> read_at(std::uint64_t offset, std::span<char> out) override {
    std::lock_guard g{s_->m};
    if (auto e = check("read"))
      return *e;
    const auto& cur = f_->current;
    if (offset >= cur.size())
      return std::size_t{0};
    auto n = std::min<std::size_t>(out.size(), cur.size() - offset);
    std::copy_n(cur.begin() + static_cast<std::ptrdiff_t>(offset), n, out.begin());
    return n;
  }

  // current → durable, unless a fault fires (then nothing becomes durable).
  result<void> sync() override {
    std::lock_guard g{s_->m};
    if (auto e = check("sync"))
      return *e;
    if (auto e = s_->hit(op_kind::sync))
      return *e;
    f_->durable = f_->current;
    return {};
  }

  result<void> truncate(std::uint64_t size) override {
    std::lock_guard g{s_->m};
    if (auto e = check("truncate"))
      return *e;
    if (!writable_)
      return fail("truncate", path_, "Bad file descriptor");
    if (auto e = s_->hit(op_kind::truncate))
      return *e;
    if (!s_->fits(f_->current.size(), size))
      return fail("truncate", at(size), "No space left on device");
    f_->current.resize(size, '\0');
    return {};
  }

  result<std::uint64_t> size() override {
    std::lock_guard g{s_->m};
    if (auto e = check("stat"))
      return *e;
    return std::uint64_t{f_->current.size()};
  }

private:
  /// The error of a handle opened before the last crash.
  std::optional<kvmem::error> check(std::string_view op) const {
    if (epoch_ != s_->epoch)
      return fail(op, path_, "stale handle after crash");
    return std::nullopt;
  }
  std::string at(std::uint64_t offset) const {
    return fmt::format("{} at offset {}", path_, offset);
  }

  std::shared_ptr<sim_fs::state> s_;
  inode_ptr f_;
  std::string path_;
  bool writable_;
  std::uint64_t epoch_;
};

/// Releases its lock when it dies, unless a crash already did.
class sim_lock final : public file_lock {
public:
  sim_lock(std::shared_ptr<sim_fs::state> s, std::string path, std::uint64_t token)
    : s_(std::move(s)), path_(std::move(path)), token_(token) {}
  ~sim_lock() override {
    std::lock_guard g{s_->m};
    if (auto i = s_->locks.find(path_); i != s_->locks.end() && i->second == token_)
      s_->locks.erase(i);
  }

private:
  std::shared_ptr<sim_fs::state> s_;
  std::string path_;
  std::uint64_t token_;
};

} // namespace

sim_fs::sim_fs() : s_(std::make_shared<state>()) {
  s_->dirs["."];
  s_->dirs["/"];
}

sim_fs::~sim_fs() = default;

result<std::unique_ptr<file>> sim_fs::open(const std::string& path, mode m) {
  std::lock_guard g{s_->m};
  if (auto e = s_->hit(op_kind::open))
    return *e;
  auto [dir, name] = split(path);
  auto* d = s_->find_dir(dir);
  if (d == nullptr)
    return fail("open", path, enoent);
  auto i = d->current.find(name);
  inode_ptr f;
  if (m == mode::create_new) {
    if (i != d->current.end())
      return fail("open", path, "File exists");
    f = std::make_shared<inode>();
    d->current.emplace(name, f);
  } else {
    if (i == d->current.end())
      return fail("open", path, enoent);
    f = i->second;
  }
  return std::unique_ptr<file>(std::make_unique<sim_file>(s_, f, path, m != mode::read));
}

result<void> sim_fs::rename(const std::string& from, const std::string& to) {
  std::lock_guard g{s_->m};
  if (auto e = s_->hit(op_kind::rename))
    return *e;
  auto what = from + " to " + to;
  auto [from_dir, from_name] = split(from);
  auto [to_dir, to_name] = split(to);
  auto* src = s_->find_dir(from_dir);
  auto* dst = s_->find_dir(to_dir);
  if (src == nullptr || dst == nullptr)
    return fail("rename", what, enoent);
  auto i = src->current.find(from_name);
  if (i == src->current.end())
    return fail("rename", what, enoent);
  if (src == dst && from_name == to_name)
    return {};
  auto f = i->second;
  src->current.erase(i);
  dst->current[to_name] = std::move(f);
  return {};
}

result<void> sim_fs::remove(const std::string& path) {
  std::lock_guard g{s_->m};
  if (auto e = s_->hit(op_kind::remove))
    return *e;
  auto [dir, name] = split(path);
  auto* d = s_->find_dir(dir);
  if (d == nullptr || d->current.erase(name) == 0)
    return fail("remove", path, enoent);
  return {};
}

result<std::vector<std::string>> sim_fs::list(const std::string& dir) {
  std::lock_guard g{s_->m};
  auto* d = s_->find_dir(dir);
  if (d == nullptr)
    return fail("list", dir, enoent);
  std::vector<std::string> names;
  for (auto& [name, _] : d->current)
    names.push_back(name);
  return names;
}

result<void> sim_fs::sync_dir(const std::string& dir) {
  std::lock_guard g{s_->m};
  if (auto e = s_->hit(op_kind::sync_dir))
    return *e;
  auto* d = s_->find_dir(dir);
  if (d == nullptr)
    return fail("open directory", dir, enoent);
  d->durable = d->current;
  return {};
}

result<void> sim_fs::make_dir(const std::string& dir) {
  std::lock_guard g{s_->m};
  auto d = norm_dir(dir);
  for (std::size_t i = 1; i < d.size(); ++i)
    if (d[i] == '/' && d[i - 1] != '/')
      s_->dirs[d.substr(0, i)];
  s_->dirs[d];
  return {};
}

result<std::unique_ptr<file_lock>> sim_fs::lock(const std::string& path) {
  std::lock_guard g{s_->m};
  if (auto e = s_->hit(op_kind::open))
    return *e;
  auto pid = static_cast<long>(::getpid());
  if (s_->locks.contains(path))
    return kvmem::error::make(errc::unavailable,
                              fmt::format("{} is locked by another store (pid {})", path, pid));
  auto [dir, name] = split(path);
  auto* d = s_->find_dir(dir);
  if (d == nullptr)
    return fail("open lock", path, enoent);
  auto& f = d->current[name];
  if (!f)
    f = std::make_shared<inode>();
  f->current = fmt::format("{}\n", pid); // as posix_fs: the holder's pid, not synced
  auto token = s_->next_token++;
  s_->locks[path] = token;
  return std::unique_ptr<file_lock>(std::make_unique<sim_lock>(s_, path, token));
}

void sim_fs::crash() { crash(0, false); }

void sim_fs::crash(std::uint64_t seed, bool tear) {
  std::lock_guard g{s_->m};
  std::mt19937_64 rng{seed};
  ++s_->epoch;
  s_->locks.clear();
  std::set<const inode*> done; // an inode durably named twice is torn once
  for (auto& [_, d] : s_->dirs) {
    d.current = d.durable;
    for (auto& [_, f] : d.durable) {
      if (!done.insert(f.get()).second)
        continue;
      f->current = tear ? torn(*f, rng) : f->durable;
      f->durable = f->current;
    }
  }
}

void sim_fs::fail_at(std::uint64_t n, kvmem::error e, op_kind which) {
  std::lock_guard g{s_->m};
  s_->faults.push_back({which, n, 0, std::move(e), false});
}

void sim_fs::fail_from(std::uint64_t n, kvmem::error e, op_kind which) {
  std::lock_guard g{s_->m};
  s_->faults.push_back({which, n, 0, std::move(e), true});
}

void sim_fs::clear_faults() {
  std::lock_guard g{s_->m};
  s_->faults.clear();
}

void sim_fs::set_capacity(std::uint64_t bytes) {
  std::lock_guard g{s_->m};
  s_->capacity = bytes;
}

std::uint64_t sim_fs::calls(op_kind which) const {
  std::lock_guard g{s_->m};
  return s_->counts[static_cast<std::size_t>(which)];
}

std::uint64_t sim_fs::syncs() const {
  std::lock_guard g{s_->m};
  return s_->counts[static_cast<std::size_t>(op_kind::sync)]
         + s_->counts[static_cast<std::size_t>(op_kind::sync_dir)];
}

std::vector<std::string> sim_fs::files(const std::string& dir) const {
  std::lock_guard g{s_->m};
  std::vector<std::string> names;
  if (auto* d = s_->find_dir(dir))
    for (auto& [name, _] : d->current)
      names.push_back(name);
  return names;
}

std::string sim_fs::contents(const std::string& path) const {
  std::lock_guard g{s_->m};
  auto f = s_->find(path);
  if (!f)
    throw std::out_of_range("sim_fs: no file " + path);
  return f->current;
}

void sim_fs::set_contents(const std::string& path, std::string bytes) {
  std::lock_guard g{s_->m};
  auto [dir, name] = split(path);
  auto* d = s_->find_dir(dir);
  if (d == nullptr)
    throw std::out_of_range("sim_fs: no directory " + dir);
  auto& f = d->current[name];
  if (!f)
    f = std::make_shared<inode>();
  d->durable[name] = f;
  f->durable = bytes;
  f->current = std::move(bytes);
}

std::uint64_t sim_fs::size(const std::string& path) const {
  std::lock_guard g{s_->m};
  auto f = s_->find(path);
  if (!f)
    throw std::out_of_range("sim_fs: no file " + path);
  return f->current.size();
}

} // namespace kvmem::test
