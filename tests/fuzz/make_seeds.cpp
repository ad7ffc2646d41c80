// Writes the hand-made seeds of the fuzz targets: `fuzz_seeds DIR` creates
// DIR/<target>/seed-<name> for each. The committed corpus (corpus/<target>/)
// holds these plus what the fuzzers found; rerun this only when a target's
// input format changes. Inputs that still crash go to crashes/<target>/.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/node_id.hpp>
#include <caf/send.hpp>

#include "kvmem/remote.hpp"
#include "kvmem/wire.hpp"
#include "net/basp_frame.hpp"
#include "seed_programs.hpp"

namespace {

namespace fs = std::filesystem;
using namespace kvmem;

fs::path out_dir;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(out_dir / target);
  std::ofstream(out_dir / target / ("seed-" + name), std::ios::binary) << bytes;
}

template <class... Ts>
std::string encode(caf::actor_system& sys, Ts... xs) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  if (auto err = sink(xs...)) {
    std::fprintf(stderr, "cannot encode a seed: %s\n", caf::to_string(err).c_str());
    std::exit(1);
  }
  return std::string(buf.begin(), buf.end());
}

key K(std::string_view s) { return key::v(s); }

void key_seeds() {
  const std::string paths[] = {"", "/", "a", "/a/b", "//a//b/", "a/b/c/d/e/f/g", "a\nb\n\nc", "a/b\nc\n",
                               "\n", std::string("\0/\xff", 3), "caf\xc3\xa9/\xe2\x82\xac", "x y/ z ",
                               "a\nb\nc", "a\nb\nc\nd", "/a/a/a", "ab/a\nab/b"};
  int i = 0;
  for (const auto& p : paths)
    write("key", "path" + std::to_string(i++), p);
  write("key", "nul", std::string("a\0b/\0\nc", 7));
  write("key", "cut", std::string("\x03" "abc/def\nxyz"));
}

// An actor handle to put in owners: a live actor of the seed's node.
caf::actor some_actor(caf::actor_system& sys) {
  static caf::actor a = sys.spawn([](caf::event_based_actor*) -> caf::behavior { return {[](int) {}}; });
  return a;
}

void wire_seeds(caf::actor_system& sys) {
  // The index of each type in fuzz_wire.cpp's table.
  enum : char { t_key, t_bytes, t_ptime, t_digest, t_expect, t_write_op, t_read_op, t_requirement,
                t_commit, t_entry_stat, t_store_info, t_pin, t_snapshot, t_keys, t_write_ops, t_reads,
                t_requirements, t_u64s, t_read_result, t_owners, t_change, t_change_list,
                t_watch_request, t_watch_started, t_changes };
  auto w = [&](char t, const std::string& name, auto x) { write("wire", name, std::string(1, t) + encode(sys, x)); };
  w(t_key, "key-root", key{});
  w(t_key, "key-ab", K("/a/b"));
  w(t_bytes, "bytes", bytes{"hello"});
  w(t_bytes, "bytes-empty", bytes{});
  w(t_ptime, "ptime", ptime{19000, 123456789});
  w(t_digest, "digest", digest::sha256("x"));
  w(t_expect, "expect-none", expect::none());
  w(t_expect, "expect-modified", expect::modified(7));
  w(t_write_op, "write-set", write_op::set(K("/a"), bytes{"v"}, expect::modified(3)));
  w(t_write_op, "write-set-partial", write_op::set_partial(K("/a/b"), 2, bytes{"xy"}));
  w(t_write_op, "write-remove", write_op::remove(K("/a")));
  w(t_write_op, "write-rename", write_op::rename(K("/a"), K("/b/c"), expect::none()));
  w(t_write_op, "write-allocate", write_op::allocate(K("/z"), 10, ptime{1, 2}));
  w(t_read_op, "read", read_op::stat(K("/a")));
  w(t_read_op, "read-partial", read_op::get_partial(K("/a"), 2, 9));
  w(t_requirement, "requirement", requirement{K("/a"), expect::modified(2)});
  commit c{5, {write_op::set(K("/a"), bytes{"1"}), write_op::remove(K("/b"))}};
  c.reads = {read_op::get(K("/a")), read_op::list(K("/"))};
  c.requirements = {{K("/c"), expect::none()}};
  c.pinned = pin{9};
  w(t_commit, "commit", c);
  w(t_entry_stat, "entry-stat", entry_stat{kind::dictionary, 0, ptime{3, 4}, 1, 2, 3, 4});
  w(t_store_info, "store-info", store_info{1, 2, unlimited, 0, 1000, 1 << 20});
  w(t_pin, "pin", pin{42});
  snapshot s{3, pin{1}};
  w(t_snapshot, "snapshot", s);
  w(t_keys, "keys", std::vector<key>{K("/a"), K("/b/c")});
  w(t_write_ops, "write-ops", c.ops);
  w(t_reads, "reads", c.reads);
  w(t_requirements, "requirements", c.requirements);
  w(t_u64s, "u64s", std::vector<std::uint64_t>{1, 2, 3});
  w(t_read_result, "result-listing", read_result{listing{{K("/a"), kind::value}, {K("/b"), kind::dictionary}}});
  w(t_read_result, "result-exists", read_result{kind::dictionary});
  w(t_read_result, "result-stat", read_result{entry_stat{kind::value, 3, ptime{0, 5}, 1, 2, 2, 0}});
  w(t_owners, "owners", std::vector<std::pair<key, caf::actor>>{{K("/lock"), some_actor(sys)}, {K("/x"), {}}});
  const change set_event{4, change_op::set, K("/a/b"), kind::value, std::nullopt, bytes{"v"}};
  const change rename_event{5, change_op::rename_in, K("/c"), kind::dictionary, K("/a"), bytes{}};
  w(t_change, "change", rename_event);
  w(t_change_list, "change-list", change_list{set_event, rename_event});
  w(t_watch_request, "watch-request", watch_request{K("/a"), 3, 16});
  w(t_watch_started, "watch-started", watch_started{7, 3});
  changes ch;
  ch.id = 7, ch.seq = 1, ch.from = 3, ch.to = 5, ch.events = {set_event, rename_event}, ch.coalesced = true;
  w(t_changes, "changes", ch);
}

