#include "kvmem/time.hpp"

#include <limits>

#include <fmt/format.h>

namespace kvmem {

namespace {
constexpr std::int64_t ps_per_s = 1'000'000'000'000;
constexpr std::int64_t s_per_day = 86'400;
using ns = std::chrono::nanoseconds;
static_assert(std::is_same_v<std::chrono::system_clock::duration, ns>,
              "kvmem assumes a nanosecond system_clock (libstdc++)");
constexpr std::int64_t ns_per_day = s_per_day * 1'000'000'000;
} // namespace

std::optional<ptime> ptime::of_d_ps(std::int64_t days, std::int64_t ps) noexcept {
  if (ps < 0 || ps >= ps_per_day)
    return std::nullopt;
  return ptime{days, ps};
}

ptime ptime::from_time_point(std::chrono::system_clock::time_point tp) noexcept {
  auto n = tp.time_since_epoch().count();
  auto d = n / ns_per_day;
  auto rem = n % ns_per_day;
  if (rem < 0) {
    rem += ns_per_day;
    --d;
  }
  return ptime{d, rem * 1000};
}

std::chrono::system_clock::time_point ptime::to_time_point() const noexcept {
  using tp = std::chrono::system_clock::time_point;
  constexpr auto max_days = std::numeric_limits<std::int64_t>::max() / ns_per_day - 1;
  if (days > max_days)
    return tp::max();
  if (days < -max_days)
    return tp::min();
  return tp{ns{days * ns_per_day + ps / 1000}};
}

std::string ptime::to_rfc3339() const {
  using namespace std::chrono;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  auto secs = ps / ps_per_s;
  auto frac = ps % ps_per_s;
  auto out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                         static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                         secs / 3600, secs / 60 % 60, secs % 60);
  if (frac != 0) {
    auto digits = fmt::format("{:012}", frac);
    digits.erase(digits.find_last_not_of('0') + 1);
    out += '.';
    out += digits;
  }
  out += 'Z';
  return out;
}

} // namespace kvmem
