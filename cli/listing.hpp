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

/// What stat reports about a key.
struct stat_info {
  key k;
  kind kd = kind::value;
  std::uint64_t size = 0; // bytes of a value, or entries of a dictionary
  ptime last_modified;
  kvmem::digest hash;
};

/// key/kind/size|entries/last_modified/digest, one "name: value" per line
/// (the key escaped), or one JSON object.
void print_stat(const stat_info& s, bool json, std::FILE* out);

/// version/used/capacity/pinned, one "name: value" per line, or one JSON
/// object (capacity null when unlimited).
void print_info(const store_info& i, bool json, std::FILE* out);

} // namespace kvmem::cli
