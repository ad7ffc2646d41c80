// The binary image of a tree (the body of a checkpoint): see tree_image.hpp
// for the format. Both directions are iterative: the writer walks every
// dictionary's AVL tree with one explicit stack, the reader keeps one frame
// per open dictionary.
#include "tree/tree_image.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "tree/tree_impl.hpp"
#include "tree/value.hpp"

namespace kvmem::detail {

namespace {

static_assert(sizeof(std::size_t) == 8, "the image code assumes a 64-bit size_t");

constexpr std::uint8_t kind_value = 0;
constexpr std::uint8_t kind_dictionary = 1;

// --- little-endian fixed-width integers ---------------------------------------------

template <class T>
void store_le(char* p, T v) noexcept {
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(v);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &u, sizeof u);
  } else {
    for (std::size_t i = 0; i < sizeof u; ++i)
      p[i] = static_cast<char>(static_cast<unsigned char>(u >> (8 * i)));
  }
}

template <class T>
T load_le(const char* p) noexcept {
  using U = std::make_unsigned_t<T>;
  U u = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&u, p, sizeof u);
  } else {
    for (std::size_t i = 0; i < sizeof u; ++i)
      u = static_cast<U>(u | (static_cast<U>(static_cast<unsigned char>(p[i])) << (8 * i)));
  }
  return static_cast<T>(u);
}

// --- writing -------------------------------------------------------------------------

constexpr std::size_t piece_size = std::size_t{1} << 20; // what the sink gets at a time

// Collects the image in a buffer of piece_size bytes and hands it to the
// sink whenever it is full; byte strings of piece_size or more go to the
// sink directly. After the sink fails, everything is dropped (ok() false).
class image_writer {
public:
  explicit image_writer(const image_sink& sink)
    : sink_(sink), buf_(std::make_unique_for_overwrite<char[]>(piece_size)) {}

  bool ok() const noexcept { return ok_; }

  /// Makes room for n <= piece_size bytes of fixed-width fields.
  void room(std::size_t n) {
    if (piece_size - pos_ < n)
      flush();
  }
  /// Appends an integer; room() must have been made.
  template <class T>
  void put(T v) noexcept {
    store_le(buf_.get() + pos_, v);
    pos_ += sizeof v;
  }
  void put_time(const ptime& t) noexcept {
    put(t.days);
    put(t.ps);
  }
  /// Appends n bytes: copied if they fit in a piece, else passed directly.
  void bytes(const char* p, std::size_t n) {
    if (n == 0)
      return;
    if (n <= piece_size - pos_) {
      std::memcpy(buf_.get() + pos_, p, n);
      pos_ += n;
      return;
    }
    flush();
    if (n >= piece_size) {
      if (ok_)
        ok_ = sink_(std::string_view{p, n});
      return;
    }
    std::memcpy(buf_.get(), p, n);
    pos_ = n;
  }
  /// Hands the buffered bytes to the sink; returns ok().
  bool flush() {
    if (ok_ && pos_ > 0)
      ok_ = sink_(std::string_view{buf_.get(), pos_});
    pos_ = 0;
    return ok_;
  }

private:
  const image_sink& sink_;
  std::unique_ptr<char[]> buf_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// --- reading -------------------------------------------------------------------------

constexpr std::size_t read_size = std::size_t{256} << 10;      // asked of the source at a time
constexpr std::uint64_t grow_from = std::uint64_t{64} << 20; // longer strings grow as they arrive

// What ends a read: the error read_image returns.
struct bad_image {
  error e;
};

[[noreturn]] void corrupt(std::uint64_t at, std::string_view what) {
  throw bad_image{error::make(errc::corrupt, fmt::format("tree image: {} at byte {}", what, at))};
}

// The image's bytes, from a buffer refilled from the source; tracks the
// offset (within the image) of the next byte.
class image_reader {
public:
  explicit image_reader(const image_source& src)
    : src_(src), buf_(std::make_unique_for_overwrite<char[]>(read_size)) {}

  std::uint64_t offset() const noexcept { return base_ + pos_; }

