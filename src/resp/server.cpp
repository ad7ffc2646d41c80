// The RESP endpoint: one thread with an epoll loop for all of a server's
// connections (see resp.hpp and docs/resp.md).
//
// Per connection: bytes are appended to `in`; complete commands are parsed
// there and run in order. The data commands that arrived together run as a
// group over the store's published root (commands.hpp); a group that wrote
// is sent to the store as one local_commit and the connection waits for it
// (bytes that arrive meanwhile go to `later`, so the group's argument views
// into `in` stay valid for a re-run); every other command is answered at
// once. Replies accumulate in `out` and leave in one write per read.
#include "kvmem/resp.hpp"

#include <algorithm>
#include <deque>
#include <memory>
#include <unordered_map>

#include <fnmatch.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include <fmt/format.h>

#include "blocking/companion.hpp"
#include "kvmem/wire.hpp"
#include "net/listening.hpp"
#include "resp/commands.hpp"
#include "resp/request_parser.hpp"
#include "store/store_access.hpp"

namespace kvmem {

namespace {

using namespace detail::resp;
using connection_handle = std::uint64_t;

constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t max_group_commands = 1024;
constexpr std::size_t max_send_per_turn = std::size_t{4} << 20;
constexpr int max_attempts = 13; // as a batch's default retries
constexpr std::string_view server_version = "7.0.0";

bool same_secret(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned>(a[i] ^ b[i % std::max<std::size_t>(1, b.size())]);
  return diff == 0;
}

// A command as owned strings (MULTI's queue), with views for running it.
struct owned_command {
  std::vector<std::string> words;
};

// A group in flight: the commands it ran (views into the connection's `in`,
// or into MULTI's queue), what it answered, and how often it was tried.
struct group {
  std::vector<std::vector<std::string_view>> cmds;
  std::vector<const command_spec*> specs; // cmds[i]'s command, looked up once
  std::vector<std::vector<std::string>> inline_words; // owners of inline commands' views
  std::size_t end = 0;      // where the group ends in `in` (0 for EXEC)
  std::vector<std::size_t> ends; // where each command ends in `in`
  bool exec = false;        // MULTI/EXEC: one array reply, watched keys required
  std::vector<requirement> requirements;
  bool failed_watch = false; // EXEC: a watched key had moved (answered nil)
  std::string replies;
};

// The groups in one commit with the store (see resp_broker::start_round).
struct round {
  std::vector<connection_handle> members;
  int attempts = 0;
};

struct connection {
  connection_handle hdl = 0; // the connection's id (never reused), also its epoll tag
  int fd = -1;
  std::uint64_t id = 0;
  std::string addr;
  std::string in;     // unprocessed input starts at pos
  std::size_t pos = 0;
  std::string later;  // arrived while a group was with the store
  std::string out;    // replies not yet written
  int proto = 2;
  bool authed = false;
  bool closing = false; // QUIT, a protocol error: close once `out` is written
  bool reading_halted = false; // its replies pile up unread: its input waits in its socket
  bool want_write = false;     // EPOLLOUT is on: `unsent` waits for the socket
  std::string unsent;          // replies the socket did not take yet, from `sent` on
  std::size_t sent = 0;
  /// Reply bytes the socket has not taken yet.
  std::size_t unacked() const { return unsent.size() - sent; }
  std::string name, lib_name, lib_ver, last_cmd;
  bool in_multi = false, multi_failed = false;
  std::vector<owned_command> queued;
  std::vector<requirement> watched;
  std::optional<group> pending; // with the store
  bool side_pending = false;    // a KV.DIFF or KV.WATCH request is with the store
  std::vector<std::uint64_t> subscriptions; // KV.WATCH's, by the store's id
  bool watch_mode = false;      // RESP2 after KV.WATCH: only watch commands, as SUBSCRIBE
  std::size_t split_until = 0;  // run commands one at a time up to here (a group failed)
};

// The endpoint's thread: an epoll loop over the listening socket, an
// eventfd (replies from the store, close()) and the connections. Reads,
// parsing, commands and writes all happen here; the only other thread
// involved is the store's, when a round's commit does not run inline.
class resp_loop {
public:
  resp_loop(caf::actor_system& sys, store s, resp_options opts, int listen_fd, std::uint16_t port)
    : sys_(sys), store_(std::move(s)), opts_(std::move(opts)), lfd_(listen_fd), port_(port),
      pub_(detail::store_access::local(store_)) {
    limits_.max_bulk = opts_.max_bulk_bytes;
    limits_.max_args = opts_.max_args;
    if (!opts_.log)
      opts_.log = [](const std::string& line) { fmt::print(stderr, "kvmem: resp: {}\n", line); };
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    evfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    watch(lfd_, listener_tag, EPOLLIN, EPOLL_CTL_ADD);
    watch(evfd_, wake_tag, EPOLLIN, EPOLL_CTL_ADD);
  }
  ~resp_loop() {
    for (auto& [h, c] : conns_)
      ::close(c.fd);
    for (int fd : {lfd_, evfd_, epfd_, spare_fd_})
      if (fd >= 0)
        ::close(fd);
  }
  resp_loop(const resp_loop&) = delete;
  resp_loop& operator=(const resp_loop&) = delete;

  bool ready() const { return epfd_ >= 0 && evfd_ >= 0; }

  /// Any thread: ends run() (idempotent).
  void stop() {
    stop_.store(true);
    wake();
  }

