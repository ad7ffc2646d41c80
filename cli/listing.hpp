// The output formats of ls, stat and info: human (escaped text, one record
// per line) and machine (JSON; for ls also NUL-terminated records).
// docs/cli.md documents each form; tests/cli_test.sh checks them.
#pragma once

#include <cstdio>
#include <string>

#include <kvmem/client.hpp>

namespace kvmem::cli {

enum class listing_form {
  human, // KIND<tab>KEY<newline>, KEY escaped (text.hpp)
  json,  // [{"kind":"value","key":"/a"},...]: one line; "key_hex" when the key is not UTF-8
  nul,   // KIND<tab>KEY<NUL>, KEY raw; refused if a key holds a NUL byte
};

/// Prints `l` in `form` to `out`. Returns "" or, without printing anything,
/// why the form cannot represent the listing.
std::string print_listing(const listing& l, listing_form form, std::FILE* out);

/// What stat reports about a key: the entry (tree.hpp) and its digest,
/// read from one snapshot.
struct stat_info {
  key k;
  entry_stat st;
  kvmem::digest hash;
};

/// key, kind, size (values) or entries (dictionaries), last_modified,
/// created, modified, subtree (dictionaries), digest: one "name: value" per
/// line in this order (the key escaped), or one JSON object.
void print_stat(const stat_info& s, bool json, std::FILE* out);

/// version/used/capacity/pinned, one "name: value" per line, or one JSON
/// object (capacity null when unlimited).
void print_info(const store_info& i, bool json, std::FILE* out);

} // namespace kvmem::cli