  /// Makes n <= read_size bytes available at data(); `what` is the field
  /// (for the error of a truncated image).
  void need(std::size_t n, const char* what) {
    if (end_ - pos_ < n)
      refill(n, what, offset(), n);
  }
  const char* data() const noexcept { return buf_.get() + pos_; }
  void skip(std::size_t n) noexcept { pos_ += n; }
  template <class T>
  T get() noexcept {
    T v = load_le<T>(data());
    pos_ += sizeof v;
    return v;
  }
  ptime get_time() noexcept {
    ptime t;
    t.days = get<std::int64_t>();
    t.ps = get<std::int64_t>();
    return t;
  }

  /// Copies the next n bytes to `out`; they are part `what` of `len` bytes
  /// starting at `start` (for the error of a truncated image). Reads a
  /// long run directly into `out`.
  void read(char* out, std::uint64_t n, const char* what, std::uint64_t start, std::uint64_t len) {
    std::size_t have = std::min<std::uint64_t>(n, end_ - pos_);
    if (have > 0)
      std::memcpy(out, data(), have);
    pos_ += have;
    out += have;
    n -= have;
    while (n >= read_size) { // the buffer is empty here
      base_ += pos_;
      pos_ = end_ = 0;
      auto got = fill(out, static_cast<std::size_t>(n), what, start, len);
      base_ += got;
      out += got;
      n -= got;
    }
    if (n > 0) {
      auto k = static_cast<std::size_t>(n);
      if (end_ - pos_ < k)
        refill(k, what, start, len);
      std::memcpy(out, data(), k);
      pos_ += k;
    }
  }

private:
  // Moves what is left to the front of the buffer and reads until it holds
  // n bytes (for the error: field `what`, `len` bytes from `start`).
  void refill(std::size_t n, const char* what, std::uint64_t start, std::uint64_t len) {
    std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
    base_ += pos_;
    end_ -= pos_;
    pos_ = 0;
    while (end_ < n)
      end_ += fill(buf_.get() + end_, read_size - end_, what, start, len);
  }

  // Asks the source for up to `room` bytes at `to`; returns how many came
  // (at least one). The image ending here truncates field `what` (`len`
  // bytes from `start`).
  std::size_t fill(char* to, std::size_t room, const char* what, std::uint64_t start,
                   std::uint64_t len) {
    auto got = src_(std::span<char>{to, room});
    const std::uint64_t at = base_ + end_;
    if (!got)
      throw bad_image{error::make(errc::io_error, fmt::format("tree image: reading failed at byte {}", at))};
    if (*got > room)
      throw bad_image{error::make(
          errc::io_error, fmt::format("tree image: the source returned {} bytes for {} at byte {}",
                                      *got, room, at))};
    if (*got == 0)
      throw bad_image{error::make(
          errc::corrupt, fmt::format("tree image: truncated at byte {}, inside {} ({} bytes from byte {})",
                                     at, what, len, start))};
    return *got;
  }

  const image_source& src_;
  std::unique_ptr<char[]> buf_;
  std::uint64_t base_ = 0; // offset in the image of buf_[0]
  std::size_t pos_ = 0;    // next byte
  std::size_t end_ = 0;    // end of what the buffer holds
};

// A perfectly balanced AVL tree of a[0, n), in order (recursion depth
// log2(n) + 1 <= 64). The heights of sibling subtrees differ by at most one.
entry* balanced(entry* const* a, std::size_t n) noexcept {
  if (n == 0)
    return nullptr;
  const std::size_t mid = n / 2;
  entry* e = a[mid];
  e->l = balanced(a, mid);
  e->r = balanced(a + mid + 1, n - mid - 1);
  e->height = static_cast<std::uint8_t>(1 + std::max(height(e->l), height(e->r)));
  return e;
}

// Rebuilds a tree from its image. Each open dictionary has a frame holding
// the entries read so far (they own their children; their links are set
// when the dictionary is complete). Whatever is built when a read fails or
// throws is freed by the destructor.
class tree_builder {
public:
  explicit tree_builder(const image_source& src) : in_(src) {}
  tree_builder(const tree_builder&) = delete;
  tree_builder& operator=(const tree_builder&) = delete;
  ~tree_builder() {
    for (auto& f : frames_)
      for (entry* e : f.entries)
        release(e);
  }

