#include <catch2/catch.hpp>

#include <limits>

#include <thread>

#include "kvmem/clock.hpp"

using kvmem::ptime;

TEST_CASE("of_d_ps accepts exactly the picoseconds of one day") {
  CHECK(ptime::of_d_ps(0, 0));
  CHECK(ptime::of_d_ps(-5, 86'399'999'999'999'999));
  CHECK_FALSE(ptime::of_d_ps(0, 86'400'000'000'000'000));
  CHECK_FALSE(ptime::of_d_ps(0, -1));
}

TEST_CASE("time points convert exactly both ways") {
  using namespace std::chrono;
  for (auto ns : {0LL, 1LL, -1LL, 86'400'000'000'000LL, -86'400'000'000'001LL,
                  1'764'081'017'123'456'789LL, -4'000'000'000'000'000'000LL}) {
    system_clock::time_point tp{nanoseconds{ns}};
    auto t = ptime::from_time_point(tp);
    CHECK(t.ps >= 0);
    CHECK(t.ps < ptime::ps_per_day);
    CHECK(t.to_time_point() == tp);
  }
  auto t = ptime::from_time_point(system_clock::time_point{nanoseconds{-1}});
  CHECK(t.days == -1);
  CHECK(t.ps == ptime::ps_per_day - 1000);
  // Sub-nanosecond picoseconds are floored.
  CHECK(ptime{0, 1999}.to_time_point().time_since_epoch() == nanoseconds{1});
}

TEST_CASE("RFC 3339 rendering") {
  CHECK(ptime{}.to_rfc3339() == "1970-01-01T00:00:00Z");
  CHECK(ptime{20'417, 52'217'000'000'000'000}.to_rfc3339() == "2025-11-25T14:30:17Z");
  CHECK(ptime{0, 250'000'000'000}.to_rfc3339() == "1970-01-01T00:00:00.25Z");
  CHECK(ptime{0, 1}.to_rfc3339() == "1970-01-01T00:00:00.000000000001Z");
  CHECK(ptime{-1, 0}.to_rfc3339() == "1969-12-31T00:00:00Z");
  CHECK(fmt::format("{}", ptime{}) == "1970-01-01T00:00:00Z");
}

TEST_CASE("ptimes order by days then picoseconds") {
  CHECK(ptime{0, 5} < ptime{1, 0});
  CHECK(ptime{-1, 9} < ptime{0, 0});
  CHECK(ptime{2, 3} == ptime{2, 3});
}

TEST_CASE("the manual clock moves only when told") {
  kvmem::manual_clock c{ptime{10, 0}};
  CHECK(c.now() == ptime{10, 0});
  CHECK(c.now() == ptime{10, 0});
  c.advance(std::chrono::seconds(1));
  CHECK(c.now() == ptime{10, 1'000'000'000'000});
  c.advance(ptime::ps_per_day);
  CHECK(c.now() == ptime{11, 1'000'000'000'000});
  c.advance(-2'000'000'000'000);
  CHECK(c.now() == ptime{10, ptime::ps_per_day - 1'000'000'000'000});
  c.set(ptime{3, 4});
  CHECK(c.now() == ptime{3, 4});
}

TEST_CASE("the manual clock advances exactly across years, in any unit") {
  using namespace std::chrono;
  kvmem::manual_clock c{ptime{10, 5}};
  // 107 days in nanoseconds overflowed a picosecond product before.
  c.advance(nanoseconds(hours(24 * 107)) + nanoseconds(3));
  CHECK(c.now() == ptime{117, 5 + 3'000});
  c.advance(years(1)); // 365.2425 days = 365 days + 20,952 s
  CHECK(c.now() == ptime{117 + 365, 5 + 3'000 + 20'952 * 1'000'000'000'000});
  c.set(ptime{0, 0});
  c.advance(years(1000));
  CHECK(c.now() == ptime{365'242, 12 * 3'600 * 1'000'000'000'000}); // 365242.5 days
  c.advance(-years(1000));
  CHECK(c.now() == ptime{0, 0});
  c.advance(hours(-1));
  CHECK(c.now() == ptime{-1, ptime::ps_per_day - 3'600 * 1'000'000'000'000});
  c.set(ptime{0, 0});
  c.advance(std::numeric_limits<std::int64_t>::max()); // picoseconds: ~106.75 days
  auto max = std::numeric_limits<std::int64_t>::max();
  CHECK(c.now() == ptime{max / ptime::ps_per_day, max % ptime::ps_per_day});
  c.set(ptime{0, 0});
  c.advance(seconds(std::numeric_limits<std::int32_t>::max())); // 2^31 - 1 s: ~68 years
  CHECK(c.now() == ptime{24'855, (std::int64_t{2'147'483'647} % 86'400) * 1'000'000'000'000});
}

TEST_CASE("clocks model the clock concept and erase into any_clock") {
  static_assert(kvmem::clock<kvmem::system_clock>);
  static_assert(kvmem::clock<kvmem::manual_clock>);
  static_assert(kvmem::clock<kvmem::any_clock>);
  auto m = std::make_shared<kvmem::manual_clock>(ptime{1, 2});
  auto any = kvmem::any_clock::shared(m);
  CHECK(any.now() == ptime{1, 2});
  m->set(ptime{5, 6});
  CHECK(any.now() == ptime{5, 6}); // shares the caller's clock
  kvmem::any_clock sys;
  auto a = sys.now();
  CHECK(a.days > 19'000); // after 2022
}
