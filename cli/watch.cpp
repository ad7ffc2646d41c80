// kvmem watch: a change feed printed line by line until interrupted.
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "events.hpp"
#include "modes.hpp"
#include "text.hpp"

namespace kvmem::cli {

namespace {

// How long one wait for a delivery lasts before the stop signals are
// checked again: the most a Ctrl-C waits for an idle watch to notice.
constexpr std::chrono::milliseconds signal_poll{100};

// Flushes `o.out` (a pipe must see each delivery as it comes); false after
// printing why it failed.
bool flushed(const output& o) {
  errno = 0;
  if (std::fflush(o.out) == 0 && !std::ferror(o.out))
    return true;
  int why = errno != 0 ? errno : EIO;
  fmt::print(o.err, "kvmem: cannot write the output: {}\n", std::strerror(why));
  return false;
}

// Like `tail -f`: a reader that went away (`kvmem watch / | head -1`) is
// noticed while no change comes, not only at the next delivery, and ends
// the watch as a write to it would: by SIGPIPE. False (after saying why)
// if SIGPIPE is ignored; true while the output can be written.
bool output_alive(const output& o) {
  pollfd p{::fileno(o.out), 0, 0}; // no events: only POLLERR, POLLHUP, POLLNVAL
  if (::poll(&p, 1, 0) != 1 || (p.revents & POLLERR) == 0)
    return true;
  std::raise(SIGPIPE);
  fmt::print(o.err, "kvmem: cannot write the output: {}\n", std::strerror(EPIPE));
  return false;
}

} // namespace

int watch(client& c, const command_args& a, const output& o, stop_signals& stop) {
  auto prefix = key::v(a.key1); // the parser checked that it is absolute
  auto w = c.watch(prefix, a.from, a.window);
  if (!w)
    return report(w.error(), o);
  print_watch_start(prefix, w->start_version(), a.json, o.out);
  if (!flushed(o))
    return usage_error;
  const event_form form{true, a.values};
  for (;;) {
    if (int sig = stop.poll()) {
      // Everything up to last_version() was printed; nothing after it was.
      fmt::print(o.err, "kvmem: {} received: watched up to version {} (resume with --from {})\n",
                 stop_signals::name(sig), w->last_version(), w->last_version());
      return ok;
    }
    auto r = w->next(signal_poll); // acknowledges the delivery printed last
    if (!r)
      return report(r.error(), o,
                    fmt::format("the watch ended after version {}", w->last_version()));
    if (!*r) {
      if (!output_alive(o))
        return usage_error;
      continue;
    }
    const changes& d = **r;
    // A resume from a retained version arrives as the first delivery,
    // coalesced by design: say so rather than "fell behind".
    print_delivery(d, d.seq == 1 && d.coalesced && a.from, a.json, form, o.out);
    if (!flushed(o))
      return usage_error;
  }
}

} // namespace kvmem::cli
