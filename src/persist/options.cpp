// Names of sync policies, and recovery reports as text (persistence.hpp).
#include "kvmem/persistence.hpp"

#include <fmt/core.h>

namespace kvmem {

std::string_view to_string(sync_policy p) noexcept {
  switch (p) {
    case sync_policy::none: return "none";
    case sync_policy::interval: return "interval";
    case sync_policy::always: return "always";
  }
  return "unknown";
}

std::optional<sync_policy> parse_sync_policy(std::string_view s) noexcept {
  for (auto p : {sync_policy::none, sync_policy::interval, sync_policy::always})
    if (to_string(p) == s)
      return p;
  return std::nullopt;
}

std::string to_string(const recovery_report& r) {
  if (r.created)
    return "a new store";
  std::string s = fmt::format("recovered version {}: checkpoint {} (version {}), {} journal "
                              "records replayed",
                              r.version, r.checkpoint_file, r.checkpoint_version,
                              r.records_replayed);
  if (r.torn_tail)
    s += fmt::format("; a torn final record dropped ({} bytes at {} offset {})", r.torn_bytes,
                     r.torn_file, r.torn_offset);
  if (r.owned_keys_removed > 0)
    s += fmt::format("; {} keys owned by actors removed", r.owned_keys_removed);
  if (r.damage)
    s += fmt::format("; RECOVERED UP TO DAMAGE: {}", r.damage->message());
  s += fmt::format(" in {:.3f} s", std::chrono::duration<double>(r.took).count());
  return s;
}

} // namespace kvmem
