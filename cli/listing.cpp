#include "listing.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "text.hpp"

namespace kvmem::cli {

namespace {

// "key":"...", plus "key_hex":"..." when JSON cannot carry the key's bytes.
std::string json_key(const key& k) {
  return json_bytes_field("key", k.to_string());
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
  const auto& st = s.st;
  const bool value = st.what == kind::value;
  // A value's size is its bytes; a dictionary's is its number of entries
  // (direct ones), counted by the tree. A value's subtree is its modified:
  // not shown.
  const char* count = value ? "size" : "entries";
  const std::uint64_t n = value ? st.size : st.entries;
  if (json) {
    auto subtree = value ? std::string() : fmt::format(",\"subtree\":{}", st.subtree);
    fmt::print(out,
               "{{{},\"kind\":\"{}\",\"{}\":{},\"last_modified\":\"{}\",\"created\":{},"
               "\"modified\":{}{},\"digest\":\"{}\"}}\n",
               json_key(s.k), st.what, count, n, st.last_modified, st.created, st.modified, subtree,
               s.hash);
  } else {
    auto subtree = value ? std::string() : fmt::format("subtree: {}\n", st.subtree);
    fmt::print(
        out,
        "key: {}\nkind: {}\n{}: {}\nlast_modified: {}\ncreated: {}\nmodified: {}\n{}digest: {}\n",
        escape(s.k.to_string()), st.what, count, n, st.last_modified, st.created, st.modified, subtree,
        s.hash);
  }
}

void print_info(const store_info& i, bool json, std::FILE* out) {
  auto capacity = i.capacity == unlimited ? std::string(json ? "null" : "unlimited")
                                          : std::to_string(i.capacity);
  // Persistence: the sync policy (or "off"), and the journal's and the
  // last checkpoint's state.
  std::string sync = i.sync == 0 ? "off" : std::string(to_string(static_cast<sync_policy>(i.sync - 1)));
  std::string taken = "none";
  if (i.checkpoint_unix_ms > 0) {
    auto t = ptime::from_time_point(std::chrono::system_clock::time_point(
        std::chrono::milliseconds(static_cast<std::int64_t>(i.checkpoint_unix_ms))));
    taken = t.to_rfc3339();
  }
  if (json) {
    fmt::print(out,
               "{{\"version\":{},\"used\":{},\"capacity\":{},\"pinned\":{},"
               "\"retained_versions\":{},\"retained_bytes\":{},\"subscriptions\":{},"
               "\"owned_keys\":{}",
               i.version, i.used, capacity, i.pinned, i.retained_versions, i.retained_bytes,
               i.subscriptions, i.owned_keys);
    if (i.sync != 0)
      fmt::print(out,
                 ",\"sync\":\"{}\",\"journal_bytes\":{},\"journal_segments\":{},"
                 "\"synced_version\":{},\"checkpoint_version\":{},\"checkpoint_bytes\":{},"
                 "\"checkpoint_time\":\"{}\",\"checkpoint_running\":{},\"writes_refused\":{}",
                 sync, i.journal_bytes, i.journal_segments, i.synced_version,
                 i.checkpoint_version, i.checkpoint_bytes, taken,
                 i.checkpoint_running ? "true" : "false", i.writes_refused ? "true" : "false");
    fmt::print(out, "}}\n");
  } else {
    fmt::print(out,
               "version: {}\nused: {}\ncapacity: {}\npinned: {}\nretained_versions: {}\n"
               "retained_bytes: {}\nsubscriptions: {}\nowned_keys: {}\nsync: {}\n",
               i.version, i.used, capacity, i.pinned, i.retained_versions, i.retained_bytes,
               i.subscriptions, i.owned_keys, sync);
    if (i.sync != 0)
      fmt::print(out,
                 "journal_bytes: {}\njournal_segments: {}\nsynced_version: {}\n"
                 "checkpoint_version: {}\ncheckpoint_bytes: {}\ncheckpoint_time: {}\n"
                 "checkpoint_running: {}\nwrites_refused: {}\n",
                 i.journal_bytes, i.journal_segments, i.synced_version, i.checkpoint_version,
                 i.checkpoint_bytes, taken, i.checkpoint_running ? "yes" : "no",
                 i.writes_refused ? "yes" : "no");
  }
}

} // namespace kvmem::cli
