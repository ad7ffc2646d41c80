#include "listing.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "text.hpp"

namespace kvmem::cli {

namespace {

// "key":"...", plus "key_hex":"..." when JSON cannot carry the key's bytes.
std::string json_key(const key& k) {
  auto s = k.to_string();
  auto out = fmt::format("\"key\":{}", json_string(s));
  if (!valid_utf8(s))
    out += fmt::format(",\"key_hex\":\"{}\"", hex(s));
  return out;
}

} // namespace

std::string print_listing(const listing& l, listing_form form, std::FILE* out) {
  switch (form) {
  case listing_form::human:
    for (auto& [k, kd] : l)
      fmt::print(out, "{}\t{}\n", kd, escape(k.to_string()));
    return {};
  case listing_form::nul: {
    auto with_nul = std::find_if(l.begin(), l.end(), [](auto& e) {
      return e.first.to_string().find('\0') != std::string::npos;
    });
    if (with_nul != l.end())
      return fmt::format("the key {} holds a NUL byte, which -0 cannot represent (use --json)",
                         escape(with_nul->first.to_string()));
    for (auto& [k, kd] : l) {
      fmt::print(out, "{}\t", kd);
      auto s = k.to_string();
      std::fwrite(s.data(), 1, s.size(), out);
      std::fputc('\0', out);
    }
    return {};
  }
  case listing_form::json: {
    std::fputc('[', out);
    bool first = true;
    for (auto& [k, kd] : l) {
      fmt::print(out, "{}{{\"kind\":\"{}\",{}}}", first ? "" : ",", kd, json_key(k));
      first = false;
    }
    std::fputs("]\n", out);
    return {};
  }
  }
  return {};
}

void print_stat(const stat_info& s, bool json, std::FILE* out) {
  const char* count = s.kd == kind::value ? "size" : "entries";
  if (json)
    fmt::print(out, "{{{},\"kind\":\"{}\",\"{}\":{},\"last_modified\":\"{}\",\"digest\":\"{}\"}}\n",
               json_key(s.k), s.kd, count, s.size, s.last_modified, s.hash);
  else
    fmt::print(out, "key: {}\nkind: {}\n{}: {}\nlast_modified: {}\ndigest: {}\n",
               escape(s.k.to_string()), s.kd, count, s.size, s.last_modified, s.hash);
}

void print_info(const store_info& i, bool json, std::FILE* out) {
  auto capacity = i.capacity == unlimited ? std::string(json ? "null" : "unlimited")
                                          : std::to_string(i.capacity);
  if (json)
    fmt::print(out, "{{\"version\":{},\"used\":{},\"capacity\":{},\"pinned\":{}}}\n", i.version,
               i.used, capacity, i.pinned);
  else
    fmt::print(out, "version: {}\nused: {}\ncapacity: {}\npinned: {}\n", i.version, i.used,
               capacity, i.pinned);
}

} // namespace kvmem::cli
