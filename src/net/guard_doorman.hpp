// The guarded endpoint's acceptor (internal; reaches into CAF 0.17.6's I/O
// layer like guarded_scribe.hpp).
//
// publish() gives the BASP broker this doorman instead of CAF's own: it owns
// the listening socket, runs on the multiplexer thread, and turns every
// accepted connection into a guarded_scribe before the broker sees it. Unlike
// CAF's acceptor it does not spin when accept() fails for lack of file
// descriptors (EMFILE: CAF's acceptor returns and is woken again at once,
// burning a core): it refuses the waiting client with a spare descriptor, or
// stops accepting until one of its connections closes; either way it logs.
// Above max_connections it accepts and closes at once, so that clients get
// an answer instead of waiting in the backlog.
#pragma once

#include <memory>

#include <caf/io/doorman.hpp>
#include <caf/io/network/acceptor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>

#include "net/guard_state.hpp"

namespace kvmem::detail::net {

struct accept_policy {
  explicit accept_policy(std::shared_ptr<guard_state> s) : state(std::move(s)) {}
  bool try_accept(caf::io::network::native_socket& result, caf::io::network::native_socket fd);
  std::shared_ptr<guard_state> state;
};

class guard_acceptor final : public caf::io::network::acceptor_impl<accept_policy> {
public:
  using acceptor_impl::acceptor_impl;
  void set_owner(caf::io::network::acceptor_manager* owner) noexcept { owner_ = owner; }
  /// Resumes accepting whether or not an earlier passivate() has been
  /// processed by the multiplexer yet (see guard_stream::resume_reading).
  void resume(caf::io::network::acceptor_manager* mgr) {
    activate(mgr);
    this->caf::io::network::event_handler::activate();
  }
  /// Drops the doorman's last reference on the loop's next turn, not inside
  /// this call (see guard_stream::removed_from_loop).
  void removed_from_loop(caf::io::network::operation op) override;
  /// Stops accepting for good (see guard_stream::stop_reading).
  void stop();

private:
  caf::io::network::acceptor_manager* owner_ = nullptr;
};

class guard_doorman final : public caf::io::doorman {
public:
  guard_doorman(caf::io::network::default_multiplexer& mx, caf::io::network::native_socket fd,
                std::shared_ptr<guard_state> state);
  ~guard_doorman() override;

  bool new_connection() override;
  void graceful_shutdown() override;
  void launch() override;
  std::string addr() const override;
  std::uint16_t port() const override;
  void add_to_loop() override;
  void remove_from_loop() override;

  /// Stops and restarts accepting (the listening socket stays open, so
  /// clients wait in the kernel's backlog meanwhile).
  void pause_accepting();
  void resume_accepting();

private:
  std::shared_ptr<guard_state> state_;
  guard_acceptor acceptor_;
};

} // namespace kvmem::detail::net
