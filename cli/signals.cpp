#include "signals.hpp"

#include <pthread.h>

#include <csignal>
#include <ctime>

namespace kvmem::cli {

namespace {

sigset_t stop_set() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}

} // namespace

stop_signals::stop_signals() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  auto s = stop_set();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

int stop_signals::wait() {
  auto s = stop_set();
  int sig = 0;
  // sigwait fails only for an invalid set: then stop rather than serve on.
  return sigwait(&s, &sig) == 0 ? sig : SIGTERM;
}

int stop_signals::poll() {
  auto s = stop_set();
  timespec none{0, 0};
  int sig = sigtimedwait(&s, nullptr, &none);
  return sig > 0 ? sig : 0;
}

const char* stop_signals::name(int sig) {
  return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

} // namespace kvmem::cli