  void run() {
    loop_thread_ = std::this_thread::get_id();
    // The companion sends the server's commits in its name; a store on the
    // scheduler that a commit wakes runs on this thread (run_inline), so a
    // write costs no context switch when the store is idle.
    detail::companion comp{
        sys_, caf::actor_cast<caf::strong_actor_ptr>(store_.actor()),
        [this](caf::mailbox_element_ptr p) { deliver(std::move(p)); },
        [this](const caf::error&) {
          store_gone_.store(true);
          wake();
        },
        true};
    comp_ = &comp;
    epoll_event evs[256];
    while (!stop_.load() && !store_gone_.load()) {
      int n = ::epoll_wait(epfd_, evs, 256, -1);
      if (n < 0 && errno != EINTR)
        break;
      for (int i = 0; i < n; ++i) {
        auto tag = evs[i].data.u64;
        if (tag == listener_tag)
          accept_all();
        else if (tag == wake_tag) {
          std::uint64_t v;
          [[maybe_unused]] auto r = ::read(evfd_, &v, sizeof v);
        } else
          on_event(tag, evs[i].events);
      }
      take_replies();
      cache_.clear(); // holding no snapshot between turns lets the store write in place
    }
    comp_ = nullptr; // a round in flight is never answered: its clients see the connection close
  }

private:
  static constexpr std::uint64_t listener_tag = 0, wake_tag = 1;

  void watch(int fd, std::uint64_t tag, std::uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    ::epoll_ctl(epfd_, op, fd, &ev);
  }

  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(evfd_, &one, sizeof one);
  }

  // --- the store's replies (any thread) -------------------------------------------

  void deliver(caf::mailbox_element_ptr p) {
    {
      std::lock_guard g{replies_m_};
      replies_.push_back(std::move(p));
    }
    if (std::this_thread::get_id() != loop_thread_)
      wake();
  }

  void take_replies() {
    for (;;) {
      caf::mailbox_element_ptr p;
      {
        std::lock_guard g{replies_m_};
        if (replies_.empty())
          return;
        p = std::move(replies_.front());
        replies_.pop_front();
      }
      if (!p->mid.is_response()) {
        if (p->content().match_elements<changes_atom, local_changes>())
          on_changes(p->content().get_as<local_changes>(1).delivery);
        continue;
      }
      if (auto side = side_.find(p->mid.integer_value()); side != side_.end()) {
        auto req = side->second;
        side_.erase(side);
        on_side_reply(req, p->content());
        continue;
      }
      if (!round_ || p->mid != expected_)
        continue;
      auto& msg = p->content();
      if (msg.match_elements<version_t>())
        round_done({});
      else if (msg.match_elements<caf::error>())
        round_done(from_caf(msg.get_as<caf::error>(0)));
      else
        round_done(error::make(errc::internal, "unexpected reply from the store"));
    }
  }

  // --- connections ------------------------------------------------------------

  void accept_all() {
    for (;;) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      int fd = ::accept4(lfd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
          // Out of descriptors: refuse the waiting client with the spare
          // one instead of spinning on a listener that stays readable.
          if (spare_fd_ >= 0) {
            ::close(spare_fd_);
            int x = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (x >= 0)
              ::close(x);
            spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            opts_.log("refused a connection: out of file descriptors");
            if (x >= 0 && spare_fd_ >= 0)
              continue;
          }
          // No spare descriptor either: stop accepting until a connection
          // closes (clients wait in the backlog) instead of spinning.
          opts_.log("stopped accepting: out of file descriptors (until a connection closes)");
          listener_paused_ = true;
          watch(lfd_, listener_tag, 0, EPOLL_CTL_MOD);
          return;
        }
        return; // EAGAIN, or an error of the connection that went away
      }
      if (conns_.size() >= opts_.max_clients) {
        static constexpr std::string_view refuse = "-ERR max number of clients reached\r\n";
        [[maybe_unused]] auto r = ::send(fd, refuse.data(), refuse.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(fd);
        opts_.log(fmt::format("refused a connection: {} clients are connected (the limit)", conns_.size()));
        continue;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto id = ++next_id_;
      auto& c = conns_[id];
      c.hdl = id;
      c.fd = fd;
      c.id = id - wake_tag;
      c.addr = peer_name(ss);
      c.authed = opts_.password.empty();
      watch(fd, id, EPOLLIN, EPOLL_CTL_ADD);
    }
  }

  static std::string peer_name(const sockaddr_storage& ss) {
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss.ss_family == AF_INET) {
      auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
      ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
      port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
      ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
      port = ntohs(a->sin6_port);
    }
    return fmt::format("{}:{}", host, port);
  }

  void drop(connection& c) {
    unwatch_all(c);
    ::close(c.fd); // also leaves the epoll set
    conns_.erase(c.hdl);
    if (listener_paused_) {
      if (spare_fd_ < 0)
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      listener_paused_ = false;
      watch(lfd_, listener_tag, EPOLLIN, EPOLL_CTL_MOD);
    }
  }

  void on_event(connection_handle hdl, std::uint32_t events) {
    auto it = conns_.find(hdl);
    if (it == conns_.end())
      return;
    auto& c = it->second;
    if (events & EPOLLOUT) {
      send_unsent(c);
      if (conns_.find(hdl) == conns_.end())
        return;
      if (!busy(c) && !c.closing && pending_output(c) <= opts_.max_pending_output / 2 &&
          (c.pos < c.in.size() || !c.later.empty())) {
        process(c); // commands held while the client's replies piled up
        finish(c);
        if (conns_.find(hdl) == conns_.end())
          return;
      }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      if (c.reading_halted && !(events & (EPOLLHUP | EPOLLERR)))
        return;
      char buf[read_chunk];
      auto n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return drop(c);
      if (n > 0)
        on_data(c, buf, static_cast<std::size_t>(n));
    }
  }

  void on_data(connection& c, const char* data, std::size_t n) {
    if (c.closing)
      return;
    if (busy(c)) {
      c.later.append(data, n); // a group's views point into `in`
    } else {
      join_later(c);
      c.in.append(data, n);
    }
    if ((c.in.size() - c.pos) + c.later.size() > opts_.max_query_buffer) {
      opts_.log(fmt::format("closed {} (id {}): query buffer above {} bytes", c.addr, c.id,
                            opts_.max_query_buffer));
      c.out.clear();
      reply_writer{c.out}.error("ERR Protocol error: query buffer limit exceeded");
      c.closing = true;
      finish(c);
      return;
    }
    if (!busy(c))
      process(c);
    finish(c);
  }

