// SIGINT and SIGTERM as requests to stop, for the CLI's long-running modes
// (serve, watch).
//
// The signals are blocked in every thread and taken by the main thread when
// it is ready (sigwait, or a poll between two waits): no handler runs in the
// middle of a write, none of CAF's threads takes them, and the process stops
// through its ordinary exit path (unsubscribing, unpublishing, flushing).
#pragma once

namespace kvmem::cli {

class stop_signals {
public:
  /// Blocks SIGINT and SIGTERM in this thread. Construct it before any other
  /// thread starts (before the actor system): threads inherit the mask, and a
  /// thread that does not block them could take one and be killed by it.
  /// A background job of a non-interactive shell starts with SIGINT ignored,
  /// and an ignored signal never becomes pending: the default is restored.
  stop_signals();

  /// Waits for one of them; returns it.
  int wait();

  /// The one pending, or 0; never waits.
  int poll();

  /// "SIGINT" or "SIGTERM".
  static const char* name(int sig);
};

} // namespace kvmem::cli
