// Little-endian fixed-width integers for kvmem's files (internal): appending
// to a string, and a bounds-checked reader over bytes that may be damaged.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kvmem::detail {

inline void store_u32(char* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<char>(v >> (8 * i));
}
inline void store_u64(char* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<char>(v >> (8 * i));
}
inline std::uint32_t load_u32(const char* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline std::uint64_t load_u64(const char* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

inline void put_u32(std::string& out, std::uint32_t v) {
  char b[4];
  store_u32(b, v);
  out.append(b, 4);
}
inline void put_u64(std::string& out, std::uint64_t v) {
  char b[8];
  store_u64(b, v);
  out.append(b, 8);
}
inline void put_i64(std::string& out, std::int64_t v) { put_u64(out, static_cast<std::uint64_t>(v)); }
/// u32 length, then the bytes (names, key segments).
inline void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}
/// u64 length, then the bytes (values).
inline void put_bytes(std::string& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(s);
}

/// Reads from bytes that may be damaged: every read checks what is left and
/// returns false (reading nothing) if it would run past the end.
class le_reader {
public:
  explicit le_reader(std::string_view in) noexcept : in_(in) {}
  std::size_t left() const noexcept { return in_.size() - pos_; }
  std::size_t pos() const noexcept { return pos_; }
  bool u8(std::uint8_t* v) noexcept {
    if (left() < 1)
      return false;
    *v = static_cast<std::uint8_t>(in_[pos_++]);
    return true;
  }
  bool u32(std::uint32_t* v) noexcept {
    if (left() < 4)
      return false;
    *v = load_u32(in_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool u64(std::uint64_t* v) noexcept {
    if (left() < 8)
      return false;
    *v = load_u64(in_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool i64(std::int64_t* v) noexcept {
    std::uint64_t u = 0;
    if (!u64(&u))
      return false;
    *v = static_cast<std::int64_t>(u);
    return true;
  }
  bool str(std::string_view* s) noexcept {
    std::uint32_t n = 0;
    std::size_t at = pos_;
    if (!u32(&n) || left() < n) {
      pos_ = at;
      return false;
    }
    *s = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool bytes(std::string_view* s) noexcept {
    std::uint64_t n = 0;
    std::size_t at = pos_;
    if (!u64(&n) || left() < n) {
      pos_ = at;
      return false;
    }
    *s = in_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return true;
  }

private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

} // namespace kvmem::detail
