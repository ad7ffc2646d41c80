// The guard's schema agrees with CAF's serializer (src/net/message_schema.hpp,
// src/wire/wire_fields.hpp): random valid values of every type kvmem sends,
// and every request and reply shape of the store's interface, serialized by
// caf::binary_serializer inside a caf::message as BASP does, are accepted
// consuming every byte; truncated, extended and mutated messages are refused
// or, when the readers accept them, CAF decodes them without error and to
// their last byte. And what the readers bound: keys, values, sequences,
// codes, flags, and the shapes that killed or bloated a server.
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <variant>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/config_value.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/execution_unit.hpp>
#include <caf/proxy_registry.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/type_nr.hpp>

#include "net/basp_payload.hpp"
#include "net/basp_reply.hpp"
#include "net_fixture.hpp"

using namespace kvmem::detail::net;
namespace wire = kvmem::detail::wire;

namespace {

using rng_t = std::mt19937_64;

// --- random valid values --------------------------------------------------

template <class T>
struct tag {};

std::string schema_random_string(rng_t& rng, std::size_t max, bool nonempty = false) {
  std::string s(rng() % (max + 1), '\0');
  for (auto& c : s)
    c = static_cast<char>(rng());
  if (nonempty && s.empty())
    s = "x";
  return s;
}

kvmem::key gen(rng_t& rng, tag<kvmem::key>) {
  kvmem::key k;
  auto n = rng() % 5;
  for (std::size_t i = 0; i < n; ++i) {
    auto seg = schema_random_string(rng, 12, true);
    for (auto& c : seg)
      if (c == '/')
        c = 'x';
    k = std::move(k) / seg;
  }
  return k;
}
kvmem::bytes gen(rng_t& rng, tag<kvmem::bytes>) { return kvmem::bytes{schema_random_string(rng, rng() % 4 == 0 ? 3000 : 20)}; }
std::uint64_t gen(rng_t& rng, tag<std::uint64_t>) { return rng() % 3 == 0 ? rng() % 10 : rng(); }
std::uint32_t gen(rng_t& rng, tag<std::uint32_t>) { return static_cast<std::uint32_t>(rng()); }
kvmem::ptime gen(rng_t& rng, tag<kvmem::ptime>) {
  return *kvmem::ptime::of_d_ps(static_cast<std::int64_t>(rng() % 100000) - 50000,
                                static_cast<std::int64_t>(rng() % kvmem::ptime::ps_per_day));
}
kvmem::expect gen(rng_t& rng, tag<kvmem::expect>) { return {rng() % 2 == 0, gen(rng, tag<std::uint64_t>{})}; }
kvmem::write_op gen(rng_t& rng, tag<kvmem::write_op>) {
  kvmem::write_op w;
  w.op = static_cast<kvmem::write_op::code>(1 + rng() % kvmem::write_op::max_code);
  w.path = gen(rng, tag<kvmem::key>{});
  w.destination = gen(rng, tag<kvmem::key>{});
  w.data = gen(rng, tag<kvmem::bytes>{});
  w.offset = gen(rng, tag<std::uint64_t>{});
  w.size = gen(rng, tag<std::uint64_t>{});
  if (rng() % 2)
    w.time = gen(rng, tag<kvmem::ptime>{});
  if (rng() % 2)
    w.precondition = gen(rng, tag<kvmem::expect>{});
  return w;
}
kvmem::read_op gen(rng_t& rng, tag<kvmem::read_op>) {
  return {static_cast<kvmem::read_op::code>(1 + rng() % kvmem::read_op::max_code), gen(rng, tag<kvmem::key>{}),
          gen(rng, tag<std::uint64_t>{}), gen(rng, tag<std::uint64_t>{})};
}
kvmem::pin gen(rng_t& rng, tag<kvmem::pin>) { return {gen(rng, tag<std::uint64_t>{})}; }
caf::actor schema_actor(rng_t& rng, const caf::actor& alive);
kvmem::commit gen(rng_t& rng, tag<kvmem::commit>, const caf::actor& alive) {
  kvmem::commit c;
  c.base = gen(rng, tag<std::uint64_t>{});
  for (auto n = rng() % 4; n > 0; --n)
    c.ops.push_back(gen(rng, tag<kvmem::write_op>{}));
  for (auto n = rng() % 4; n > 0; --n)
    c.reads.push_back(gen(rng, tag<kvmem::read_op>{}));
  c.reads_complete = rng() % 2;
  for (auto n = rng() % 3; n > 0; --n)
    c.requirements.push_back({gen(rng, tag<kvmem::key>{}), gen(rng, tag<kvmem::expect>{})});
  c.pinned = gen(rng, tag<kvmem::pin>{});
  for (auto n = c.ops.empty() ? 0 : rng() % (c.ops.size() + 1); n > 0; --n)
    c.owners.emplace_back(gen(rng, tag<kvmem::key>{}), schema_actor(rng, alive));
  return c;
}
kvmem::watch_request gen(rng_t& rng, tag<kvmem::watch_request>) {
  kvmem::watch_request w;
  w.prefix = gen(rng, tag<kvmem::key>{});
  if (rng() % 2)
    w.from = gen(rng, tag<std::uint64_t>{});
  w.window = gen(rng, tag<std::uint32_t>{});
  return w;
}
kvmem::kind gen(rng_t& rng, tag<kvmem::kind>) { return rng() % 2 ? kvmem::kind::value : kvmem::kind::dictionary; }
kvmem::read_result gen(rng_t& rng, tag<kvmem::read_result>) {
  using kvmem::read_result;
  switch (rng() % 7) {
    case 0: return read_result{rng() % 3 == 0 ? std::optional<kvmem::kind>{} : gen(rng, tag<kvmem::kind>{})};
    case 1: return read_result{gen(rng, tag<kvmem::bytes>{})};
    case 2: return read_result{gen(rng, tag<std::uint64_t>{})};
    case 3: {
      kvmem::listing l;
      for (auto n = rng() % 5; n > 0; --n)
        l.emplace_back(gen(rng, tag<kvmem::key>{}), gen(rng, tag<kvmem::kind>{}));
      return read_result{std::move(l)};
    }
    case 4: return read_result{gen(rng, tag<kvmem::ptime>{})};
    case 5: return read_result{kvmem::digest::sha256(schema_random_string(rng, 10))};
    default: {
      kvmem::entry_stat s{gen(rng, tag<kvmem::kind>{}), gen(rng, tag<std::uint64_t>{}), gen(rng, tag<kvmem::ptime>{}),
                          gen(rng, tag<std::uint64_t>{}), gen(rng, tag<std::uint64_t>{}),
                          gen(rng, tag<std::uint64_t>{}), gen(rng, tag<std::uint64_t>{})};
      return read_result{s};
    }
  }
}
kvmem::snapshot gen(rng_t& rng, tag<kvmem::snapshot>) { return {gen(rng, tag<std::uint64_t>{}), gen(rng, tag<kvmem::pin>{})}; }
kvmem::store_info gen(rng_t& rng, tag<kvmem::store_info>) {
  kvmem::store_info s;
  for (auto* x : {&s.version, &s.used, &s.capacity, &s.pinned, &s.max_batch_writes, &s.max_batch_bytes,
                  &s.retained_versions, &s.retained_bytes, &s.subscriptions, &s.owned_keys})
    *x = gen(rng, tag<std::uint64_t>{});
  return s;
}
kvmem::watch_started gen(rng_t& rng, tag<kvmem::watch_started>) {
  return {gen(rng, tag<std::uint64_t>{}), gen(rng, tag<std::uint64_t>{})};
}
kvmem::change gen(rng_t& rng, tag<kvmem::change>) {
  kvmem::change c;
  c.version = gen(rng, tag<std::uint64_t>{});
  c.op = static_cast<kvmem::change_op>(1 + rng() % kvmem::max_change_op);
  c.path = gen(rng, tag<kvmem::key>{});
  c.what = gen(rng, tag<kvmem::kind>{});
  if (rng() % 2)
    c.other = gen(rng, tag<kvmem::key>{});
  c.value = gen(rng, tag<kvmem::bytes>{});
  return c;
}
kvmem::change_list gen(rng_t& rng, tag<kvmem::change_list>) {
  kvmem::change_list l;
  for (auto n = rng() % 4; n > 0; --n)
    l.push_back(gen(rng, tag<kvmem::change>{}));
  return l;
}
kvmem::changes gen(rng_t& rng, tag<kvmem::changes>) {
  return {gen(rng, tag<std::uint64_t>{}), gen(rng, tag<std::uint64_t>{}), gen(rng, tag<std::uint64_t>{}),
          gen(rng, tag<std::uint64_t>{}), gen(rng, tag<kvmem::change_list>{}), rng() % 2 == 0, rng() % 2 == 0};
}
std::vector<kvmem::key> gen(rng_t& rng, tag<std::vector<kvmem::key>>) {
  std::vector<kvmem::key> v;
  for (auto n = rng() % 3; n > 0; --n)
    v.push_back(gen(rng, tag<kvmem::key>{}));
  return v;
}
std::vector<std::uint64_t> gen(rng_t& rng, tag<std::vector<std::uint64_t>>) {
  std::vector<std::uint64_t> v;
  for (auto n = rng() % 4; n > 0; --n)
    v.push_back(gen(rng, tag<std::uint64_t>{}));
  return v;
}

// An actor handle: none, or a live local actor.
caf::actor schema_actor(rng_t& rng, const caf::actor& alive) {
  return rng() % 3 == 0 ? caf::actor{} : alive;
}

// A kvmem error as the store sends it (to_caf), of random contents.
caf::error schema_random_error(rng_t& rng) {
  kvmem::error e;
  e.code = static_cast<kvmem::errc>(1 + rng() % kvmem::max_errc);
  if (rng() % 2)
    e.path = gen(rng, tag<kvmem::key>{});
  if (e.path && rng() % 2)
    e.destination = gen(rng, tag<kvmem::key>{});
  e.attempts = static_cast<std::uint32_t>(rng());
  e.detail = schema_random_string(rng, 60);
  if (rng() % 2)
    e.expected = rng();
  if (rng() % 2)
    e.actual = rng();
  return kvmem::to_caf(e);
}

template <class T>
struct schema_is_atom : std::false_type {};
template <caf::atom_value V>
struct schema_is_atom<caf::atom_constant<V>> : std::true_type {};

// A value of T: constants for atoms, random otherwise.
template <class T>
T value_of(rng_t& rng, const caf::actor& alive) {
  if constexpr (schema_is_atom<T>::value)
    return T{};
  else if constexpr (std::is_same_v<T, caf::actor>)
    return schema_actor(rng, alive);
  else if constexpr (std::is_same_v<T, kvmem::commit>)
    return gen(rng, tag<kvmem::commit>{}, alive);
  else
    return gen(rng, tag<T>{});
}

// --- serializing and decoding as BASP does -------------------------------------

// A context that decodes actor handles as a BASP broker does, except that
// handles to other nodes decode empty (no proxies).
struct schema_context {
  struct no_proxies final : caf::proxy_registry::backend {
    caf::strong_actor_ptr make_proxy(caf::node_id, caf::actor_id) override { return nullptr; }
    void set_last_hop(caf::node_id*) override {}
  };
  struct unit final : caf::execution_unit {
    explicit unit(caf::actor_system* sys) : caf::execution_unit(sys) {}
    void exec_later(caf::resumable*) override {}
  };
  explicit schema_context(caf::actor_system& sys) : proxies(sys, backend), u(&sys) {
    u.proxy_registry_ptr(&proxies);
  }
  no_proxies backend;
  caf::proxy_registry proxies;
  unit u;
};

// A direct message's payload: an empty forwarding stack, then m.
std::string payload_of(caf::actor_system& sys, caf::message m) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  std::vector<caf::strong_actor_ptr> stages;
  REQUIRE(!sink(stages, m));
  return {buf.begin(), buf.end()};
}

