// Writing and reading checkpoint files (see checkpoint.hpp).
#include "persist/checkpoint.hpp"

#include <algorithm>

#include <fmt/core.h>
#include <xxhash.h>

#include "persist/file_names.hpp"
#include "persist/le.hpp"
#include "tree/tree_image.hpp"

namespace kvmem::detail {

namespace {
constexpr std::string_view magic = "KVMEMC01";
constexpr std::string_view end_magic = "KVMEMEND";
constexpr std::uint32_t format = 1;
constexpr std::string_view prefix = "checkpoint-";
constexpr std::string_view suffix = ".kvc";
constexpr std::size_t header_bytes = 40; // magic, format, 0, version, taken (days, ps)
constexpr std::size_t trailer_bytes = 16; // u64 checksum of all before, "KVMEMEND"

// Buffered, checksummed appends to a file, handed to the file system in
// pieces of exactly `unit` bytes (the last one shorter), each written back
// to the disk at once (file::write_back, sync_file_range, waiting for it):
// the file system then never holds more than a piece of the checkpoint
// dirty, so a journal sync that has to flush other files' data (ext4's
// ordered mode does, and the disk's cache flush does) waits for a piece at
// most, not for the whole checkpoint. Pieces start at multiples of the
// unit, so no page is written back twice. Before each piece the pacing's
// hook runs (the persister's, under sync=always: it waits while commits
// wait for a journal sync), and `*cancel` is read: once it is true nothing
// more is written.
class writer {
public:
  writer(file& f, const checkpoint_pacing& pacing, const std::atomic<bool>* cancel)
      : f_(f), pacing_(pacing), cancel_(cancel),
        unit_(std::max<std::size_t>(pacing.unit, 4096)), h_(XXH3_createState()) {
    if (!h_)
      throw std::bad_alloc();
    XXH3_64bits_reset(h_);
  }
  ~writer() { XXH3_freeState(h_); }
  bool put(std::string_view s) {
    XXH3_64bits_update(h_, s.data(), s.size());
    if (!buf_.empty()) { // complete the buffered piece first
      auto take = std::min(s.size(), unit_ - buf_.size());
      buf_.append(s.substr(0, take));
      s.remove_prefix(take);
      if (buf_.size() < unit_)
        return true;
      if (!write(buf_))
        return false;
      buf_.clear();
    }
    for (; s.size() >= unit_; s.remove_prefix(unit_)) // whole pieces straight from s
      if (!write(s.substr(0, unit_)))
        return false;
    buf_.append(s);
    return true;
  }
  /// Writes the last, partial piece.
  bool flush() {
    if (buf_.empty())
      return true;
    bool ok = write(buf_);
    buf_.clear();
    return ok;
  }
  std::uint64_t digest() const { return XXH3_64bits_digest(h_); }
  std::uint64_t offset() const { return off_ + buf_.size(); }
  const std::optional<error>& failure() const { return err_; }
  bool cancelled() const { return cancelled_; }

private:
  bool write(std::string_view piece) {
    if (cancel_ && cancel_->load(std::memory_order_relaxed)) {
      cancelled_ = true;
      return false;
    }
    if (pacing_.before_each)
      pacing_.before_each();
    if (auto r = f_.write_at(off_, {piece.data(), piece.size()}); !r) {
      err_ = r.error();
      return false;
    }
    if (auto r = f_.write_back(off_, piece.size()); !r) {
      err_ = r.error();
      return false;
    }
    off_ += piece.size();
    return true;
  }
  file& f_;
  const checkpoint_pacing& pacing_;
  const std::atomic<bool>* cancel_;
  const std::size_t unit_;
  XXH3_state_t* h_;
  std::string buf_;
  std::uint64_t off_ = 0;
  std::optional<error> err_;
  bool cancelled_ = false;
};
} // namespace

std::string checkpoint_name(version_t v) { return numbered_name(prefix, v, suffix); }

std::optional<version_t> parse_checkpoint_name(std::string_view name) {
  return parse_numbered_name(name, prefix, suffix);
}

result<std::uint64_t> write_checkpoint(file_system& fs, const std::string& dir,
                                       const checkpoint_data& c,
                                       const std::atomic<bool>* cancel,
                                       const checkpoint_pacing& pacing) {
  auto name = checkpoint_name(c.version);
  auto tmp = dir + "/" + name + ".tmp";
  (void)fs.remove(tmp); // a leftover of a crash
  auto f = fs.open(tmp, file_system::mode::create_new);
  if (!f)
    return std::move(f).error();
  auto fail = [&](error e) -> result<std::uint64_t> {
    f->reset();
    (void)fs.remove(tmp);
    return e;
  };
  writer w{**f, pacing, cancel};
  std::string h{magic};
  put_u32(h, format);
  put_u32(h, 0);
  put_u64(h, c.version);
  put_i64(h, c.taken.days);
  put_i64(h, c.taken.ps);
  bool cancelled = false;
  bool ok = w.put(h) && write_image(c.root, [&](std::string_view s) {
              cancelled = cancel && cancel->load(std::memory_order_relaxed);
              return !cancelled && w.put(s);
            });
  if (ok) {
    std::string owned;
    put_u64(owned, c.owned.size());
    for (auto& k : c.owned) {
      put_u32(owned, static_cast<std::uint32_t>(k.depth()));
      for (auto& s : k.segments())
        put_str(owned, s);
    }
    ok = w.put(owned);
  }
  if (ok) {
    std::string t;
    put_u64(t, w.digest());
    t.append(end_magic);
    ok = w.put(t) && w.flush();
  }
  if (cancelled || w.cancelled())
    return fail(error::make(errc::unavailable, "the checkpoint was cancelled: the store shut down"));
  if (!ok)
    return fail(w.failure() ? *w.failure()
                            : error::make(errc::io_error, "writing " + tmp + " failed"));
  if (auto r = (*f)->sync(); !r)
    return fail(r.error());
  auto size = w.offset();
  f->reset();
  if (auto r = fs.rename(tmp, dir + "/" + name); !r)
    return fail(r.error());
  if (auto r = fs.sync_dir(dir); !r)
    return r.error();
  return size;
}

result<checkpoint_data> read_checkpoint(file_system& fs, const std::string& dir,
                                        const std::string& name, std::uint64_t capacity) {
  auto f = fs.open(dir + "/" + name, file_system::mode::read);
  if (!f)
    return std::move(f).error();
  auto size = (*f)->size();
  if (!size)
    return std::move(size).error();
  if (*size < header_bytes + trailer_bytes)
    return corrupt_at(name, 0, "shorter than a checkpoint's header and trailer");
  const std::uint64_t body_end = *size - trailer_bytes;
  // First the trailer and the checksum over everything before it, so that
  // nothing unverified is parsed.
  char tb[trailer_bytes];
  auto t = (*f)->read_at(body_end, {tb, trailer_bytes});
  if (!t)
    return std::move(t).error();
  if (*t != trailer_bytes || std::string_view{tb + 8, 8} != end_magic)
    return corrupt_at(name, body_end, "no checkpoint trailer (a checkpoint cut short?)");
  {
    XXH3_state_t* hs = XXH3_createState();
    if (!hs)
      throw std::bad_alloc();
    struct free_state {
      XXH3_state_t* s;
      ~free_state() { XXH3_freeState(s); }
    } guard{hs};
    XXH3_64bits_reset(hs);
    std::string chunk(std::size_t{1} << 20, '\0');
    for (std::uint64_t at = 0; at < body_end;) {
      auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), body_end - at));
      auto n = (*f)->read_at(at, {chunk.data(), want});
      if (!n)
        return std::move(n).error();
      if (*n == 0)
        return corrupt_at(name, at, "shorter than its size");
      XXH3_64bits_update(hs, chunk.data(), *n);
      at += *n;
    }
    if (load_u64(tb) != XXH3_64bits_digest(hs))
      return corrupt_at(name, 0,
                        fmt::format("the checksum over its {} bytes does not match: the file is "
                                    "damaged", body_end));
  }
  std::uint64_t off = 0;
  std::optional<error> io;
  // Reads [off, off + out.size()) clipped to the body.
  auto read = [&](std::span<char> out) -> std::optional<std::size_t> {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), body_end - off));
    if (want == 0)
      return 0;
    auto r = (*f)->read_at(off, out.subspan(0, want));
    if (!r) {
      io = r.error();
      return std::nullopt;
    }
    off += *r;
    return *r;
  };
  char hb[header_bytes];
  if (auto n = read({hb, header_bytes}); !n || *n != header_bytes)
    return io ? *io : corrupt_at(name, 0, "the header is cut short");
  if (std::string_view{hb, 8} != magic || load_u32(hb + 8) != format || load_u32(hb + 12) != 0)
    return corrupt_at(name, 0, "not a kvmem checkpoint of format 1");
  checkpoint_data c;
  c.version = load_u64(hb + 16);
  c.taken.days = static_cast<std::int64_t>(load_u64(hb + 24));
  c.taken.ps = static_cast<std::int64_t>(load_u64(hb + 32));
  std::uint64_t used = 0;
  auto root = read_image(read, capacity, &used);
  if (!root) {
    if (io)
      return *io;
    auto e = std::move(root).error();
    e.detail = fmt::format("{} at offset {}: {}", name, header_bytes, e.detail);
    return e;
  }
  c.root = std::move(*root);
  // The rest of the body: the owned keys (the image reader stops at its end).
  std::uint64_t keys_at = header_bytes + used;
  std::string rest(static_cast<std::size_t>(body_end - keys_at), '\0');
  off = keys_at;
  if (!rest.empty()) {
    auto n = read({rest.data(), rest.size()});
    if (!n || *n != rest.size())
      return io ? *io : corrupt_at(name, keys_at, "cut short");
  }
  le_reader in{rest};
  std::uint64_t n = 0;
  if (!in.u64(&n) || n > rest.size())
    return corrupt_at(name, keys_at, "a bad count of owned keys");
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint32_t depth = 0;
    std::vector<std::string> segs;
    bool ok = in.u32(&depth) && depth <= in.left() / 4;
    for (std::uint32_t d = 0; ok && d < depth; ++d) {
      std::string_view s;
      ok = in.str(&s);
      segs.emplace_back(s);
    }
    key k;
    if (!ok || !key::from_segments(std::move(segs), &k))
      return corrupt_at(name, keys_at + in.pos(), "a malformed owned key");
    c.owned.push_back(std::move(k));
  }
  if (in.left() != 0)
    return corrupt_at(name, keys_at + in.pos(), "unexpected bytes before the trailer");
  return c;
}

} // namespace kvmem::detail