  static bool busy(const connection& c) { return c.pending || c.side_pending; }

  static std::size_t pending_output(const connection& c) {
    return c.out.size() + (c.unsent.size() - c.sent);
  }

  // Writes what the socket takes, at most max_send_per_turn bytes (so that
  // a fast reader of a large reply does not keep the loop from the other
  // clients); the rest waits for EPOLLOUT.
  void send_unsent(connection& c) {
    std::size_t budget = max_send_per_turn;
    while (c.sent < c.unsent.size() && budget > 0) {
      auto len = std::min(c.unsent.size() - c.sent, budget);
      auto n = ::send(c.fd, c.unsent.data() + c.sent, len, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          break;
        if (errno == EINTR)
          continue;
        return drop(c);
      }
      c.sent += static_cast<std::size_t>(n);
      budget -= static_cast<std::size_t>(n);
    }
    if (c.sent == c.unsent.size()) {
      c.unsent.clear();
      c.sent = 0;
    } else if (c.sent > c.unsent.size() / 2) {
      c.unsent.erase(0, c.sent); // amortized: each byte moves at most once
      c.sent = 0;
    }
    const auto unacked = c.unacked();
    if (unacked == 0 && c.closing)
      return drop(c);
    bool want = unacked > 0;
    bool halt = unacked > opts_.max_pending_output ||
                (c.reading_halted && unacked > opts_.max_pending_output / 2);
    if (want != c.want_write || halt != c.reading_halted) {
      c.want_write = want;
      c.reading_halted = halt;
      watch(c.fd, c.hdl, (want ? EPOLLOUT : 0u) | (halt ? 0u : EPOLLIN), EPOLL_CTL_MOD);
    }
    if (unacked == 0 && c.unsent.capacity() > (std::size_t{1} << 20))
      std::string{}.swap(c.unsent);
  }

  // Writes what `c` has to say (one send when the socket takes it all,
  // which it does for replies that fit its buffer), closes it if it is
  // closing, and stops reading it while its replies pile up unread.
  void finish(connection& c) {
    if (!c.out.empty()) {
      if (c.unsent.empty())
        c.unsent.swap(c.out);
      else
        c.unsent += c.out;
      c.out.clear();
    }
    if (!c.want_write) // else EPOLLOUT will say when the socket has room
    send_unsent(c);
  }

  // --- running commands ---------------------------------------------------------

  const local_snapshot& snapshot() { return cache_.refresh(*pub_); }

  // What arrived while a group was with the store goes after `in`'s
  // unprocessed bytes, once no group's views point into `in`.
  static void join_later(connection& c) {
    if (c.later.empty() || busy(c))
      return;
    if (c.pos == c.in.size()) {
      c.in.clear();
      c.pos = 0;
      c.in.swap(c.later);
    } else {
      c.in.erase(0, c.pos);
      c.pos = 0;
      c.in += c.later;
      c.later.clear();
    }
  }

  // Runs every complete command in `c.in`, in order, until one needs the
  // store (c.pending) or the connection is closing.
  void process(connection& c) {
    std::vector<std::string_view> args;
    std::vector<std::string> words;
    while (!busy(c) && !c.closing) {
      if (pending_output(c) > opts_.max_pending_output)
        break; // the rest waits until the client reads (see on_event)
      join_later(c);
      auto r = parse_request(c.in.data() + c.pos, c.in.size() - c.pos, limits_, args, words);
      if (r.status == parse_status::incomplete)
        break;
      if (r.status == parse_status::error) {
        reply_writer{c.out, c.proto}.error("ERR " + r.error);
        opts_.log(fmt::format("closed {} (id {}): {}", c.addr, c.id, r.error));
        c.closing = true;
        break;
      }
      if (r.status == parse_status::empty) {
        c.pos += r.consumed;
        continue;
      }
      auto name = lower(args[0]);
      const command_spec* spec = find_command(name);
      if (spec != nullptr && spec->run != nullptr && !c.in_multi && c.authed && !c.watch_mode &&
          arity_ok(*spec, args.size())) {
        run_group(c, r.consumed, spec, std::move(args), std::move(words));
        args = {};
        words = {};
        continue;
      }
      c.pos += r.consumed;
      c.last_cmd = name;
      dispatch(c, name, spec, args);
    }
    if (c.pos == c.in.size() && !busy(c)) {
      c.in.clear();
      c.pos = 0;
      if (c.in.capacity() > 4 * read_chunk)
        std::string{}.swap(c.in);
    } else if (!busy(c) && c.pos > c.in.size() / 2 && c.pos > read_chunk) {
      c.in.erase(0, c.pos);
      c.pos = 0;
    }
  }

  // Collects the data commands that follow the first one in `c.in` (at
  // most max_group_commands, one when splitting after a failed group) and
  // runs them as a group.
  void run_group(connection& c, std::size_t first_len, const command_spec* first_spec,
                 std::vector<std::string_view> first, std::vector<std::string> first_words) {
    group g;
    c.last_cmd = lower(first[0]);
    g.cmds.push_back(std::move(first));
    g.specs.push_back(first_spec);
    g.inline_words.push_back(std::move(first_words));
    std::size_t at = c.pos + first_len;
    g.ends.push_back(at);
    bool single = c.pos < c.split_until;
    while (!single && g.cmds.size() < max_group_commands) {
      std::vector<std::string_view> args;
      std::vector<std::string> words;
      auto r = parse_request(c.in.data() + at, c.in.size() - at, limits_, args, words);
      if (r.status != parse_status::complete)
        break; // an error or an empty line is dealt with by process()
      auto* spec = find_command(lower(args[0]));
      if (spec == nullptr || spec->run == nullptr || !arity_ok(*spec, args.size()))
        break;
      g.cmds.push_back(std::move(args));
      g.specs.push_back(spec);
      g.inline_words.push_back(std::move(words));
      at += r.consumed;
      g.ends.push_back(at);
    }
    g.end = at;
    attempt(c, std::move(g));
  }