void message_seeds(caf::actor_system& sys) {
  // As a BASP direct message carries them: the forwarding stack, then the message.
  auto m = [&](const std::string& name, caf::message msg) {
    write("message", name, encode(sys, std::vector<caf::strong_actor_ptr>{}, msg));
  };
  using caf::make_message;
  m("exists", make_message(read_atom::value, read_op::exists(K("/a"))));
  m("get", make_message(read_atom::value, read_op::get(K("/a/b"))));
  m("get-partial", make_message(read_atom::value, read_op::get_partial(K("/a"), 1, 4)));
  m("list", make_message(read_atom::value, read_op::list(K("/"))));
  m("stat", make_message(read_atom::value, read_op::stat(K("/a"))));
  m("set", make_message(set_atom::value, K("/a"), bytes{"value"}));
  m("set-partial", make_message(set_partial_atom::value, K("/a"), std::uint64_t{2}, bytes{"xy"}));
  m("remove", make_message(remove_atom::value, K("/a")));
  m("rename", make_message(rename_atom::value, K("/a"), K("/b")));
  m("allocate", make_message(allocate_atom::value, K("/a"), std::uint64_t{16}));
  m("allocate-time", make_message(allocate_atom::value, K("/a"), std::uint64_t{16}, ptime{1, 2}));
  m("write", make_message(write_atom::value, write_op::set(K("/a"), bytes{"v"}, expect::none())));
  commit c{5, {write_op::set(K("/a"), bytes{"1"}), write_op::rename(K("/b"), K("/c"))}};
  c.reads = {read_op::exists(K("/b"))};
  c.requirements = {{K("/d"), expect::modified(4)}};
  m("commit", make_message(commit_atom::value, c));
  m("snapshot", make_message(snapshot_atom::value));
  m("version", make_message(version_atom::value));
  m("info", make_message(info_atom::value));
  m("pin", make_message(pin_atom::value));
  m("unpin", make_message(unpin_atom::value, pin{3}));
  m("get-pinned", make_message(read_atom::value, pin{3}, read_op::get(K("/a"))));
  m("watch", make_message(watch_atom::value, watch_request{K("/a"), std::nullopt, 4}));
  m("ack", make_message(ack_atom::value, std::uint64_t{7}, std::uint64_t{2}));
  m("unwatch", make_message(unwatch_atom::value, std::uint64_t{7}));
  m("at", make_message(at_atom::value, version_t{3}));
  m("diff", make_message(diff_atom::value, version_t{3}, version_t{5}, K("/a")));
  c.owners = {{K("/lock"), some_actor(sys)}};
  m("commit-owned", make_message(commit_atom::value, c));
  // Replies, as a client decodes them.
  m("reply-bytes", make_message(read_result{bytes{"v"}}));
  m("reply-listing", make_message(read_result{listing{{K("/a"), kind::value}}}));
  m("reply-stat", make_message(read_result{entry_stat{kind::value, 3, ptime{0, 5}, 1, 2, 2, 0}}));
  m("reply-exists", make_message(read_result{kind::dictionary}));
  m("reply-info", make_message(store_info{1, 2, 3, 4, 5, 6}));
  snapshot s{7, pin{}};
  m("reply-snapshot", make_message(s));
  m("reply-changes", make_message(changes{7, 1, 3, 5, {{4, change_op::remove, K("/x"), kind::dictionary,
                                                           std::nullopt, bytes{}}}, false, false}));
  m("reply-change-list", make_message(change_list{{5, change_op::set, K("/y"), kind::value, std::nullopt, bytes{"1"}}}));
  m("reply-error", make_message(to_caf(error::version_mismatch(K("/a"), 1, 2))));
  // A message inside a message, three deep (each level a message and an i8).
  caf::message nested = make_message(std::int32_t{42});
  for (int i = 0; i < 3; ++i)
    nested = make_message(nested, std::int8_t{1});
  m("nested", nested);
}