// The bytes of one value, alone.
template <class T>
std::string bytes_of(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE(!sink(x));
  return {buf.begin(), buf.end()};
}

const basp_header schema_request = make_header(basp_op::direct_message, 0, 0x1000000000000001, 9, 6);
const basp_header schema_response = make_header(basp_op::direct_message, 0, 0x9000000000000001, 6, 9);
const basp_header schema_send = make_header(basp_op::direct_message, 0, 0x1000000000000000, 0, 9);

verdict from_client(const std::string& p) { return check_client_payload(schema_request, p.data(), p.size()).action; }
verdict from_server(const basp_header& h, const std::string& p) {
  return check_server_payload(h, p.data(), p.size()).action;
}

// CAF decodes p (stack, then message) without error and to its last byte.
bool caf_decodes(schema_context& ctx, const std::string& p) {
  caf::binary_deserializer source{&ctx.u, p.data(), p.size()};
  std::vector<caf::strong_actor_ptr> stages;
  caf::message m;
  return !source(stages, m) && source.remaining() == 0;
}

// For each signature of the store's interface: a message of its inputs and
// one of its outputs, of random values.
template <class Sig>
struct schema_sig;
template <class... In, class... Out>
struct schema_sig<caf::typed_mpi<caf::detail::type_list<In...>, caf::output_tuple<Out...>>> {
  static caf::message request(rng_t& rng, const caf::actor& alive) {
    return caf::make_message(value_of<In>(rng, alive)...);
  }
  static std::optional<caf::message> reply(rng_t& rng, const caf::actor& alive) {
    if constexpr ((std::is_void_v<Out> || ...))
      return std::nullopt;
    else
      return caf::make_message(value_of<Out>(rng, alive)...);
  }
};
template <class... Sigs>
std::vector<std::pair<caf::message, std::optional<caf::message>>> schema_messages(caf::detail::type_list<Sigs...>,
                                                                                 rng_t& rng, const caf::actor& alive) {
  return {{schema_sig<Sigs>::request(rng, alive), schema_sig<Sigs>::reply(rng, alive)}...};
}

