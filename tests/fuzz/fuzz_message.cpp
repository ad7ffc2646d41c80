// Fuzz target: the payload of a BASP direct message, decoded as kvmem's
// server decodes it: an actor system configured by kvmem::enable_remote
// (kvmem's types registered, the middleman loaded), and a deserializer with
// a proxy registry, reading the forwarding stack and then the caf::message
// (caf/io/basp/remote_message_handler.hpp, CAF 0.17.6).
//
// As in a server and a client, the guard's payload check
// (net/basp_payload.hpp) runs first, in both directions (a client's request;
// a server's response or other message), and only what it passes reaches
// CAF: what the guard refuses never reaches a decoder. An input starting
// with 0xff is structured: one of the schema's shapes by its second byte,
// then the bytes of its elements.
//
// What the guard passes, CAF must decode without error and to the last
// byte (the schema's readers agree with CAF's decoders), giving a message
// whose kvmem elements are valid (wire_checks.hpp) and which encodes,
// decodes back, and encodes to the same bytes again. Proxies for remote actors are not created (the
// registry's backend returns none), so handles to other nodes decode empty.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pthread.h>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/config_value.hpp>
#include <caf/message.hpp>

#include "kvmem/wire.hpp"
#include "net/basp_payload.hpp"

#include "fuzz_check.hpp"
#include "server_context.hpp"
#include "wire_checks.hpp"

namespace {

// Decoding runs on a thread with a small stack. kvmem's messages nest a few
// levels at most (an error's context inside a message); a decoder whose
// recursion grows with its input overflows this stack on inputs of a few KB,
// where the fuzzer finds them, rather than only near 1 MB, where the 8 MiB
// stack of a real server's thread overflows. The replay of the corpus (not
// a search) allows more, for compilers whose frames are bigger.
// KVMEM_FUZZ_STACK_KB overrides.
std::size_t stack_bytes() {
#ifdef KVMEM_FUZZ_REPLAY
  constexpr std::size_t default_kb = 512;
#else
  constexpr std::size_t default_kb = 64;
#endif
  static const std::size_t n = [] {
    const char* v = std::getenv("KVMEM_FUZZ_STACK_KB");
    return static_cast<std::size_t>(v != nullptr ? std::strtoull(v, nullptr, 10) : default_kb) * 1024;
  }();
  return n;
}

template <class F>
void on_small_stack(F& f) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes());
  pthread_t th;
  auto body = [](void* p) -> void* {
    (*static_cast<F*>(p))();
    return nullptr;
  };
  if (pthread_create(&th, &attr, body, &f) != 0)
    kvmem_fuzz::fail("cannot start the decoding thread");
  pthread_join(th, nullptr);
  pthread_attr_destroy(&attr);
}

using stages = std::vector<caf::strong_actor_ptr>;

// The first element of a kvmem type that is not valid, as "index: type".
template <class T>
void check_element(const caf::message& m, std::size_t i, const char* name, std::string& bad) {
  if (bad.empty() && m.match_element<T>(i) && !kvmem_fuzz::valid(m.get_as<T>(i)))
    bad = fmt::format("{}: {}", i, name);
}
std::string invalid_element(const caf::message& m) {
  using namespace kvmem;
  std::string bad;
  for (std::size_t i = 0; i < m.size(); ++i) {
#define KVMEM_FUZZ_ELEMENT(...) check_element<__VA_ARGS__>(m, i, #__VA_ARGS__, bad)
    KVMEM_FUZZ_ELEMENT(key);
    KVMEM_FUZZ_ELEMENT(std::vector<key>);
    KVMEM_FUZZ_ELEMENT(ptime);
    KVMEM_FUZZ_ELEMENT(write_op);
    KVMEM_FUZZ_ELEMENT(std::vector<write_op>);
    KVMEM_FUZZ_ELEMENT(read_op);
    KVMEM_FUZZ_ELEMENT(std::vector<read_op>);
    KVMEM_FUZZ_ELEMENT(read_result);
    KVMEM_FUZZ_ELEMENT(requirement);
    KVMEM_FUZZ_ELEMENT(std::vector<requirement>);
    KVMEM_FUZZ_ELEMENT(entry_stat);
    KVMEM_FUZZ_ELEMENT(commit);
    KVMEM_FUZZ_ELEMENT(snapshot);
    KVMEM_FUZZ_ELEMENT(std::vector<std::pair<key, caf::actor>>);
    KVMEM_FUZZ_ELEMENT(change);
    KVMEM_FUZZ_ELEMENT(change_list);
    KVMEM_FUZZ_ELEMENT(watch_request);
    KVMEM_FUZZ_ELEMENT(watch_started);
    KVMEM_FUZZ_ELEMENT(changes);
#undef KVMEM_FUZZ_ELEMENT
  }
  return bad;
}

std::vector<char> encode(caf::execution_unit* ctx, stages& st, caf::message& msg) {
  std::vector<char> buf;
  caf::binary_serializer sink{ctx, buf};
  auto err = sink(st, msg);
  KVMEM_FUZZ_CHECK(!err, "a decoded message does not encode: {}", caf::to_string(err));
  return buf;
}

