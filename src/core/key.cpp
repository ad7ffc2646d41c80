#include "kvmem/key.hpp"

#include <stdexcept>

namespace kvmem {

key key::v(std::string_view path) {
  std::vector<std::string> segs;
  std::size_t i = 0;
  while (i < path.size()) {
    auto j = path.find('/', i);
    if (j == std::string_view::npos)
      j = path.size();
    if (j > i)
      segs.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return key{std::move(segs)};
}

key key::of(std::initializer_list<std::string_view> segments) {
  std::vector<std::string> segs;
  segs.reserve(segments.size());
  for (auto s : segments) {
    check_segment(s);
    segs.emplace_back(s);
  }
  return key{std::move(segs)};
}

bool key::from_segments(std::vector<std::string> segments, key* out) {
  for (auto& s : segments)
    if (s.empty() || s.find('/') != std::string::npos)
      return false;
  out->segs_ = std::move(segments);
  return true;
}

void key::check_segment(std::string_view seg) {
  if (seg.empty())
    throw std::invalid_argument("kvmem::key: empty segment");
  if (seg.find('/') != std::string_view::npos)
    throw std::invalid_argument(
        fmt::format("kvmem::key: segment {:?} contains '/'", std::string(seg)));
}

key key::operator/(std::string_view seg) const& {
  check_segment(seg);
  std::vector<std::string> segs;
  segs.reserve(segs_.size() + 1);
  segs.insert(segs.end(), segs_.begin(), segs_.end());
  segs.emplace_back(seg);
  return key{std::move(segs)};
}

key key::operator/(std::string_view seg) && {
  check_segment(seg);
  segs_.emplace_back(seg);
  return std::move(*this);
}

key append(const key& x, const key& y) {
  std::vector<std::string> segs;
  segs.reserve(x.segs_.size() + y.segs_.size());
  segs.insert(segs.end(), x.segs_.begin(), x.segs_.end());
  segs.insert(segs.end(), y.segs_.begin(), y.segs_.end());
  return key{std::move(segs)};
}

std::string_view key::basename() const noexcept {
  return segs_.empty() ? std::string_view{} : std::string_view{segs_.back()};
}

key key::parent() const {
  if (segs_.empty())
    return {};
  return key{std::vector<std::string>(segs_.begin(), segs_.end() - 1)};
}

bool key::is_prefix_of(const key& other) const noexcept {
  if (segs_.size() > other.segs_.size())
    return false;
  for (std::size_t i = 0; i < segs_.size(); ++i)
    if (segs_[i] != other.segs_[i])
      return false;
  return true;
}

std::string key::to_string() const {
  if (segs_.empty())
    return "/";
  std::size_t n = 0;
  for (auto& s : segs_)
    n += s.size() + 1;
  std::string out;
  out.reserve(n);
  for (auto& s : segs_) {
    out += '/';
    out += s;
  }
  return out;
}

std::size_t hash_value(const key& k) noexcept {
  // FNV-1a over segment bytes, with the segment length mixed in so that
  // {"ab"} and {"a","b"} differ.
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (auto& s : k.segments()) {
    for (unsigned char c : s)
      mix(c);
    auto n = s.size();
    for (int i = 0; i < 4; ++i)
      mix(static_cast<unsigned char>(n >> (8 * i)));
  }
  return static_cast<std::size_t>(h);
}

} // namespace kvmem
