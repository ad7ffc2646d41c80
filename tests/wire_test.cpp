// The wire (src/wire, kvmem/wire.hpp): errors through caf::error and back,
// and every message type through CAF's binary serializer, including the
// inputs that must fail to decode.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "kvmem/store.hpp"

using kvmem::errc;
using kvmem::error;
using kvmem::key;

namespace {

struct wire_fixture {
  static caf::actor_system_config& init(caf::actor_system_config& cfg) {
    kvmem::register_types(cfg);
    return cfg;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{init(cfg)};

  template <class T>
  std::vector<char> encode(T x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    REQUIRE_FALSE(sink(x));
    return buf;
  }
  template <class T>
  caf::error decode(const std::vector<char>& buf, T& out) {
    caf::binary_deserializer source{sys, buf};
    return source(out);
  }
  template <class T>
  T round_trip(T x) {
    T out;
    REQUIRE_FALSE(decode(encode(std::move(x)), out));
    return out;
  }
};

} // namespace

TEST_CASE("every error kind survives caf::error and back, keys absent or present") {
  std::vector<error> all = {error::not_found(key::v("/a/b")),
                            error::dictionary_expected(key{}),
                            error::value_expected(key::v("/x")),
                            error::no_space(),
                            error::too_many_retries(7),
                            error::rename_source_prefix(key::v("/a"), key::v("/a/b")),
                            error::already_present(key::v("/k"))};
  for (std::uint8_t c = 8; c <= kvmem::max_errc; ++c)
    all.push_back(error::make(static_cast<errc>(c), fmt::format("detail {}", c)));
  for (auto& e : all) {
    auto back = kvmem::from_caf(kvmem::to_caf(e));
    CHECK(back == e);
    CHECK(back.message() == e.message());
  }
}

TEST_CASE("CAF's own errors come back as unavailable, in words") {
  auto down = kvmem::from_caf(caf::make_error(caf::sec::request_receiver_down));
  CHECK(down.code == errc::unavailable);
  CHECK(down.detail == "the store actor is down");
  auto lost = kvmem::from_caf(caf::make_error(caf::exit_reason::remote_link_unreachable));
  CHECK(lost.detail == "the connection to the store was lost");
  // A kvmem-category code outside the known range is not trusted as one.
  auto odd = kvmem::from_caf(caf::error{200, kvmem::error_category});
  CHECK(odd.code == errc::unavailable);
}

TEST_CASE_METHOD(wire_fixture, "message types round-trip through the binary serializer") {
  auto k = key::of({"a", std::string_view{"b\0c", 3}, "d e"});
  CHECK(round_trip(k) == k);
  CHECK(round_trip(key{}) == key{});
  CHECK(round_trip(kvmem::bytes{"value"}) == "value");
  CHECK(round_trip(kvmem::ptime{-3, 42}) == kvmem::ptime{-3, 42});
  for (auto& w : {kvmem::write_op::set(k, "v"), kvmem::write_op::set_partial(k, 9, "p"),
                  kvmem::write_op::remove(k), kvmem::write_op::rename(k, key::v("/z")),
                  kvmem::write_op::allocate(k, 12), kvmem::write_op::allocate(k, 3, kvmem::ptime{1, 2})})
    CHECK(round_trip(w) == w);
  kvmem::commit c{5, {kvmem::write_op::set(k, "1"), kvmem::write_op::remove(key::v("/q"))}};
  auto c2 = round_trip(c);
  CHECK(c2.base == 5);
  CHECK(c2.ops == c.ops);
  kvmem::store_info info{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  auto i2 = round_trip(info);
  CHECK((i2.version == 1 && i2.used == 2 && i2.capacity == 3 && i2.pinned == 4 &&
         i2.max_batch_writes == 5 && i2.max_batch_bytes == 6 && i2.retained_versions == 7 &&
         i2.retained_bytes == 8 && i2.subscriptions == 9 && i2.owned_keys == 10));
}

TEST_CASE_METHOD(wire_fixture, "bytes travel as a std::string does, without copies, and refuse lying lengths") {
  std::string big(1 << 20, 'x');
  big[12345] = '\0';
  CHECK(encode(kvmem::bytes{big}) == encode(big)); // the same wire format as before
  CHECK(encode(kvmem::bytes{}) == encode(std::string{}));
  CHECK(round_trip(kvmem::bytes{big}) == big);
  CHECK(round_trip(kvmem::bytes{}).empty());
  auto buf = encode(std::string("abc"));
  buf.resize(buf.size() - 1); // the length says 3, 2 bytes follow
  kvmem::bytes out{"unchanged"};
  CHECK(decode(buf, out));
  CHECK(out == "unchanged");
}

TEST_CASE_METHOD(wire_fixture, "invalid keys, times and operations fail to decode") {
  key k;
  CHECK(decode(encode(std::vector<std::string>{"a", ""}), k));     // empty segment
  CHECK(decode(encode(std::vector<std::string>{"a/b"}), k));       // '/' in a segment
  kvmem::ptime t;
  CHECK(decode(encode(kvmem::ptime{0, kvmem::ptime::ps_per_day}), t)); // ps out of range
  CHECK(decode(encode(kvmem::ptime{0, -1}), t));
  auto w = kvmem::write_op::remove(key::v("/a"));
  auto buf = encode(w);
  kvmem::write_op out;
  for (char bad : {char{0}, char{kvmem::write_op::max_code + 1}, char{-1}}) {
    buf[0] = bad; // the operation code is the first byte
    CHECK(decode(buf, out));
  }
}

TEST_CASE_METHOD(wire_fixture, "every read and its result round-trip; kinds that are not kinds and "
                               "listings longer than the message fail to decode") {
  auto k = key::v("/a/b");
  for (auto& op : {kvmem::read_op::exists(k), kvmem::read_op::get(k), kvmem::read_op::size(k),
                   kvmem::read_op::get_partial(k, 3, 9), kvmem::read_op::list(k),
                   kvmem::read_op::last_modified(k), kvmem::read_op::digest(k), kvmem::read_op::stat(k)})
    CHECK(round_trip(op) == op);
  using kvmem::read_result;
  for (auto& r : {read_result{std::optional<kvmem::kind>{}}, read_result{kvmem::kind::dictionary},
                  read_result{kvmem::bytes{"v"}}, read_result{std::uint64_t{7}},
                  read_result{kvmem::listing{{k / "x", kvmem::kind::value}, {k / "y", kvmem::kind::dictionary}}},
                  read_result{kvmem::ptime{2, 3}}, read_result{kvmem::digest{}},
                  read_result{kvmem::entry_stat{kvmem::kind::dictionary, 0, {}, 1, 2, 3, 4}}})
    CHECK(round_trip(r) == r);
  read_result out;
  auto exists = encode(read_result{kvmem::kind::value}); // index 0, then the code 1
  REQUIRE(exists.size() == 2);
  exists[1] = 3; // not absent, a value or a dictionary
  CHECK(decode(exists, out));
  exists[0] = 9; // no such result
  CHECK(decode(exists, out));
  auto list = encode(read_result{kvmem::listing{{k, kvmem::kind::value}}});
  list.back() = 7; // the entry's kind
  CHECK(decode(list, out));
  auto lying = encode(read_result{kvmem::listing{}});
  lying.back() = 0x7f; // 127 entries declared, none follow
  CHECK(decode(lying, out));
}
