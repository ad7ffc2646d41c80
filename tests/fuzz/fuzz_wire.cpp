// Fuzz target: decoding each of kvmem's wire types (include/kvmem/wire.hpp)
// from untrusted bytes with CAF's binary_deserializer.
//
// The first input byte picks the type, the rest is decoded as one value of
// it, in the context a server decodes in (server_context.hpp, so that actor
// handles decode too). Decoding must fail cleanly or give a valid value (the
// contract of wire.hpp: no invalid key segment, no time outside one day's
// picoseconds, no unknown enum value; wire_checks.hpp) that encodes, decodes
// back to an equal value, and encodes to the same bytes again. Crashes,
// hangs and large allocations are libFuzzer's to catch (scripts/fuzz.sh sets
// -malloc_limit_mb and -timeout).
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "kvmem/wire.hpp"

#include "fuzz_check.hpp"
#include "server_context.hpp"
#include "wire_checks.hpp"

namespace {

using namespace kvmem;
using kvmem_fuzz::same;
using kvmem_fuzz::valid;

template <class T>
caf::error decode(const char* p, std::size_t n, T& x, std::size_t* rest = nullptr) {
  kvmem_fuzz::server_context ctx;
  caf::binary_deserializer source{ctx.get(), p, n};
  auto err = source(x);
  if (rest != nullptr)
    *rest = source.remaining();
  return err;
}

template <class T>
std::vector<char> encode(const char* type, T& x) {
  std::vector<char> buf;
  kvmem_fuzz::server_context ctx;
  caf::binary_serializer sink{ctx.get(), buf};
  auto err = sink(x);
  KVMEM_FUZZ_CHECK(!err, "{}: a decoded value does not encode: {}", type, caf::to_string(err));
  return buf;
}

template <class T, bool CheckedOnLoad = true>
void round_trip(const char* type, const char* p, std::size_t n) {
  T x = T();
  if (decode(p, n, x))
    return; // rejected cleanly
  if constexpr (CheckedOnLoad)
    KVMEM_FUZZ_CHECK(valid(x), "{}: decoding gave an invalid value", type);
  auto bytes = encode(type, x);
  T y = T();
  std::size_t rest = 0;
  auto err = decode(bytes.data(), bytes.size(), y, &rest);
  KVMEM_FUZZ_CHECK(!err, "{}: a re-encoded value does not decode: {}", type, caf::to_string(err));
  KVMEM_FUZZ_CHECK(rest == 0, "{}: {} bytes left after decoding a re-encoded value", type, rest);
  KVMEM_FUZZ_CHECK(same(x, y), "{}: the value changed through encode and decode", type);
  KVMEM_FUZZ_CHECK(encode(type, y) == bytes, "{}: encoding is not stable", type);
}

using decoder = void (*)(const char* type, const char* p, std::size_t n);

template <class T>
constexpr std::pair<const char*, decoder> entry(const char* name) {
  return {name, &round_trip<T>};
}

// Every type of wire.hpp and register_types, in a fixed order: the first
// input byte indexes this table (the corpus depends on the order; append).
const std::pair<const char*, decoder> types[] = {
  entry<key>("key"),
  entry<bytes>("bytes"),
  entry<ptime>("ptime"),
  entry<digest>("digest"),
  entry<expect>("expect"),
  entry<write_op>("write_op"),
  entry<read_op>("read_op"),
  entry<requirement>("requirement"),
  entry<commit>("commit"),
  entry<entry_stat>("entry_stat"),
  entry<store_info>("store_info"),
  entry<pin>("pin"),
  entry<snapshot>("snapshot"),
  entry<std::vector<key>>("std::vector<key>"),
  entry<std::vector<write_op>>("std::vector<write_op>"),
  entry<std::vector<read_op>>("std::vector<read_op>"),
  entry<std::vector<requirement>>("std::vector<requirement>"),
  entry<std::vector<std::uint64_t>>("std::vector<std::uint64_t>"),
  entry<read_result>("read_result"),
  entry<std::vector<std::pair<key, caf::actor>>>("owners"),
  entry<change>("change"),
  entry<change_list>("change_list"),
  entry<watch_request>("watch_request"),
  entry<watch_started>("watch_started"),
  entry<changes>("changes"),
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kvmem_fuzz::server_system(); // started once, before the first input
  if (size == 0)
    return 0;
  const auto& [name, run] = types[data[0] % std::size(types)];
  run(name, reinterpret_cast<const char*>(data + 1), size - 1);
  return 0;
}