  void run(tree& out) {
    in_.need(48, "the header");
    const ptime mtime = in_.get_time();
    const auto created = in_.get<std::uint64_t>();
    const auto modified = in_.get<std::uint64_t>();
    const auto subtree = in_.get<std::uint64_t>();
    const auto count = in_.get<std::uint64_t>();
    open(subtree, count);
    for (;;) {
      frame& f = frames_[depth_ - 1];
      if (f.remaining > 0) {
        --f.remaining;
        read_entry(f);
        continue;
      }
      dict_node* d = close();
      if (depth_ == 0) {
        tree_access::install_root(out, d, mtime, created, modified);
        return;
      }
      frame& parent = frames_[depth_ - 1];
      parent.entries.back()->child = d;
      parent.bytes += d->bytes;
    }
  }

  std::uint64_t offset() const noexcept { return in_.offset(); }

private:
  struct frame {
    std::vector<entry*> entries; // read so far, in name order (owned)
    std::uint64_t remaining = 0; // entries still to read
    std::uint64_t bytes = 0;     // names and values below
    version_t subtree = 0;
  };

  // Starts reading a dictionary's entries. Frames are reused (cleared), so
  // that their vectors keep their capacity.
  void open(version_t subtree, std::uint64_t count) {
    if (depth_ == frames_.size())
      frames_.emplace_back();
    frame& f = frames_[depth_++];
    f.remaining = count;
    f.bytes = 0;
    f.subtree = subtree;
  }

  // Ends the innermost dictionary: its node, owning its entries.
  dict_node* close() {
    frame& f = frames_[depth_ - 1];
    dict_node* d;
    if (f.entries.empty() && f.subtree == 0 && depth_ == 1) {
      d = empty_dict(); // as a new tree's root
    } else {
      res_.reserve(0, 1);
      d = res_.make_dict();
      d->root = balanced(f.entries.data(), f.entries.size());
      d->count = f.entries.size();
      d->bytes = f.bytes;
      d->subtree = f.subtree;
    }
    f.entries.clear();
    --depth_;
    return d;
  }

  void read_entry(frame& f) {
    const std::uint64_t at = in_.offset();
    in_.need(4, "a name's length");
    const auto len = in_.get<std::uint32_t>();
    if (len == 0)
      corrupt(at, "empty name");
    std::string_view name = read_name(len, at + 4);
    if (name.find('/') != std::string_view::npos)
      corrupt(at, fmt::format("name {:?} contains '/'", name));
    if (!f.entries.empty() && !(f.entries.back()->name.view() < name))
      corrupt(at, fmt::format("name {:?} is not after {:?}", name, f.entries.back()->name.view()));

    // The entry, owned by its frame before anything else can throw.
    if (f.entries.size() == f.entries.capacity())
      f.entries.reserve(std::max<std::size_t>(8, 2 * f.entries.size()));
    res_.reserve(1, 0);
    entry* e = res_.make_entry();
    f.entries.push_back(e); // cannot throw: room was made
    e->name = seg_name{name};
    f.bytes += len;
    // (`name` may point into the input buffer: not valid after the next read.)

    const std::uint64_t fixed_at = in_.offset();
    in_.need(41, "an entry");
    const auto k = in_.get<std::uint8_t>();
    if (k != kind_value && k != kind_dictionary)
      corrupt(fixed_at, fmt::format("unknown kind {} of entry {:?}", k, e->name.view()));
    e->k = k == kind_value ? kind::value : kind::dictionary;
    e->mtime = in_.get_time();
    e->created = in_.get<std::uint64_t>();
    e->modified = in_.get<std::uint64_t>();
    const std::uint64_t n_at = in_.offset();
    const auto n = in_.get<std::uint64_t>(); // a value's size, or a dictionary's subtree
    if (e->k == kind::value) {
      if (n > max_value_size)
        corrupt(n_at, fmt::format("impossible value size {}", n));
      read_value(e, n, in_.offset());
      f.bytes += n;
    } else {
      in_.need(8, "a dictionary's count");
      open(n, in_.get<std::uint64_t>()); // invalidates f
    }
  }

