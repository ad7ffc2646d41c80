// kvmem::error — what a failed operation returns, as a value.
//
// Every public operation that can fail returns kvmem::result<T> (see
// result.hpp) holding either its value or an error. An error carries its
// kind (errc), the key(s) involved, the attempt count of a batch and, for
// kinds that are not mirage-kv's, a human-readable detail. The seven
// mirage-kv kinds render with mirage-kv's exact wording. Errors are plain
// values with no CAF dependency; the actor layer maps them to and from
// caf::error (category "kvmem", see store.hpp) so they travel as replies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kvmem/detail/format.hpp"
#include "kvmem/key.hpp"
#include "kvmem/version.hpp"

namespace kvmem {

/// The kinds of error. Codes are stable (they travel over the network) and
/// start at 1 because CAF treats code 0 as "no error".
enum class errc : std::uint8_t {
  // Mirage_kv.error / write_error
  not_found = 1,            // key
  dictionary_expected = 2,  // key
  value_expected = 3,       // key
  no_space = 4,             //
  too_many_retries = 5,     // attempts
  rename_source_prefix = 6, // key = source, key2 = destination
  already_present = 7,      // key
  // kvmem's own
  invalid_argument = 8,  // detail says which argument and why
  batch_too_large = 9,   // detail: which limit
  nested_batch = 10,     // a batch function started another batch
  batch_aborted = 11,    // the batch function threw; detail = what()
  disconnected = 12,     // the client was disconnected by its owner
  unavailable = 13,      // the store is gone or unreachable; detail says how
  client_busy = 14,      // a blocking client was used from two threads at once
  conflict = 15,         // a commit's reads are no longer current (retried)
  internal = 16,         // a bug or resource failure inside the store; detail
  version_mismatch = 17, // key; expected and actual (modified versions, or absence)
  not_retained = 18,     // a version the store no longer keeps (reads at a version, diffs)
  // persistence (persistence.hpp)
  io_error = 19,  // a file operation failed (disk full, EIO); detail: operation, file, offset, why
  corrupt = 20,   // a store file is damaged before its tail; detail: the file and the offset
  read_only = 21, // the store refuses writes: a journal sync failed (restart to recover)
};

/// The largest errc code (for decoding untrusted input).
inline constexpr std::uint8_t max_errc = 21;

/// The name of an error kind, e.g. "not_found".
std::string_view to_string(errc code) noexcept;

struct error {
  errc code = errc::invalid_argument;
  std::optional<key> path;        // the key, or the source of a rename; none if no key is named
  std::optional<key> destination; // the destination of a rename
  std::uint32_t attempts = 0;  // for too_many_retries
  std::string detail;          // for kvmem's own kinds
  /// For version_mismatch: the modified version expected and the one found
  /// (nullopt: absent, expected or found).
  std::optional<version_t> expected;
  std::optional<version_t> actual;

  static error not_found(key k) { return {errc::not_found, std::move(k), {}, 0, {}, {}, {}}; }
  static error dictionary_expected(key k) {
    return {errc::dictionary_expected, std::move(k), {}, 0, {}, {}, {}};
  }
  static error value_expected(key k) {
    return {errc::value_expected, std::move(k), {}, 0, {}, {}, {}};
  }
  static error no_space() { return {errc::no_space, {}, {}, 0, {}, {}, {}}; }
  static error too_many_retries(std::uint32_t n) {
    return {errc::too_many_retries, {}, {}, n, {}, {}, {}};
  }
  static error rename_source_prefix(key src, key dst) {
    return {errc::rename_source_prefix, std::move(src), std::move(dst), 0, {}, {}, {}};
  }
  static error already_present(key k) {
    return {errc::already_present, std::move(k), {}, 0, {}, {}, {}};
  }
  /// A conditional write's expectation did not hold: `expected` and `actual`
  /// are modified versions, nullopt meaning absent.
  static error version_mismatch(key k, std::optional<version_t> expected,
                                std::optional<version_t> actual) {
    return {errc::version_mismatch, std::move(k), {}, 0, {}, expected, actual};
  }
  /// One of kvmem's own kinds, with its explanation (names no key).
  static error make(errc code, std::string detail) {
    return {code, {}, {}, 0, std::move(detail), {}, {}};
  }

  /// The rendered message, e.g. "Cannot find the key /a/b".
  std::string message() const;

  friend bool operator==(const error&, const error&) = default;
};

/// e.message(), for fmt and generic code.
inline std::string to_string(const error& e) { return e.message(); }

} // namespace kvmem

template <>
struct fmt::formatter<kvmem::error> : kvmem::detail::to_string_formatter<kvmem::error> {};

template <>
struct fmt::formatter<kvmem::errc> : kvmem::detail::to_string_formatter<kvmem::errc> {};
