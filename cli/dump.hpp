// kvmem dump / kvmem load: a subtree exported to, and imported from, a
// simple stream (docs/cli.md, "dump and load"):
//
//   kvmem-dump 1\n                          the header
//   V <key bytes> <value bytes>\n<key><value>\n   a value
//   D <key bytes>\n<key>\n                   an empty dictionary
//   E <values> <dictionaries>\n             the end (its absence: cut short)
//
// Keys are relative to the dumped prefix ("/" for the prefix itself if it is
// a value), raw bytes, so any key and value round-trip.
#pragma once

#include <cstdio>

#include <kvmem/client.hpp>

#include "commands.hpp"

namespace kvmem::cli {

/// Writes the subtree at `prefix` to o.out, from one snapshot (a batch that
/// only reads). Returns an exit code.
int dump(client& c, const key& prefix, const output& o);

/// Reads a dump from `in` and writes it under `prefix`, in batches of at most
/// 1000 entries (each all or nothing). A malformed or cut-short stream stops
/// at the first bad record, with what was loaded before it kept and
/// reported. Returns an exit code.
int load(client& c, const key& prefix, std::FILE* in, const output& o);

} // namespace kvmem::cli