  // Runs `g`'s commands over `run`, its replies into g.replies. An EXEC
  // whose watched keys moved answers the null array and runs nothing.
  void run_commands(connection& c, group& g, group_run& run) {
    run.eager = g.exec;
    g.replies.clear();
    reply_writer w{g.replies, c.proto};
    if (g.exec) {
      for (auto& r : g.requirements)
        if (!run.view().check(r.path, r.what)) {
          g.failed_watch = true;
          return w.null_array();
        }
      w.array(g.cmds.size());
    }
    for (std::size_t i = 0; i < g.cmds.size(); ++i) {
      g.specs[i]->run(g.cmds[i], run, session_, w);
      if (!g.exec && g.replies.size() > opts_.max_pending_output && i + 1 < g.cmds.size()) {
        // Replies are piling up (GETs of a large value): the group ends
        // here; the rest runs once the client has read them.
        g.cmds.resize(i + 1);
        g.specs.resize(i + 1);
        g.inline_words.resize(i + 1);
        g.ends.resize(i + 1);
        g.end = g.ends.back();
        break;
      }
    }
  }

  // A group is ready. One of reads only runs now over the current snapshot
  // and answers at once; one that may write joins the next round (running
  // it here too would do its writes twice: a round runs them anyway).
  void attempt(connection& c, group g) {
    bool may_write = g.exec;
    for (auto* spec : g.specs)
      may_write = may_write || (spec->flags & cmd_write) != 0;
    if (!may_write) {
      const auto& snap = snapshot();
      group_run run{snap.root, snap.version, pub_->clock().now()};
      run.record_reads = false; // nothing to validate: no commit
      run_commands(c, g, run);
      return done(c, std::move(g));
    }
    c.pending = std::move(g);
    waiting_.push_back(c.hdl);
    start_round();
  }

  // Rounds: the server has at most one commit with the store at a time.
  // The groups that become ready meanwhile (from any connection) run in
  // order over one copy of the next snapshot and go as one commit: a
  // group commit, which also means the server's own clients never
  // conflict with each other; only writers elsewhere (CAF clients) can
  // make a round run again.
  void start_round() {
    if (round_ || delivering_ || (waiting_.empty() && solo_.empty()))
      return;
    round r;
    if (!solo_.empty()) { // after a failed round: its groups one at a time
      r.members.push_back(solo_.front());
      solo_.pop_front();
    } else {
      r.members.assign(waiting_.begin(), waiting_.end());
      waiting_.clear();
    }
    run_round(std::move(r));
  }

  void run_round(round r) {
    const auto& snap = snapshot();
    group_run run{snap.root, snap.version, pub_->clock().now()};
    std::erase_if(r.members, [&](connection_handle h) {
      auto it = conns_.find(h);
      return it == conns_.end() || !it->second.pending;
    });
    std::vector<requirement> reqs;
    for (auto h : r.members) {
      auto& c = conns_.find(h)->second;
      auto& g = *c.pending;
      g.failed_watch = false;
      run_commands(c, g, run);
      if (g.exec && !g.failed_watch)
        reqs.insert(reqs.end(), g.requirements.begin(), g.requirements.end());
    }
    ++r.attempts;
    if (run.lazy_error) { // a recorded set fails: the replies were too early
      round_ = std::move(r);
      return round_done(std::move(run.lazy_error));
    }
    if (run.ops.empty()) { // nothing to write (a re-run found nothing left, SET NX ...)
      round_ = std::move(r);
      return round_done({});
    }
    commit cm{run.base, std::move(run.ops)};
    cm.reads = std::move(run.reads);
    cm.reads_complete = run.reads_complete;
    cm.requirements = std::move(reqs);
    const bool all_applied = run.applied == cm.ops.size();
    const bool blind = cm.reads.empty() && cm.reads_complete;
    auto mid = comp_->new_request_id();
    expected_ = mid.response_id();
    round_ = std::move(r);
    if (blind && !all_applied) {
      // Writes only, not applied here: the store applies them to its root;
      // holding no snapshot lets it do so in place (published.hpp).
      run = group_run{tree{}, 0, {}};
      cache_.clear(); // (snap is gone from here on)
      comp_->send(mid, commit_atom::value, std::move(cm));
      return;
    }
    local_commit lc{std::move(cm), snap.root, std::nullopt};
    if (all_applied && !pub_->describes_commits())
      lc.applied = applied_writes{std::move(run.work), run.at, run.changed};
    // A store this send wakes runs here (run_inline) and its reply is
    // queued before send returns; the loop takes it after this turn's
    // events, never inside a connection's processing.
    comp_->send(mid, commit_atom::value, std::move(lc));
  }

  void round_done(std::optional<error> failed) {
    round r = std::move(*round_);
    round_.reset();
    if (failed && failed->code == errc::conflict && r.attempts < max_attempts)
      return run_round(std::move(r));
    if (failed && r.members.size() > 1) {
      // One group's write failed (or a watched key moved): the round's
      // groups go again one at a time, each with its own outcome.
      solo_.insert(solo_.begin(), r.members.begin(), r.members.end());
      return start_round();
    }
    delivering_ = true;
    for (auto h : r.members) {
      auto it = conns_.find(h);
      if (it == conns_.end() || !it->second.pending)
        continue;
      auto& c = it->second;
      group g = std::move(*c.pending);
      c.pending.reset();
      if (!failed)
        done(c, std::move(g));
      else if (failed->code == errc::version_mismatch && g.exec)
        reply_writer{c.out, c.proto}.null_array(); // a watched key changed
      else if (failed->code == errc::conflict)
        answer_all(c, g, "ERR too many retries: other writers kept changing what these commands read");
      else if (g.cmds.size() > 1 && !g.exec)
        c.split_until = g.end; // run them one at a time: the failure is one command's
      else
        answer_all(c, g, error_line(*failed));
      process(c);
      finish(c);
    }
    delivering_ = false;
    start_round();
  }