  // The name of `len` bytes at `start`: a view into the input buffer if it
  // fits there, else a copy grown (doubling) as its bytes arrive. Valid
  // until the next read.
  std::string_view read_name(std::uint32_t len, std::uint64_t start) {
    if (len <= read_size) {
      in_.need(len, "a name");
      std::string_view s{in_.data(), len};
      in_.skip(len);
      return s;
    }
    std::uint64_t have = 0; // (a string's growth zero-fills: grow it as the bytes arrive)
    for (std::uint64_t cap = std::min<std::uint64_t>(len, 2 * read_size);;
         cap = std::min<std::uint64_t>(len, 2 * cap)) {
      long_name_.resize(static_cast<std::size_t>(cap));
      in_.read(long_name_.data() + have, cap - have, "a name", start, len);
      have = cap;
      if (have == len)
        return long_name_;
    }
  }

  // Reads a value of n bytes (starting at `start`) into a new node that e
  // owns. Up to grow_from bytes are allocated at once; a longer value grows
  // (doubling, copied) as its bytes arrive, so a lying size fails at the
  // image's end having allocated at most twice what the image holds.
  void read_value(entry* e, std::uint64_t n, std::uint64_t start) {
    std::uint64_t cap = std::min(n, grow_from);
    auto* v = alloc_value(cap);
    e->child = v;
    std::uint64_t have = 0;
    for (;;) {
      in_.read(v->data() + have, cap - have, "a value", start, n);
      have = cap;
      if (have == n)
        return;
      cap = std::min(n, 2 * cap);
      auto* w = alloc_value(cap);
      std::memcpy(w->data(), v->data(), static_cast<std::size_t>(have));
      e->child = w;
      release(v);
      v = w;
    }
  }

  image_reader in_;
  node_reserve res_;
  std::vector<frame> frames_; // [0, depth_) are open
  std::size_t depth_ = 0;
  std::string long_name_;
};

} // namespace

bool write_image(const tree& t, const image_sink& sink) {
  image_writer w{sink};
  const dict_node* root = tree_access::root(t);
  w.room(48);
  w.put_time(tree_access::root_mtime(t));
  w.put(tree_access::root_created(t));
  w.put(tree_access::root_modified(t));
  w.put(root->subtree);
  w.put(root->count);
  // Pre-order over every dictionary, each in name order, with one stack:
  // an entry's successors in its own dictionary stay below the entries of
  // the dictionary it names, which are pushed on top of them.
  std::vector<const entry*> stack;
  auto push_left = [&](const entry* e) {
    for (; e; e = e->l) {
      __builtin_prefetch(e->r); // needed once e's left subtree is written
      stack.push_back(e);
    }
  };
  push_left(root->root);
  while (!stack.empty()) {
    const entry* e = stack.back();
    stack.pop_back();
    push_left(e->r);
    if (!stack.empty()) { // the next entry's child: a cache miss, overlapped with this one
      const auto* next = reinterpret_cast<const char*>(stack.back()->child);
      __builtin_prefetch(next);
      __builtin_prefetch(next + 64);
    }
    const std::string_view name = e->name.view();
    if (name.size() > std::numeric_limits<std::uint32_t>::max())
      throw std::length_error("kvmem tree image: a segment name longer than 4 GiB");
    w.room(4);
    w.put(static_cast<std::uint32_t>(name.size()));
    w.bytes(name.data(), name.size());
    w.room(49);
    w.put(e->k == kind::value ? kind_value : kind_dictionary);
    w.put_time(e->mtime);
    w.put(e->created);
    w.put(e->modified);
    if (e->k == kind::value) {
      auto* v = static_cast<const value_node*>(e->child);
      w.put(v->size);
      w.bytes(v->data(), static_cast<std::size_t>(v->size));
    } else {
      auto* d = static_cast<const dict_node*>(e->child);
      w.put(d->subtree);
      w.put(d->count);
      push_left(d->root);
    }
    if (!w.ok())
      return false;
  }
  return w.flush();
}

result<tree> read_image(const image_source& src, std::uint64_t capacity, std::uint64_t* consumed) {
  tree out{ptime{}, capacity};
  tree_builder b{src};
  try {
    b.run(out);
  } catch (bad_image& x) {
    return std::move(x.e);
  }
  if (consumed)
    *consumed = b.offset();
  return out;
}

} // namespace kvmem::detail
