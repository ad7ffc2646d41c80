// Every type kvmem registers with CAF, listed once (internal, CAF-free).
//
// register_types (wire.cpp) registers each under its wire name, and a served
// store's guard (net/basp_payload.hpp) lets a client's message through only
// if its elements are of the types marked `client` here: so a new message
// type is registered and, if clients send it, allowed in one place.
// `reply`: only a store sends it; kvmem::kind, kvmem::presence and
// kvmem::listing are bare enum codes (or hold them), which CAF 0.17.6 loads
// unchecked (wire.hpp), so a server never accepts them from a peer.
//
// X(C++ type, wire name, client | reply); the type is read only where
// register_types expands the list.
#pragma once

#define KVMEM_WIRE_TYPES(X)                                                       \
  X(key, "kvmem::key", client)                                                    \
  X(std::vector<key>, "std::vector<kvmem::key>", client)                          \
  X(bytes, "kvmem::bytes", client)                                                \
  X(ptime, "kvmem::ptime", client)                                                \
  X(digest, "kvmem::digest", client)                                              \
  X(write_op, "kvmem::write_op", client)                                          \
  X(std::vector<write_op>, "std::vector<kvmem::write_op>", client)                \
  X(std::vector<std::uint64_t>, "std::vector<std::uint64_t>", client)             \
  X(expect, "kvmem::expect", client)                                              \
  X(read_op, "kvmem::read_op", client)                                            \
  X(std::vector<read_op>, "std::vector<kvmem::read_op>", client)                  \
  X(read_result, "kvmem::read_result", reply)                                     \
  X(requirement, "kvmem::requirement", client)                                    \
  X(std::vector<requirement>, "std::vector<kvmem::requirement>", client)          \
  X(entry_stat, "kvmem::entry_stat", client)                                      \
  X(owners, "kvmem::owners", client)                                              \
  X(change, "kvmem::change", client)                                              \
  X(change_list, "kvmem::change_list", client)                                    \
  X(watch_request, "kvmem::watch_request", client)                                \
  X(watch_started, "kvmem::watch_started", client)                                \
  X(changes, "kvmem::changes", client)                                            \
  X(commit, "kvmem::commit", client)                                              \
  X(snapshot, "kvmem::snapshot", client)                                          \
  X(pin, "kvmem::pin", client)                                                    \
  X(store_info, "kvmem::store_info", client)