  void done(connection& c, group g) {
    c.out += g.replies;
    if (!g.exec)
      c.pos = g.end;
  }

  void answer_all(connection& c, const group& g, const std::string& line) {
    reply_writer w{c.out, c.proto};
    if (g.exec)
      return w.error(line);
    for (std::size_t i = 0; i < g.cmds.size(); ++i)
      w.error(line);
    c.pos = g.end;
  }

  // --- the server's own commands ------------------------------------------------

  void dispatch(connection& c, const std::string& name, const command_spec* spec,
                const std::vector<std::string_view>& args) {
    reply_writer w{c.out, c.proto};
    if (spec != nullptr && !c.authed && (spec->flags & cmd_no_auth) == 0)
      return w.error("NOAUTH Authentication required.");
    if (c.in_multi && name != "exec" && name != "discard" && name != "multi" && name != "watch" &&
        name != "quit" && name != "reset") {
      if (spec == nullptr || !arity_ok(*spec, args.size()) || spec->run == nullptr) {
        c.multi_failed = true;
        if (spec == nullptr)
          return w.error(unknown_command_error(args));
        if (!arity_ok(*spec, args.size()))
          return w.error(arity_error(name));
        return w.error(fmt::format("ERR '{}' cannot run inside MULTI on kvmem", name));
      }
      c.queued.push_back(owned_command{{args.begin(), args.end()}});
      return w.simple("QUEUED");
    }
    if (spec == nullptr)
      return w.error(unknown_command_error(args));
    if (!arity_ok(*spec, args.size()))
      return w.error(arity_error(name));
    if (c.watch_mode && name != "ping" && name != "quit" && name != "reset" && name != "kv.watch" &&
        name != "kv.unwatch")
      return w.error(fmt::format("ERR Can't execute '{}': only KV.WATCH / KV.UNWATCH / PING / QUIT / "
                                 "RESET are allowed in this context",
                                 name));
    if (name == "ping") {
      if (args.size() > 2)
        return w.error(arity_error(name));
      return args.size() == 2 ? w.bulk(args[1]) : w.simple("PONG");
    }
    if (name == "echo")
      return w.bulk(args[1]);
    if (name == "quit") {
      w.ok();
      c.closing = true;
      return;
    }
    if (name == "select")
      return args[1] == "0" ? w.ok() : w.error("ERR DB index is out of range");
    if (name == "auth")
      return auth(c, w, args.size() == 3 ? args[1] : "default", args.back(), args.size() <= 3);
    if (name == "hello")
      return hello(c, args);
    if (name == "reset") {
      unwatch_all(c);
      c.in_multi = c.multi_failed = false;
      c.queued.clear();
      c.watched.clear();
      c.proto = 2;
      c.name.clear();
      c.authed = opts_.password.empty();
      return reply_writer{c.out, 2}.simple("RESET");
    }
    if (name == "client")
      return client(c, w, args);
    if (name == "command")
      return command(w, args);
    if (name == "info")
      return info(w, args);
    if (name == "config")
      return config(w, args);
    if (name == "multi") {
      if (c.in_multi)
        return w.error("ERR MULTI calls can not be nested");
      c.in_multi = true;
      c.multi_failed = false;
      c.queued.clear();
      return w.ok();
    }
    if (name == "discard") {
      if (!c.in_multi)
        return w.error("ERR DISCARD without MULTI");
      c.in_multi = false;
      c.queued.clear();
      c.watched.clear();
      return w.ok();
    }
    if (name == "watch") {
      if (c.in_multi)
        return w.error("ERR WATCH inside MULTI is not allowed");
      const auto& root = snapshot().root;
      for (std::size_t i = 1; i < args.size(); ++i) {
        auto k = key::v(args[i]);
        auto st = root.stat(k);
        c.watched.push_back({k, st ? expect::modified(st->modified) : expect::none()});
      }
      return w.ok();
    }
    if (name == "unwatch") {
      c.watched.clear();
      return w.ok();
    }
    if (name == "exec")
      return exec(c, w);
    if (name == "kv.diff")
      return diff(c, w, args);
    if (name == "kv.watch")
      return watch_prefix(c, w, args);
    if (name == "kv.unwatch") {
      unwatch_all(c);
      return w.ok();
    }
    w.error(unknown_command_error(args));
  }

  // --- KV.DIFF and KV.WATCH: requests to the store besides rounds -----------

  struct side_request {
    connection_handle conn = 0;
    bool watch = false;
    std::string prefix;
  };

