// Journal records: every kind of write round-trips; a record cut anywhere,
// or with any byte flipped, is detected (never decoded as another record).
#include <catch2/catch.hpp>

#include "persist/journal.hpp"
#include "persist/journal_record.hpp"

using kvmem::detail::frame_check;

namespace {
using kvmem::bytes;
using kvmem::expect;
using kvmem::key;
using kvmem::ptime;
using kvmem::stamp;
using kvmem::write_op;
namespace detail = kvmem::detail;

std::vector<write_op> every_kind() {
  return {write_op::set(key::v("/a/b"), "hello\0world\r\n"),
          write_op::set(key::v("/e"), "", expect::none()),
          write_op::set_partial(key::v("/a/b"), 3, "xyz"),
          write_op::remove(key::v("/a"), expect::modified(7)),
          write_op::rename(key::v("/x/y"), key::v("/z"), expect::modified(2)),
          write_op::allocate(key::v("/big"), 1 << 20),
          write_op::allocate(key::v("/dated"), 5, ptime{3, 4})};
}
} // namespace

TEST_CASE("a journal record round-trips every kind of write", "[journal]") {
  std::string framed;
  stamp at{ptime{19000, 123456789}, 42};
  auto ops = every_kind();
  std::vector<key> owned{key::v("/svc/a"), key::v("/svc/b")};
  detail::encode_record(framed, at, ops, owned);
  auto fc = detail::check_frame(framed);
  REQUIRE(fc.status == frame_check::ok);
  REQUIRE(fc.length + detail::record_header_bytes == framed.size());
  auto r = detail::decode_record(std::string_view{framed}.substr(detail::record_header_bytes));
  REQUIRE(r);
  CHECK(r->at.version == 42);
  CHECK(r->at.time == at.time);
  CHECK(r->writes == ops);
  CHECK(r->owned == owned);
}

TEST_CASE("a journal record cut short or damaged is detected", "[journal]") {
  std::string framed;
  detail::encode_record(framed, stamp{ptime{1, 2}, 9}, every_kind(), {});
  for (std::size_t n = 0; n < framed.size(); ++n) {
    CAPTURE(n);
    auto fc = detail::check_frame(std::string_view{framed}.substr(0, n));
    CHECK(fc.status != frame_check::ok);
  }
  for (std::size_t i = 0; i < framed.size(); ++i) {
    CAPTURE(i);
    auto bad = framed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    CHECK(detail::check_frame(bad).status != frame_check::ok);
  }
  CHECK(detail::check_frame(std::string(20, '\0')).status == frame_check::zeros);
}

TEST_CASE("segment and checkpoint names and headers", "[journal]") {
  CHECK(detail::segment_name(17) == "journal-00000000000000000017.kvj");
  CHECK(detail::parse_segment_name(detail::segment_name(17)) == 17u);
  CHECK_FALSE(detail::parse_segment_name("journal-x.kvj"));
  auto h = detail::segment_header(99);
  CHECK(h.size() == detail::segment_header_bytes);
  CHECK(detail::check_segment_header(h) == 99u);
  h[9] = 7;
  CHECK_FALSE(detail::check_segment_header(h));
}
