// Fuzz target: the parsers of a store's files — journal records, the tree
// image of a checkpoint, and recovery of a directory whose journal segment
// holds the fuzzer's bytes.
//
// The first byte picks what the rest is:
//   0  a framed journal record: check_frame, then decode_record; a record
//      that decodes must encode back to the same bytes;
//   1  a tree image: read_image; an image that loads must write back to an
//      image that loads to the same tree (the same image bytes);
//   2  the records of a journal segment after a valid header, recovered on
//      the simulated disk after the checkpoint of an empty store: recovery
//      succeeds or fails with corrupt — never crashes, never anything else —
//      and a recovered directory opens again to the same version.
#include <cstring>
#include <string>

#include "kvmem/persistence.hpp"
#include "persist/journal.hpp"
#include "persist/journal_record.hpp"
#include "persist/recovery.hpp"
#include "support/sim_fs.hpp"
#include "tree/tree_image.hpp"

#include "fuzz_check.hpp"

namespace {

using namespace kvmem;

void record(std::string_view in) {
  auto fc = detail::check_frame(in);
  if (fc.status != detail::frame_check::ok)
    return;
  auto body = in.substr(detail::record_header_bytes, fc.length);
  auto r = detail::decode_record(body);
  if (!r) {
    if (r.error().code != errc::corrupt)
      kvmem_fuzz::fail("decode_record failed with another error than corrupt");
    return;
  }
  std::string again;
  detail::encode_record(again, r->at, r->writes, r->owned);
  if (again != in.substr(0, detail::record_header_bytes + fc.length))
    kvmem_fuzz::fail("a decoded record does not encode back to its bytes");
}

std::string image_of(const tree& t) {
  std::string out;
  if (!detail::write_image(t, [&](std::string_view s) {
        out.append(s);
        return true;
      }))
    kvmem_fuzz::fail("write_image to a string failed");
  return out;
}

result<tree> load(std::string_view in) {
  std::size_t at = 0;
  return detail::read_image(
      [&](std::span<char> out) -> std::optional<std::size_t> {
        std::size_t n = std::min(out.size(), in.size() - at);
        std::memcpy(out.data(), in.data() + at, n);
        at += n;
        return n;
      },
      unlimited);
}

void image(std::string_view in) {
  auto t = load(in);
  if (!t) {
    if (t.error().code != errc::corrupt)
      kvmem_fuzz::fail("read_image failed with another error than corrupt");
    return;
  }
  auto bytes = image_of(*t);
  auto back = load(bytes);
  if (!back || image_of(*back) != bytes)
    kvmem_fuzz::fail("an image that loaded does not round-trip");
}

void recovery(std::string_view in) {
  persistence_options o;
  o.dir = "db";
  o.fs = std::make_shared<test::sim_fs>();
  {
    auto first = detail::recover(o, ptime{1, 0}); // a new store: checkpoint 0
    if (!first)
      kvmem_fuzz::fail("creating a store failed: " + first.error().message());
  }
  auto fs = std::static_pointer_cast<test::sim_fs>(o.fs);
  fs->set_contents("db/" + detail::segment_name(1), detail::segment_header(1) + std::string(in));
  version_t v = 0;
  {
    auto r = detail::recover(o, ptime{1, 0});
    if (!r) {
      if (r.error().code != errc::corrupt)
        kvmem_fuzz::fail("recovery failed with another error than corrupt: " + r.error().message());
      return;
    }
    v = r->version;
  }
  auto again = detail::recover(o, ptime{1, 0});
  if (!again || again->version != v || again->report.torn_tail)
    kvmem_fuzz::fail("a recovered directory does not open again to the same version");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  std::string_view in{reinterpret_cast<const char*>(data) + 1, size - 1};
  switch (data[0] % 3) {
    case 0: record(in); break;
    case 1: image(in); break;
    case 2: recovery(in); break;
  }
  return 0;
}