struct wire_schema_fixture {
  test::node n;
  caf::actor_system& sys = n.sys;
  schema_context ctx{sys};
  rng_t rng{Catch::rngSeed() + 31};
  // What actor handles in random values name (when not none).
  // (Spawned with an argument: CAF 0.17 dereferences a null tuple pointer
  // for argument-less function actors, which UBSan reports.)
  caf::actor alive =
      sys.spawn([](caf::event_based_actor*, int) { return caf::behavior{[](int) {}}; }, 0);
  ~wire_schema_fixture() { caf::anon_send_exit(alive, caf::exit_reason::user_shutdown); }
};

} // namespace

TEST_CASE("CAF's built-in type names are those the schema knows") {
  for (std::size_t i = 0; i + 1 < caf::type_nrs; ++i)
    CHECK(schema_detail::builtin_names[i] == std::string_view{caf::numbered_type_names[i]});
}

TEST_CASE_METHOD(wire_schema_fixture, "every field reader walks exactly what the serializer writes") {
  auto check = [&](std::string_view name, const std::string& b) {
    INFO(name);
    auto read = wire::find_field(name);
    REQUIRE(read != nullptr);
    wire::cursor c{b.data(), b.size()};
    CHECK(read(c));
    CHECK(c.at_end());
    // Every proper prefix is refused.
    std::size_t accepted_prefixes = 0;
    for (std::size_t k = 0; k < b.size(); ++k) {
      wire::cursor cut{b.data(), k};
      accepted_prefixes += read(cut) ? 1 : 0;
    }
    CHECK(accepted_prefixes == 0);
  };
  for (int i = 0; i < 100; ++i) {
    // Every type kvmem registers (wire/wire_types.hpp), and CAF's that travel.
    check("kvmem::key", bytes_of(sys, value_of<kvmem::key>(rng, alive)));
    check("kvmem::bytes", bytes_of(sys, value_of<kvmem::bytes>(rng, alive)));
    check("kvmem::ptime", bytes_of(sys, value_of<kvmem::ptime>(rng, alive)));
    check("kvmem::write_op", bytes_of(sys, value_of<kvmem::write_op>(rng, alive)));
    check("kvmem::read_op", bytes_of(sys, value_of<kvmem::read_op>(rng, alive)));
    check("kvmem::commit", bytes_of(sys, value_of<kvmem::commit>(rng, alive)));
    check("kvmem::pin", bytes_of(sys, value_of<kvmem::pin>(rng, alive)));
    check("kvmem::watch_request", bytes_of(sys, value_of<kvmem::watch_request>(rng, alive)));
    check("kvmem::read_result", bytes_of(sys, value_of<kvmem::read_result>(rng, alive)));
    check("kvmem::snapshot", bytes_of(sys, value_of<kvmem::snapshot>(rng, alive)));
    check("kvmem::store_info", bytes_of(sys, value_of<kvmem::store_info>(rng, alive)));
    check("kvmem::watch_started", bytes_of(sys, value_of<kvmem::watch_started>(rng, alive)));
    check("kvmem::changes", bytes_of(sys, value_of<kvmem::changes>(rng, alive)));
    check("kvmem::change_list", bytes_of(sys, value_of<kvmem::change_list>(rng, alive)));
    check("std::vector<kvmem::key>", bytes_of(sys, value_of<std::vector<kvmem::key>>(rng, alive)));
    check("std::vector<std::uint64_t>", bytes_of(sys, value_of<std::vector<std::uint64_t>>(rng, alive)));
    check("@actor", bytes_of(sys, schema_actor(rng, alive)));
    check("@strong_actor_ptr", bytes_of(sys, caf::actor_cast<caf::strong_actor_ptr>(schema_actor(rng, alive))));
    check("@error", bytes_of(sys, schema_random_error(rng)));
    check("@str", bytes_of(sys, schema_random_string(rng, 100)));
  }
}