  static bool to_version(std::string_view s, version_t& v) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
  }

  void side_send(connection& c, side_request req, auto&&... xs) {
    auto mid = comp_->new_request_id();
    req.conn = c.hdl;
    side_.emplace(mid.response_id().integer_value(), std::move(req));
    c.side_pending = true;
    comp_->send(mid, std::forward<decltype(xs)>(xs)...);
  }

  // KV.DIFF from to [prefix]
  void diff(connection& c, reply_writer& w, const std::vector<std::string_view>& args) {
    version_t from = 0, to = 0;
    if (!to_version(args[1], from) || !to_version(args[2], to))
      return w.error("ERR versions must be non-negative integers");
    if (args.size() > 4)
      return w.error(arity_error("kv.diff"));
    auto prefix = key::v(args.size() == 4 ? args[3] : std::string_view{});
    side_send(c, {}, diff_atom::value, from, to, std::move(prefix));
  }

  // KV.WATCH prefix [FROM v]
  void watch_prefix(connection& c, reply_writer& w, const std::vector<std::string_view>& args) {
    watch_request req;
    req.prefix = key::v(args[1]);
    if (args.size() == 4 && iequals(args[2], "from")) {
      version_t v = 0;
      if (!to_version(args[3], v))
        return w.error("ERR FROM needs a version (a non-negative integer)");
      req.from = v;
    } else if (args.size() != 2) {
      return w.error("ERR syntax error");
    }
    side_send(c, {0, true, std::string{args[1]}}, watch_atom::value, local_watch{std::move(req)});
  }

  void unwatch_all(connection& c) {
    for (auto id : c.subscriptions) {
      subs_.erase(id);
      if (comp_ != nullptr)
        comp_->send(caf::make_message_id(), unwatch_atom::value, id);
    }
    c.subscriptions.clear();
    c.watch_mode = false;
  }

  static void write_change(reply_writer& w, const change& e) {
    w.array(4);
    w.bulk(to_string(e.op));
    w.bulk(key_text(e.path));
    w.integer(static_cast<long long>(e.version));
    if (e.op == change_op::set || (e.op == change_op::rename_in && e.what == kind::value && !e.other))
      w.bulk(e.value.view());
    else if (e.other)
      w.bulk(key_text(*e.other));
    else
      w.null();
  }

  void on_side_reply(const side_request& req, caf::type_erased_tuple& msg) {
    auto it = conns_.find(req.conn);
    if (it == conns_.end()) { // gone meanwhile: end a watch it started
      if (req.watch && msg.match_elements<local_watch_started>())
        comp_->send(caf::make_message_id(), unwatch_atom::value,
                    msg.get_as<local_watch_started>(0).started.id);
      return;
    }
    auto& c = it->second;
    c.side_pending = false;
    reply_writer w{c.out, c.proto};
    if (msg.match_elements<caf::error>()) {
      w.error(error_line(from_caf(msg.get_as<caf::error>(0))));
    } else if (msg.match_elements<change_list>()) {
      auto& list = msg.get_as<change_list>(0);
      w.array(list.size());
      for (auto& e : list)
        write_change(w, e);
    } else if (msg.match_elements<local_watch_started>()) {
      auto id = msg.get_as<local_watch_started>(0).started.id;
      subs_[id] = c.hdl;
      c.subscriptions.push_back(id);
      c.watch_mode = c.proto < 3;
      w.array(3);
      w.bulk("kv.watch");
      w.bulk(req.prefix);
      w.integer(static_cast<long long>(msg.get_as<local_watch_started>(0).started.version));
    } else {
      w.error("ERR unexpected reply from the store");
    }
    process(c);
    finish(c);
  }

  // A watch's delivery: one push (RESP3; an array under RESP2, as pub/sub
  // messages are), acknowledged once written, so that the store's window
  // bounds what waits for a slow watcher.
  void on_changes(const changes& d) {
    auto it = subs_.find(d.id);
    if (it == subs_.end())
      return;
    auto ci = conns_.find(it->second);
    if (ci == conns_.end())
      return;
    auto& c = ci->second;
    reply_writer w{c.out, c.proto}; // after the replies already due, before later ones
    w.push(6);
    w.bulk("kv.changes");
    w.integer(static_cast<long long>(d.from));
    w.integer(static_cast<long long>(d.to));
    w.integer(d.resync ? 1 : 0);
    w.integer(d.coalesced ? 1 : 0);
    w.array(d.events.size());
    for (std::size_t i = 0; i < d.events.size(); ++i)
      write_change(w, d.events[i]);
    comp_->send(caf::make_message_id(), ack_atom::value, d.id, d.seq);
    finish(c);
  }

  void auth(connection& c, reply_writer& w, std::string_view user, std::string_view pass, bool ok_arity) {
    if (!ok_arity)
      return w.error("ERR syntax error");
    if (opts_.password.empty())
      return w.error("ERR AUTH <password> called without any password configured for the default "
                     "user. Are you sure your configuration is correct?");
    if (user != "default" || !same_secret(pass, opts_.password))
      return w.error("WRONGPASS invalid username-password pair or user is disabled.");
    c.authed = true;
    w.ok();
  }

  void hello(connection& c, const std::vector<std::string_view>& args) {
    int proto = c.proto;
    std::size_t i = 1;
    if (args.size() > 1) {
      if (args[1] == "2")
        proto = 2;
      else if (args[1] == "3")
        proto = 3;
      else
        return reply_writer{c.out, c.proto}.error(
            "NOPROTO sorry, this protocol version is not supported.");
      i = 2;
    }
    std::string set_name;
    for (; i < args.size(); ++i) {
      if (iequals(args[i], "auth") && i + 2 < args.size()) {
        if (args[i + 1] != "default" || opts_.password.empty() ||
            !same_secret(args[i + 2], opts_.password))
          return reply_writer{c.out, c.proto}.error(
              "WRONGPASS invalid username-password pair or user is disabled.");
        c.authed = true;
        i += 2;
      } else if (iequals(args[i], "setname") && i + 1 < args.size()) {
        if (!valid_name(args[i + 1]))
          return reply_writer{c.out, c.proto}.error(
              "ERR Client names cannot contain spaces, newlines or special characters.");
        set_name = std::string{args[++i]};
      } else {
        return reply_writer{c.out, c.proto}.error(
            fmt::format("ERR Syntax error in HELLO option '{}'", args[i]));
      }
    }
    if (!c.authed)
      return reply_writer{c.out, c.proto}.error(
          "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
          "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
          "select the RESP protocol version at the same time");
    if (!set_name.empty())
      c.name = set_name;
    c.proto = proto;
    reply_writer w{c.out, c.proto};
    w.map(7);
    w.bulk("server");
    w.bulk("redis");
    w.bulk("version");
    w.bulk(server_version);
    w.bulk("proto");
    w.integer(proto);
    w.bulk("id");
    w.integer(static_cast<long long>(c.id));
    w.bulk("mode");
    w.bulk("standalone");
    w.bulk("role");
    w.bulk("master");
    w.bulk("modules");
    w.array(0);
  }

  // As Redis: a client name is printable ASCII without spaces ('!'..'~').
  static bool valid_name(std::string_view n) {
    return std::all_of(n.begin(), n.end(), [](char ch) { return ch >= '!' && ch <= '~'; });
  }

  std::string client_line(const connection& x) const {
    return fmt::format("id={} addr={} laddr=127.0.0.1:{} fd=0 name={} db=0 multi={} qbuf={} "
                       "obl={} resp={} lib-name={} lib-ver={} cmd={}\n",
                       x.id, x.addr, port_, x.name, x.in_multi ? static_cast<long>(x.queued.size()) : -1,
                       x.in.size() - x.pos, x.unacked(), x.proto, x.lib_name, x.lib_ver,
                       x.last_cmd.empty() ? "NULL" : x.last_cmd);
  }

  void client(connection& c, reply_writer& w, const std::vector<std::string_view>& args) {
    auto sub = lower(args[1]);
    if (sub == "setname" && args.size() == 3) {
      if (!valid_name(args[2]))
        return w.error("ERR Client names cannot contain spaces, newlines or special characters.");
      c.name = std::string{args[2]};
      return w.ok();
    }
    if (sub == "getname" && args.size() == 2)
      return c.name.empty() ? w.null() : w.bulk(c.name);
    if (sub == "id" && args.size() == 2)
      return w.integer(static_cast<long long>(c.id));
    if (sub == "setinfo" && args.size() == 4) {
      auto attr = lower(args[2]);
      if (attr == "lib-name")
        c.lib_name = std::string{args[3]};
      else if (attr == "lib-ver")
        c.lib_ver = std::string{args[3]};
      else
        return w.error(fmt::format("ERR Unrecognized option '{}'", args[2]));
      return w.ok();
    }
    if (sub == "list" && args.size() == 2) {
      std::string all;
      for (auto& [h, x] : conns_)
        all += client_line(x);
      return w.bulk(all);
    }
    if (sub == "info" && args.size() == 2)
      return w.bulk(client_line(c));
    w.error(fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
                        args[1]));
  }

  static void command_info(reply_writer& w, const command_spec& s) {
    w.array(10);
    w.bulk(s.name);
    w.integer(s.arity);
    std::vector<std::string_view> flags;
    if (s.flags & cmd_write)
      flags.push_back("write");
    else if (s.flags & cmd_read)
      flags.push_back("readonly");
    if (s.flags & cmd_no_auth)
      flags.push_back("no_auth");
    w.set(flags.size());
    for (auto f : flags)
      w.simple(f);
    w.integer(s.first_key);
    w.integer(s.last_key);
    w.integer(s.key_step);
    w.set(0); // ACL categories
    w.set(0); // tips
    w.array(0); // key specs
    w.array(0); // subcommands
  }

  void command(reply_writer& w, const std::vector<std::string_view>& args) {
    auto cmds = all_commands();
    if (args.size() == 1) {
      w.array(cmds.size());
      for (auto& s : cmds)
        command_info(w, s);
      return;
    }
    auto sub = lower(args[1]);
    if (sub == "count")
      return w.integer(static_cast<long long>(cmds.size()));
    if (sub == "list") {
      w.array(cmds.size());
      for (auto& s : cmds)
        w.bulk(s.name);
      return;
    }
    if (sub == "info" || sub == "docs") {
      std::vector<const command_spec*> which;
      if (args.size() == 2)
        for (auto& s : cmds)
          which.push_back(&s);
      else
        for (std::size_t i = 2; i < args.size(); ++i)
          which.push_back(find_command(lower(args[i])));
      if (sub == "info") {
        w.array(which.size());
        for (auto* s : which)
          s ? command_info(w, *s) : w.null();
        return;
      }
      std::size_t n = std::count_if(which.begin(), which.end(), [](auto* s) { return s != nullptr; });
      w.map(n);
      for (auto* s : which) {
        if (s == nullptr)
          continue;
        w.bulk(s->name);
        w.map(3);
        w.bulk("summary");
        w.bulk(s->summary);
        w.bulk("since");
        w.bulk("1.0.0");
        w.bulk("group");
        w.bulk(s->name.starts_with("kv.") ? "kvmem" : (s->flags & cmd_connection) ? "connection" : "generic");
      }
      return;
    }
    w.error(fmt::format("ERR unknown subcommand '{}'. Try COMMAND HELP.", args[1]));
  }

  void info(reply_writer& w, const std::vector<std::string_view>& args) {
    auto want = args.size() > 1 ? lower(args[1]) : std::string{"default"};
    auto all = want == "all" || want == "default" || want == "everything";
    const auto& snap = snapshot();
    std::string s;
    auto section = [&](std::string_view n) { return all || want == n; };
    if (section("server"))
      s += fmt::format("# Server\r\nredis_version:{}\r\nredis_mode:standalone\r\nkvmem:1\r\n"
                       "os:Linux\r\narch_bits:64\r\nprocess_id:{}\r\ntcp_port:{}\r\n\r\n",
                       server_version, ::getpid(), port_);
    if (section("clients"))
      s += fmt::format("# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\n\r\n", conns_.size(),
                       opts_.max_clients);
    if (section("memory"))
      s += fmt::format("# Memory\r\nused_memory:{}\r\nmaxmemory:{}\r\n\r\n", snap.root.used(),
                       snap.root.capacity() == unlimited ? 0 : snap.root.capacity());
    if (section("persistence")) {
      bool journal = !store_.options().persistence.dir.empty();
      s += fmt::format("# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_bgsave_in_progress:0\r\n"
                       "aof_enabled:{}\r\n\r\n", journal ? 1 : 0);
    }
    if (section("keyspace")) {
      auto n = count_values(snap.root);
      s += "# Keyspace\r\n";
      if (n > 0)
        s += fmt::format("db0:keys={},expires=0,avg_ttl=0\r\n", n);
      s += "\r\n";
    }
    if (section("kvmem"))
      s += fmt::format("# kvmem\r\nstore_version:{}\r\nstore_used_bytes:{}\r\nresp_port:{}\r\n\r\n",
                       snap.version, snap.root.used(), port_);
    w.bulk(s);
  }

  void config(reply_writer& w, const std::vector<std::string_view>& args) {
    auto sub = lower(args[1]);
    if (sub == "get" && args.size() >= 3) {
      bool journal = !store_.options().persistence.dir.empty();
      const std::pair<std::string, std::string> params[] = {
          {"save", ""},
          {"appendonly", journal ? "yes" : "no"},
          {"appendfsync", journal ? std::string{to_string(store_.options().persistence.sync)} : "no"},
          {"databases", "1"},
          {"maxmemory", "0"},
          {"maxclients", std::to_string(opts_.max_clients)},
          {"port", std::to_string(port_)},
          {"bind", opts_.bind},
          {"proto-max-bulk-len", std::to_string(opts_.max_bulk_bytes)},
          {"client-query-buffer-limit", std::to_string(opts_.max_query_buffer)},
          {"timeout", "0"},
      };
      std::vector<const std::pair<std::string, std::string>*> hits;
      for (std::size_t i = 2; i < args.size(); ++i) {
        std::string pat = lower(args[i]);
        for (auto& p : params)
          if (::fnmatch(pat.c_str(), p.first.c_str(), 0) == 0 &&
              std::find(hits.begin(), hits.end(), &p) == hits.end())
            hits.push_back(&p);
      }
      w.map(hits.size());
      for (auto* p : hits) {
        w.bulk(p->first);
        w.bulk(p->second);
      }
      return;
    }
    if (sub == "resetstat" && args.size() == 2)
      return w.ok();
    if (sub == "set")
      return w.error("ERR CONFIG SET is not supported by kvmem (set options when serving: docs/resp.md)");
    w.error(fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try CONFIG HELP.",
                        args[1]));
  }

  void exec(connection& c, reply_writer& w) {
    if (!c.in_multi)
      return w.error("ERR EXEC without MULTI");
    c.in_multi = false;
    auto queued = std::move(c.queued);
    c.queued.clear();
    auto watched = std::move(c.watched);
    c.watched.clear();
    if (c.multi_failed)
      return w.error("EXECABORT Transaction discarded because of previous errors.");
    // The group owns the queue (its views must outlive a retry).
    group g;
    g.exec = true;
    g.requirements = std::move(watched);
    for (auto& q : queued)
      g.inline_words.push_back(std::move(q.words));
    for (auto& words : g.inline_words) {
      g.cmds.push_back(std::vector<std::string_view>{words.begin(), words.end()});
      g.specs.push_back(find_command(lower(words[0]))); // queued: a data command
    }
    attempt(c, std::move(g));
  }

  caf::actor_system& sys_;
  store store_;
  resp_options opts_;
  int lfd_ = -1, epfd_ = -1, evfd_ = -1, spare_fd_ = -1;
  std::uint16_t port_ = 0;
  const detail::published* pub_;
  detail::snapshot_cache cache_;
  parse_limits limits_;
  session_data session_; // SCAN's cursors: any connection may continue one
  std::unordered_map<connection_handle, connection> conns_;
  std::optional<round> round_;              // the commit with the store
  std::deque<connection_handle> waiting_;   // groups for the next round
  std::deque<connection_handle> solo_;      // of those, to run alone (after a failed round)
  bool delivering_ = false;
  std::uint64_t next_id_ = wake_tag;
  detail::companion* comp_ = nullptr;       // run()'s, on its thread
  caf::message_id expected_;                // the round's reply
  std::thread::id loop_thread_;
  std::atomic<bool> stop_{false}, store_gone_{false};
  bool listener_paused_ = false;
  std::mutex replies_m_;
  std::deque<caf::mailbox_element_ptr> replies_;
  std::unordered_map<std::uint64_t, side_request> side_; // by response id
  std::unordered_map<std::uint64_t, connection_handle> subs_; // KV.WATCH subscriptions
};

} // namespace

