#include "net/guard_doorman.hpp"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

#include <caf/io/abstract_broker.hpp>
#include <caf/io/network/native_socket.hpp>
#include <caf/make_counted.hpp>

#include <fmt/format.h>

#include "net/guarded_scribe.hpp"

namespace kvmem::detail::net {

bool accept_policy::try_accept(caf::io::network::native_socket& result,
                               caf::io::network::native_socket fd) {
  // Deadlines are enforced when someone needs room: here, before accepting.
  state->sweep(nullptr);
  int s = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (s < 0) {
    int e = errno;
    if (e == EMFILE || e == ENFILE)
      state->out_of_descriptors(fd);
    else if (e != EAGAIN && e != EWOULDBLOCK && e != EINTR && e != ECONNABORTED && e != EPROTO)
      state->note(guard_state::event::accept_error,
                  fmt::format("{}: accept failed: {}", state->endpoint(), std::strerror(e)));
    return false;
  }
  if (state->open() >= state->limits().max_connections) {
    state->note(guard_state::event::refused,
                fmt::format("{}: refused a connection: {} connections are open (the limit)",
                            state->endpoint(), state->open()));
    ::close(s);
    return false;
  }
  result = s;
  return true;
}

void guard_acceptor::removed_from_loop(caf::io::network::operation op) {
  caf::intrusive_ptr<caf::io::network::acceptor_manager> keep{owner_};
  acceptor::removed_from_loop(op);
  backend().post([keep = std::move(keep)]() mutable { keep.reset(); });
}

void guard_acceptor::stop() {
  bool polled = (eventbf() & caf::io::network::input_mask) != 0;
  passivate();
  if (!polled)
    removed_from_loop(caf::io::network::operation::read);
}

guard_doorman::guard_doorman(caf::io::network::default_multiplexer& mx,
                             caf::io::network::native_socket fd,
                             std::shared_ptr<guard_state> state)
  : caf::io::doorman(caf::io::accept_handle::from_int(unique_handle_id())),
    state_(std::move(state)),
    acceptor_(mx, fd, state_) {
  acceptor_.set_owner(this);
  state_->set_doorman(this, &mx);
}

guard_doorman::~guard_doorman() {
  state_->set_doorman(nullptr, nullptr);
}

bool guard_doorman::new_connection() {
  auto fd = acceptor_.accepted_socket();
  if (detached()) {
    // The broker let go of us while the connection was on its way.
    caf::io::network::close_socket(fd);
    return false;
  }
  auto& mx = acceptor_.backend();
  auto sptr = caf::make_counted<guarded_scribe>(mx, fd, state_);
  auto hdl = sptr->hdl();
  parent()->add_scribe(std::move(sptr));
  return caf::io::doorman::new_connection(&mx, hdl);
}

void guard_doorman::graceful_shutdown() {
  acceptor_.graceful_shutdown();
  detach(&acceptor_.backend(), false);
}

void guard_doorman::launch() {
  acceptor_.start(this);
}

std::string guard_doorman::addr() const {
  auto x = caf::io::network::local_addr_of_fd(acceptor_.fd());
  return x ? *x : std::string{};
}

std::uint16_t guard_doorman::port() const {
  auto x = caf::io::network::local_port_of_fd(acceptor_.fd());
  return x ? *x : 0;
}

void guard_doorman::add_to_loop() {
  acceptor_.activate(this);
}

void guard_doorman::remove_from_loop() {
  acceptor_.stop();
}

void guard_doorman::pause_accepting() {
  acceptor_.passivate();
}

void guard_doorman::resume_accepting() {
  if (!detached())
    acceptor_.resume(this);
}

} // namespace kvmem::detail::net