TEST_CASE_METHOD(wire_schema_fixture, "every request and reply of the store's interface is accepted, and nothing near it") {
  const auto sigs = kvmem::store_remote_actor::signatures{};
  std::size_t requests = 0, replies = 0;
  for (int round = 0; round < 60; ++round) {
    for (auto& [req, rep] : schema_messages(sigs, rng, alive)) {
      auto p = payload_of(sys, req);
      REQUIRE(from_client(p) == verdict::deliver);
      ++requests;
      // As a server sends them, they are not what a client accepts.
      CHECK(from_server(schema_send, p) == verdict::drop);
      if (rep) {
        auto r = payload_of(sys, *rep);
        REQUIRE(from_server(schema_response, r) == verdict::deliver);
        ++replies;
        CHECK(from_client(r) != verdict::deliver); // a store's reply, from a client
      }
      // Cut short anywhere, or with a byte more: refused.
      std::size_t accepted = 0;
      for (std::size_t k = 1; k < p.size(); k += 1 + k / 8)
        accepted += from_client(p.substr(0, k)) == verdict::deliver ? 1 : 0;
      CHECK(accepted == 0);
      CHECK(from_client(p + '\0') == verdict::drop);
      // Any byte changed: refused, or (if the readers accept it) decoded by
      // CAF without error, to its last byte.
      std::size_t undecodable = 0;
      for (int m = 0; m < 20; ++m) {
        auto q = p;
        q[rng() % q.size()] = static_cast<char>(rng());
        if (from_client(q) == verdict::deliver && !caf_decodes(ctx, q))
          ++undecodable;
      }
      CHECK(undecodable == 0);
    }
  }
  CHECK(requests == 60 * store_requests.size());
  CHECK(replies > 0);
}