void basp_seeds(caf::actor_system& sys) {
  using detail::net::basp_header;
  using detail::net::basp_op;
  auto H = [](auto... fields) { return detail::net::encode_header(detail::net::make_header(fields...)); };
  caf::node_id::default_data::host_id_type host;
  host.fill(7);
  const std::string node = encode(sys, caf::make_node_id(4242, host));
  const std::string hs = H(basp_op::client_handshake, static_cast<std::uint32_t>(node.size())) + node;
  const std::string hs2 = H(basp_op::client_handshake, static_cast<std::uint32_t>(node.size()), 0, 0, 0, 2) + node;
  const std::string msg = encode(sys, std::vector<caf::strong_actor_ptr>{},
                                 caf::make_message(read_atom::value, read_op::get(K("/a"))));
  const std::string direct = H(basp_op::direct_message, static_cast<std::uint32_t>(msg.size()), 1, 5, 6) + msg;
  const std::string heartbeat = H(basp_op::heartbeat, 0);
  // Prologue: mode (bit 0 server, bit 1 small limits, bits 2.. budget KiB), limits, two seed bytes.
  auto b = [&](const std::string& name, char mode, const std::string& stream) {
    write("basp", name, std::string{mode, '\x20', '\x01', '\x02'} + stream);
  };
  b("client-session", 0, hs + hs2 + direct + heartbeat + direct);
  b("client-session-small", 2, hs + hs2 + direct + heartbeat);
  b("client-session-budget", 0x04, hs + direct + direct + direct);
  b("client-cut", 0, hs + direct.substr(0, 40));
  b("server-session", 1, H(basp_op::server_handshake, static_cast<std::uint32_t>(node.size()), 3) + node + direct);
  b("server-old-version", 1, H(basp_op::server_handshake, 8, 2) + "12345678");
  b("monitor-down", 0, hs + H(basp_op::monitor_message, 8, 0, 0, 6) + "12345678" +
                           H(basp_op::down_message, 8, 0, 6, 0) + "abcdefgh");
  b("zero-handshake", 0, H(basp_op::client_handshake, 0));
  b("huge-payload", 0, hs + H(basp_op::direct_message, 0xffffffffu, 1, 1, 6) + "xyz");
  b("routed", 0, hs + H(basp_op::routed_message, 4, 1, 1, 6) + "abcd");
  b("bad-op", 0, hs + H(static_cast<basp_op>(9), 4) + "abcd");
  b("third-handshake", 0, hs + hs2 + hs);
  b("http", 0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT-DIRECTORY\n", argv[0]);
    return 2;
  }
  out_dir = argv[1];
  caf::actor_system_config cfg;
  if (!enable_remote(cfg))
    return 1;
  caf::actor_system sys{cfg};
  key_seeds();
  wire_seeds(sys);
  message_seeds(sys);
  basp_seeds(sys);
  caf::anon_send_exit(some_actor(sys), caf::exit_reason::user_shutdown);
  for (const auto& [name, bytes] : kvmem_fuzz::tree_programs())
    write("tree", name, bytes);
  return 0;
}
