// Encoding and decoding journal records (see journal_record.hpp).
#include "persist/journal_record.hpp"

#include <cstring>
#include <stdexcept>

#include <fmt/core.h>
#include <xxhash.h>

#include "persist/le.hpp"

namespace kvmem::detail {

namespace {

// Flags of one encoded write.
constexpr std::uint8_t has_precondition = 1;
constexpr std::uint8_t has_time = 2;

void put_key(std::string& out, const key& k) {
  put_u32(out, static_cast<std::uint32_t>(k.depth()));
  for (auto& s : k.segments())
    put_str(out, s);
}

std::uint64_t checksum(std::string_view body) noexcept {
  // Seeded with the length, so a damaged length fails the check too.
  return XXH3_64bits_withSeed(body.data(), body.size(), body.size());
}

error corrupt(std::string_view what) { return error::make(errc::corrupt, std::string(what)); }

bool get_key(le_reader& in, key* out) {
  std::uint32_t n = 0;
  if (!in.u32(&n) || n > in.left() / 4)
    return false;
  std::vector<std::string> segs;
  segs.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!in.str(&s))
      return false;
    segs.emplace_back(s);
  }
  return key::from_segments(std::move(segs), out);
}

} // namespace

void encode_record(std::string& out, const stamp& at, std::span<const write_op> writes,
                   std::span<const key> owned) {
  const std::size_t start = out.size();
  out.append(record_header_bytes, '\0');
  put_u64(out, at.version);
  put_i64(out, at.time.days);
  put_i64(out, at.time.ps);
  put_u32(out, static_cast<std::uint32_t>(writes.size()));
  for (auto& w : writes) {
    std::uint8_t flags = (w.precondition ? has_precondition : 0) | (w.time ? has_time : 0);
    out.push_back(static_cast<char>(w.op));
    out.push_back(static_cast<char>(flags));
    put_key(out, w.path);
    switch (w.op) {
      case write_op::code::set: put_bytes(out, w.data.view()); break;
      case write_op::code::set_partial:
        put_u64(out, w.offset);
        put_bytes(out, w.data.view());
        break;
      case write_op::code::remove: break;
      case write_op::code::rename: put_key(out, w.destination); break;
      case write_op::code::allocate: put_u64(out, w.size); break;
    }
    if (w.time) {
      put_i64(out, w.time->days);
      put_i64(out, w.time->ps);
    }
    if (w.precondition) {
      out.push_back(w.precondition->absent ? 1 : 0);
      put_u64(out, w.precondition->version);
    }
  }
  put_u32(out, static_cast<std::uint32_t>(owned.size()));
  for (auto& k : owned)
    put_key(out, k);
  const std::uint64_t body = out.size() - start - record_header_bytes;
  if (body > max_record_body) {
    out.resize(start);
    throw std::length_error("a journal record of 4 GiB or more");
  }
  std::string_view b{out.data() + start + record_header_bytes, static_cast<std::size_t>(body)};
  std::uint64_t sum = checksum(b);
  char* h = out.data() + start;
  store_u32(h, static_cast<std::uint32_t>(body));
  store_u64(h + 4, sum);
}

frame_check check_frame(std::string_view data) noexcept {
  if (data.size() < record_header_bytes)
    return {std::all_of(data.begin(), data.end(), [](char c) { return c == 0; }) && !data.empty()
                ? frame_check::zeros
                : frame_check::truncated,
            0};
  std::uint32_t len = load_u32(data.data());
  std::uint64_t sum = load_u64(data.data() + 4);
  if (len == 0)
    return {frame_check::zeros, 0};
  if (data.size() - record_header_bytes < len)
    return {frame_check::truncated, len};
  if (checksum(data.substr(record_header_bytes, len)) != sum)
    return {frame_check::bad_sum, len};
  return {frame_check::ok, len};
}

result<journal_record> decode_record(std::string_view body) {
  le_reader in{body};
  journal_record r;
  std::uint32_t n = 0;
  if (!in.u64(&r.at.version) || !in.i64(&r.at.time.days) || !in.i64(&r.at.time.ps) || !in.u32(&n))
    return corrupt("a record's stamp is cut short");
  if (!ptime::of_d_ps(r.at.time.days, r.at.time.ps))
    return corrupt("a record's time is out of range");
  if (n > in.left() / 2)
    return corrupt(fmt::format("a record claims {} writes in {} bytes", n, in.left()));
  r.writes.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint8_t code = 0, flags = 0;
    if (!in.u8(&code) || !in.u8(&flags) || code < 1 || code > write_op::max_code ||
        (flags & ~(has_precondition | has_time)) != 0)
      return corrupt(fmt::format("write {} of a record has an unknown code or flags", i));
    write_op w;
    w.op = static_cast<write_op::code>(code);
    if (!get_key(in, &w.path))
      return corrupt(fmt::format("write {} of a record has a bad key", i));
    bool ok = true;
    std::string_view data;
    switch (w.op) {
      case write_op::code::set: ok = in.bytes(&data); break;
      case write_op::code::set_partial: ok = in.u64(&w.offset) && in.bytes(&data); break;
      case write_op::code::remove: break;
      case write_op::code::rename: ok = get_key(in, &w.destination); break;
      case write_op::code::allocate: ok = in.u64(&w.size); break;
    }
    if (ok && !data.empty())
      w.data = bytes{data};
    if (ok && (flags & has_time)) {
      ptime t;
      ok = in.i64(&t.days) && in.i64(&t.ps) && ptime::of_d_ps(t.days, t.ps).has_value();
      w.time = t;
    }
    if (ok && (flags & has_precondition)) {
      std::uint8_t absent = 0;
      expect e;
      ok = in.u8(&absent) && absent <= 1 && in.u64(&e.version);
      e.absent = absent == 1;
      w.precondition = e;
    }
    if (!ok)
      return corrupt(fmt::format("write {} of a record is cut short or malformed", i));
    r.writes.push_back(std::move(w));
  }
  std::uint32_t m = 0;
  if (!in.u32(&m) || m > in.left() / 4)
    return corrupt("a record's owned keys are cut short");
  for (std::uint32_t i = 0; i < m; ++i) {
    key k;
    if (!get_key(in, &k))
      return corrupt("a record's owned key is malformed");
    r.owned.push_back(std::move(k));
  }
  if (in.left() != 0)
    return corrupt(fmt::format("{} bytes after a record's contents", in.left()));
  return r;
}

} // namespace kvmem::detail