void check(const std::uint8_t* data, std::size_t size) {
  using namespace kvmem;
  kvmem_fuzz::server_context context;
  caf::execution_unit* ctx = context.get();
  stages st;
  caf::message msg;
  {
    // The guard passed it: CAF must decode all of it (the readers and
    // CAF's decoders agree), else the schema lets through what CAF refuses.
    caf::binary_deserializer source{ctx, reinterpret_cast<const char*>(data), size};
    auto err = source(st, msg);
    KVMEM_FUZZ_CHECK(!err, "the guard passed a message CAF does not decode: {}", caf::to_string(err));
    KVMEM_FUZZ_CHECK(source.remaining() == 0, "the guard passed a message with {} bytes CAF leaves",
                     source.remaining());
  }
  const std::string bad = invalid_element(msg);
  KVMEM_FUZZ_CHECK(bad.empty(), "decoding gave an invalid message element (index: type) {}", bad);
  // CAF 0.17.6 encodes a floating-point infinity in an endless loop
  // (caf::detail::pack754 halves it until it is below 2), and decodes any
  // all-ones exponent as one. A server never re-encodes what a peer sent,
  // and kvmem's types hold no floating point: such messages stop here.
  for (std::size_t i = 0; i < msg.size(); ++i)
    if (msg.match_element<float>(i) || msg.match_element<double>(i) || msg.match_element<long double>(i) ||
        msg.match_element<caf::config_value>(i))
      return;
  auto bytes = encode(ctx, st, msg);
  stages st2;
  caf::message msg2;
  caf::binary_deserializer source{ctx, bytes};
  auto err = source(st2, msg2);
  KVMEM_FUZZ_CHECK(!err, "a re-encoded message does not decode: {}", caf::to_string(err));
  KVMEM_FUZZ_CHECK(source.remaining() == 0, "{} bytes left after decoding a re-encoded message",
                   source.remaining());
  KVMEM_FUZZ_CHECK(msg2.type_token() == msg.type_token() && st2.size() == st.size(),
                   "the message changed through encode and decode");
  KVMEM_FUZZ_CHECK(encode(ctx, st2, msg2) == bytes, "encoding a message is not stable");
}

// A structured input: 0xff, a byte choosing one of the schema's shapes
// (message_schema.hpp), then the bytes of its elements: the fuzzer then
// mutates fields behind a valid type list (hostile lengths, counts, codes)
// instead of mostly failing at the type list.
std::string structured(const std::uint8_t* data, std::size_t size) {
  using namespace kvmem::detail::net;
  std::vector<shape> all(client_messages.begin(), client_messages.end());
  all.insert(all.end(), server_responses.begin(), server_responses.end());
  all.insert(all.end(), server_messages.begin(), server_messages.end());
  auto& s = all[data[1] % all.size()];
  std::string p(1, '\0'); // no forwarding stack
  p.append(2, '\0');      // no type number
  p.push_back(static_cast<char>(s.names.size()));
  p += s.names;
  p.append(reinterpret_cast<const char*>(data) + 2, size - 2);
  return p;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvmem::detail::net;
  std::string payload;
  if (size >= 2 && data[0] == 0xff)
    payload = structured(data, size);
  else
    payload.assign(reinterpret_cast<const char*>(data), size);
  // As a server's guard checks a client's request, and as a client's guard
  // checks its server's response or other message: CAF sees it if any of
  // them lets it through.
  const auto p = payload.data();
  const auto n = payload.size();
  const bool delivered =
      check_client_payload(make_header(basp_op::direct_message, 0, 0x1000000000000001, 9, 6), p, n).action ==
          verdict::deliver ||
      check_server_payload(make_header(basp_op::direct_message, 0, 0x9000000000000001, 6, 9), p, n).action ==
          verdict::deliver ||
      check_server_payload(make_header(basp_op::direct_message, 0, 0x1000000000000000, 0, 9), p, n).action ==
          verdict::deliver;
  // Identity (a peer speaks only for itself) only ever refuses more: what
  // passes as a given peer's passes unchecked; down, monitor and handshake
  // payloads from a peer never name a node other than the two, and a
  // handshake never claims none (nor a client this node).
  static std::vector<std::uint64_t> named;
  static const kvmem::detail::wire::speaker who = [] {
    kvmem::detail::wire::speaker w;
    w.peer = {true, 7, {}};
    w.self = {true, 8, {}};
    w.actors = &named;
    return w;
  }();
  named.clear();
  auto as_peer =
      check_client_payload(make_header(basp_op::direct_message, 0, 0x1000000000000001, 9, 6), p, n, &who);
  KVMEM_FUZZ_CHECK(as_peer.action != verdict::deliver ||
                       check_client_payload(make_header(basp_op::direct_message, 0, 0x1000000000000001, 9, 6),
                                            p, n)
                               .action == verdict::deliver,
                   "a message passes as a peer's but not unchecked");
  for (auto op : {basp_op::down_message, basp_op::monitor_message}) {
    auto h = make_header(op, 0, 0, 7, 0);
    if (check_client_payload(h, p, n, &who).action == verdict::deliver) {
      kvmem::detail::wire::cursor c{p, n};
      auto first = kvmem::detail::wire::read_node(c);
      auto second = kvmem::detail::wire::read_node(c);
      KVMEM_FUZZ_CHECK(first == who.peer && second == who.self,
                       "a down or monitor message about another node passed");
    }
  }
  for (auto op : {basp_op::client_handshake, basp_op::server_handshake}) {
    auto claimed = handshake_node(make_header(op, 0, 3), p, n, who.self);
    if (auto* node = std::get_if<kvmem::detail::wire::node_ref>(&claimed))
      KVMEM_FUZZ_CHECK(node->valid && (*node != who.self || op == basp_op::server_handshake),
                       "a handshake claimed none, or a client this node");
  }
  if (!delivered)
    return 0; // the guard drops the peer, or answers without CAF
  kvmem_fuzz::server_system(); // started on the main thread, once
  auto run = [&] { check(reinterpret_cast<const std::uint8_t*>(p), n); };
  on_small_stack(run);
  return 0;
}
