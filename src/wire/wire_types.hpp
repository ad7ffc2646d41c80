// Every type kvmem registers with CAF, listed once (internal, CAF-free).
//
// A type is registered if it is a top-level element of a message that
// crosses a process: register_types (wire.cpp) registers each under its
// wire name. Types that travel only inside another (an expect inside a
// write_op, the entry_stat inside a read_result) are written by their
// parent's inspect and are not listed. The mark says who sends it:
// `client` — a client's requests to a store; `reply` — only a store sends it
// (its replies, deliveries and error contexts). The guard's schema
// (net/message_schema.hpp) derives the messages themselves from the store's
// interface, and checks at compile time that these marks agree with it.
//
// X(C++ type, wire name, client | reply); the type is read only where
// register_types expands the list.
#pragma once

#define KVMEM_WIRE_TYPES(X)                                                       \
  X(key, "kvmem::key", client)                                                    \
  X(bytes, "kvmem::bytes", client)                                                \
  X(ptime, "kvmem::ptime", client)                                                \
  X(write_op, "kvmem::write_op", client)                                          \
  X(read_op, "kvmem::read_op", client)                                            \
  X(commit, "kvmem::commit", client)                                              \
  X(pin, "kvmem::pin", client)                                                    \
  X(watch_request, "kvmem::watch_request", client)                                \
  X(read_result, "kvmem::read_result", reply)                                     \
  X(snapshot, "kvmem::snapshot", reply)                                           \
  X(store_info, "kvmem::store_info", reply)                                       \
  X(watch_started, "kvmem::watch_started", reply)                                 \
  X(changes, "kvmem::changes", reply)                                             \
  X(change_list, "kvmem::change_list", reply)                                     \
  X(std::vector<key>, "std::vector<kvmem::key>", reply)                           \
  X(std::vector<std::uint64_t>, "std::vector<std::uint64_t>", reply)