TEST_CASE_METHOD(wire_schema_fixture, "errors, deliveries and CAF's info exchange are accepted where they belong") {
  for (int i = 0; i < 200; ++i) {
    auto err = payload_of(sys, caf::make_message(schema_random_error(rng)));
    CHECK(from_server(schema_response, err) == verdict::deliver);
    CHECK(from_server(schema_send, err) == verdict::drop); // an error nobody asked for
    CHECK(from_client(err) == verdict::drop);              // the store asks nothing
    CHECK(caf_decodes(ctx, err));
    auto delivery = payload_of(sys, caf::make_message(kvmem::changes_atom::value, value_of<kvmem::changes>(rng, alive)));
    CHECK(from_server(schema_send, delivery) == verdict::deliver);
    CHECK(from_server(schema_response, delivery) == verdict::drop);
    CHECK(from_client(delivery) == verdict::drop);
  }
  for (auto e : {caf::make_error(caf::sec::request_receiver_down), caf::make_error(caf::sec::invalid_argument, "x"),
                 caf::make_error(caf::exit_reason::user_shutdown), caf::make_error(caf::sec::unexpected_message)})
    CHECK(from_server(schema_response, payload_of(sys, caf::make_message(e))) == verdict::deliver);
  // The empty reply to a request of a reacts_to signature.
  CHECK(from_server(schema_response, payload_of(sys, caf::message{})) == verdict::deliver);
  CHECK(from_server(schema_send, payload_of(sys, caf::message{})) == verdict::drop);
  // CAF's own exchange when nodes meet: by name, and the answer.
  auto named = make_header(basp_op::direct_message, 0, 0x1000000000000000, 7,
                           static_cast<std::uint64_t>(caf::atom("SpawnServ")),
                           named_receiver_flag);
  auto info = payload_of(sys, caf::make_message(caf::sys_atom::value, caf::get_atom::value, std::string("info")));
  CHECK(check_client_payload(named, info.data(), info.size()).action == verdict::deliver);
  CHECK(check_server_payload(named, info.data(), info.size()).action == verdict::deliver);
  auto answer = payload_of(sys, caf::make_message(caf::ok_atom::value, std::string("info"),
                                                  caf::actor_cast<caf::strong_actor_ptr>(schema_actor(rng, alive)),
                                                  std::string("kvmem.store")));
  CHECK(from_client(answer) == verdict::deliver);
  CHECK(from_server(schema_send, answer) == verdict::deliver);
  // A store request to a named receiver: no.
  auto get = payload_of(sys, caf::make_message(kvmem::read_atom::value, kvmem::read_op::get(test::K("/a"))));
  CHECK(check_client_payload(named, get.data(), get.size()).action == verdict::drop);
}