namespace detail {

/// What resp_server handles share: the loop and its thread.
struct resp_endpoint {
  std::unique_ptr<resp_loop> loop;
  std::thread thread;
  std::mutex m;
  ~resp_endpoint() { stop(); }
  void stop() {
    std::lock_guard g{m};
    if (!thread.joinable())
      return;
    loop->stop();
    if (thread.get_id() == std::this_thread::get_id())
      thread.detach(); // (never: close() is not called from the loop)
    else
      thread.join();
  }
};

} // namespace detail

void resp_server::close() const {
  if (impl_)
    impl_->stop();
}

result<resp_server> serve_resp(caf::actor_system& sys, const store& s, resp_options opts) {
  if (detail::store_access::local(s) == nullptr)
    return error::make(errc::invalid_argument,
                       "serve_resp needs a store of this process (the server reads its published root)");
  if (opts.password.empty() && !opts.allow_nonlocal_without_password &&
      !detail::net::resolves_to_loopback(opts.bind))
    return error::make(errc::invalid_argument,
                       fmt::format("refusing to serve RESP on {} without a password: set a password "
                                   "(--resp-password) or, on a trusted network only, "
                                   "allow_nonlocal_without_password (--insecure-nonlocal)",
                                   opts.bind));
  auto fd = detail::net::listen_on(opts.bind, opts.port, opts.reuse_address);
  if (!fd)
    return fd.error();
  ::fcntl(*fd, F_SETFL, ::fcntl(*fd, F_GETFL) | O_NONBLOCK); // the loop accepts until EAGAIN
  auto port = detail::net::bound_port(*fd);
  auto ep = std::make_shared<detail::resp_endpoint>();
  ep->loop = std::make_unique<resp_loop>(sys, s, std::move(opts), *fd, port);
  if (!ep->loop->ready())
    return error::make(errc::unavailable, fmt::format("cannot start the RESP loop: {}", std::strerror(errno)));
  ep->thread = std::thread{[loop = ep->loop.get()] { loop->run(); }};
  resp_server out;
  out.impl_ = std::move(ep);
  out.port_ = port;
  return out;
}

} // namespace kvmem