TEST_CASE_METHOD(wire_schema_fixture, "the shapes that killed or bloated a server are refused before CAF") {
  auto refused = [&](const std::string& p, std::string_view why) {
    auto v = check_client_payload(schema_request, p.data(), p.size());
    CHECK(v.action == verdict::drop);
    CHECK_THAT(v.why, Catch::Contains(std::string(why)));
  };
  // A message holding only a caf::error (it ended the store).
  refused(payload_of(sys, caf::make_message(caf::make_error(caf::sec::runtime_error))), "@<>+@error");
  // @charbuf declaring 4 GiB (CAF allocates and zeroes it first).
  refused(std::string(1, '\0') + std::string("\0\0\x0c@<>+@charbuf", 15) + "\xff\xff\xff\xff\x0f", "@charbuf");
  // A nested message, a config value.
  refused(payload_of(sys, caf::make_message(kvmem::read_atom::value, caf::make_message(1))), "@message");
  refused(payload_of(sys, caf::make_message(caf::config_value{1})), "@config_value");
  // An (atom, actor pointer) pair: CAF's link request.
  refused(payload_of(sys, caf::make_message(caf::link_atom::value,
                                            caf::actor_cast<caf::strong_actor_ptr>(schema_actor(rng, alive)))),
          "@strong_actor_ptr");
}

TEST_CASE_METHOD(wire_schema_fixture, "keys, values, sequences, codes and flags are bounded before CAF allocates") {
  auto set_with_key = [&](const std::string& key_bytes) {
    // (kv_set, key, bytes): the key's bytes as given.
    auto ok = payload_of(sys, caf::make_message(kvmem::set_atom::value, kvmem::key{}, kvmem::bytes{"v"}));
    auto at = ok.size() - 3; // the empty key (1 byte), then the value (2)
    return ok.substr(0, at) + key_bytes + ok.substr(at + 1);
  };
  auto why = [&](const std::string& p) { return check_client_payload(schema_request, p.data(), p.size()).why; };
  CHECK(from_client(set_with_key("\x01\x01x")) == verdict::deliver);
  // Millions of empty segments: the count is read, the first segment refused.
  CHECK_THAT(why(set_with_key("\x80\x80\x80\x02" + std::string(1000, '\0'))), Catch::Contains("segments"));
  CHECK_THAT(why(set_with_key(std::string("\x02\x00\x00", 3))), Catch::Contains("empty segment"));
  CHECK_THAT(why(set_with_key("\x01\x03" "a/b")), Catch::Contains("'/'"));
  // More segments than a key may have, each valid.
  std::string many = "\x81\x40"; // 8193
  for (int i = 0; i < 8193; ++i)
    many += "\x01x";
  CHECK_THAT(why(set_with_key(many)), Catch::Contains("too many segments"));
  // A segment longer than what follows.
  CHECK_THAT(why(set_with_key("\x01\xff\x7f" "abc")), Catch::Contains("beyond the message"));
  // A value declaring more than the message holds, or above the limit.
  auto v = payload_of(sys, caf::make_message(kvmem::set_atom::value, test::K("/a"), kvmem::bytes{"v"}));
  CHECK(from_client(v.substr(0, v.size() - 2) + "\x05v") == verdict::drop);
  CHECK(from_client(v.substr(0, v.size() - 2) + "\x80\x80\x80\x80\x08") == verdict::drop);
  // A read_op's code out of range; a write_op's flag other than 0 or 1.
  auto r = payload_of(sys, caf::make_message(kvmem::read_atom::value, kvmem::read_op::get(test::K("/a"))));
  auto code_at = r.size() - (1 + 3 + 16);
  for (int code : {0, kvmem::read_op::max_code + 1, 255}) {
    auto q = r;
    q[code_at] = static_cast<char>(code);
    CHECK_THAT(why(q), Catch::Contains("unknown read"));
  }
  auto w = payload_of(sys, caf::make_message(kvmem::write_atom::value, kvmem::write_op::set(test::K("/a"), "v")));
  auto q = w;
  q[w.size() - 10] = 2; // has_pre
  CHECK_THAT(why(q), Catch::Contains("bool"));
  // A commit owning more keys than it writes.
  kvmem::commit c;
  c.owners.emplace_back(test::K("/a"), caf::actor{});
  CHECK_THAT(why(payload_of(sys, caf::make_message(kvmem::commit_atom::value, c))), Catch::Contains("owning"));
  // A commit declaring more writes than its bytes can hold.
  auto cm = payload_of(sys, caf::make_message(kvmem::commit_atom::value, kvmem::commit{}));
  auto ops_at = cm.size() - (1 + 1 + 1 + 1 + 8 + 1); // ops, reads, complete, requirements, pin, owners
  cm[ops_at] = 0x7f;
  CHECK_THAT(why(cm), Catch::Contains("longer than the message"));
}

TEST_CASE_METHOD(wire_schema_fixture, "a mistaken request is answered as the store answers it, without CAF") {
  // Flat, well-formed, not served: answered, the client kept.
  for (auto m : {caf::make_message(std::string("not a kvmem message"), 42),
                 caf::make_message(kvmem::read_atom::value, 42),
                 caf::make_message(kvmem::set_atom::value, kvmem::read_op::get(test::K("/a"))),
                 caf::make_message(kvmem::remove_atom::value, test::K("/a"), test::K("/b"))})
    CHECK(from_client(payload_of(sys, m)) == verdict::answer);
  // What only a store sends is no mistake.
  CHECK(from_client(payload_of(sys, caf::make_message(std::vector<kvmem::key>{}))) == verdict::drop);
  // The answer is what CAF writes for the store's unexpected_message reply.
  auto reply = unexpected_message_reply(schema_request);
  auto h = decode_header(reply.data());
  CHECK(h.operation == static_cast<std::uint8_t>(basp_op::direct_message));
  CHECK(h.operation_data == 0x9000000000000001);
  CHECK(h.source_actor == schema_request.dest_actor);
  CHECK(h.dest_actor == schema_request.source_actor);
  CHECK(reply.substr(basp_header_size) ==
        payload_of(sys, caf::make_message(caf::make_error(caf::sec::unexpected_message))));
  CHECK(h.payload_len == reply.size() - basp_header_size);
  CHECK(is_request(schema_request));
  CHECK_FALSE(is_request(schema_send));
  CHECK_FALSE(is_request(schema_response));
}

TEST_CASE_METHOD(wire_schema_fixture, "down messages: node ids and a flat reason") {
  auto node = bytes_of(sys, sys.node());
  auto down = [&](caf::error e) { return node + node + bytes_of(sys, e); };
  auto h = make_header(basp_op::down_message, 0, 0, 7, 0);
  auto ok = down(caf::error{});
  REQUIRE(check_client_payload(h, ok.data(), ok.size()).action == verdict::deliver);
  for (int i = 0; i < 50; ++i) {
    auto p = down(schema_random_error(rng));
    CHECK(check_client_payload(h, p.data(), p.size()).action == verdict::deliver);
    CHECK(check_server_payload(h, p.data(), p.size()).action == verdict::deliver);
  }
  auto nested = down(caf::make_error(caf::sec::runtime_error, caf::ok_atom::value, caf::make_message(1)));
  CHECK(check_client_payload(h, nested.data(), nested.size()).action == verdict::drop);
  CHECK(check_client_payload(h, (ok + 'x').data(), ok.size() + 1).action == verdict::drop);
}

// Another node's id, as CAF writes it.
std::string schema_other_node(caf::actor_system& sys, std::uint32_t pid) {
  caf::node_id::default_data::host_id_type host{};
  host[3] = 0x77;
  return bytes_of(sys, caf::make_node_id(pid, host));
}

TEST_CASE_METHOD(wire_schema_fixture, "a peer speaks only for itself: node ids in down, monitor and actor handles") {
  auto self = bytes_of(sys, sys.node());
  auto peer = schema_other_node(sys, 4242);
  auto third = schema_other_node(sys, 4343);
  kvmem::detail::wire::speaker who;
  std::vector<std::uint64_t> named;
  who.actors = &named;
  {
    kvmem::detail::wire::cursor c{self.data(), self.size()};
    who.self = kvmem::detail::wire::read_node(c).value();
    kvmem::detail::wire::cursor d{peer.data(), peer.size()};
    who.peer = kvmem::detail::wire::read_node(d).value();
  }
  auto reason = bytes_of(sys, caf::error{});
  auto down = make_header(basp_op::down_message, 0, 0, 7, 0);
  auto monitor = make_header(basp_op::monitor_message, 0, 0, 0, 7);
  auto verdict_of = [&](const basp_header& h, const std::string& p) {
    return check_client_payload(h, p.data(), p.size(), &who);
  };
  // The peer's own actor, reported to this node: delivered.
  CHECK(verdict_of(down, peer + self + reason).action == verdict::deliver);
  CHECK(verdict_of(monitor, peer + self).action == verdict::deliver);
  // Another client's actor (finding 3: its owned keys revoked), or a frame
  // CAF would relay to another node: refused.
  CHECK_THAT(verdict_of(down, third + self + reason).why, Catch::Contains("another node's actor"));
  CHECK_THAT(verdict_of(down, self + self + reason).why, Catch::Contains("another node's actor"));
  CHECK_THAT(verdict_of(down, peer + third + reason).why, Catch::Contains("for another node"));
  CHECK_THAT(verdict_of(monitor, third + self).why, Catch::Contains("another node's actor"));
  CHECK_THAT(verdict_of(monitor, peer + peer).why, Catch::Contains("for another node"));
  CHECK(verdict_of(monitor, peer + self + "x").action == verdict::drop);
  // Actor handles (finding 6: CAF keeps a proxy and a route per invented
  // node): a commit owned by an actor of this node passes; of the peer's, it
  // passes and is noted; of a third node's, refused.
  kvmem::commit cm;
  cm.ops.push_back(kvmem::write_op::set(test::K("/o"), "v"));
  caf::scoped_actor local{sys};
  cm.owners.emplace_back(test::K("/o"), caf::actor{local});
  auto mine = payload_of(sys, caf::make_message(kvmem::commit_atom::value, cm));
  auto at = mine.rfind(self);
  REQUIRE(at != std::string::npos);
  CHECK(verdict_of(schema_request, mine).action == verdict::deliver);
  CHECK(named.empty());
  auto theirs = mine;
  theirs.replace(at, self.size(), peer);
  CHECK(verdict_of(schema_request, theirs).action == verdict::deliver);
  CHECK(named == std::vector<std::uint64_t>{local->id()});
  auto invented = mine;
  invented.replace(at, self.size(), third);
  CHECK_THAT(verdict_of(schema_request, invented).why, Catch::Contains("neither the peer's nor this node's"));
  // Without an identity (unit tests, fuzzing), node ids are only read.
  CHECK(check_client_payload(schema_request, invented.data(), invented.size()).action == verdict::deliver);
}

TEST_CASE_METHOD(wire_schema_fixture, "a handshake names the peer's node, which is not this one") {
  auto self_bytes = bytes_of(sys, sys.node());
  kvmem::detail::wire::cursor c{self_bytes.data(), self_bytes.size()};
  auto self = kvmem::detail::wire::read_node(c).value();
  auto client = make_header(basp_op::client_handshake, 32);
  auto server = make_header(basp_op::server_handshake, 0, 3);
  auto node_of = [&](const basp_header& h, const std::string& p) { return handshake_node(h, p.data(), p.size(), self); };
  auto peer = schema_other_node(sys, 99);
  auto claimed = node_of(client, peer);
  REQUIRE(std::holds_alternative<kvmem::detail::wire::node_ref>(claimed));
  CHECK(std::get<kvmem::detail::wire::node_ref>(claimed).process == 99);
  CHECK_THAT(std::get<std::string>(node_of(client, self_bytes)), Catch::Contains("this node's id"));
  CHECK_THAT(std::get<std::string>(node_of(client, bytes_of(sys, caf::node_id{}))), Catch::Contains("without a node id"));
  CHECK_THAT(std::get<std::string>(node_of(client, peer + "x")), Catch::Contains("after its end"));
  // A server's: node, application ids, the published actor, its interface.
  std::vector<std::string> apps{"generic-caf-app"};
  std::set<std::string> ifs{"caf::replies_to<int>::with<int>", "x"};
  std::uint64_t aid = 6;
  auto hs = peer + bytes_of(sys, apps) + bytes_of(sys, aid) + bytes_of(sys, ifs);
  CHECK(std::holds_alternative<kvmem::detail::wire::node_ref>(node_of(server, hs)));
  // A server may be this very node (a process connecting to its own port).
  auto own = self_bytes + bytes_of(sys, apps) + bytes_of(sys, aid) + bytes_of(sys, ifs);
  CHECK(std::holds_alternative<kvmem::detail::wire::node_ref>(node_of(server, own)));
  CHECK(std::holds_alternative<std::string>(node_of(server, hs.substr(0, hs.size() - 1))));
  CHECK(std::holds_alternative<std::string>(node_of(server, hs + "y")));
}
