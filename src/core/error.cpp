#include "kvmem/error.hpp"

#include <fmt/core.h>

namespace kvmem {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::not_found: return "not_found";
    case errc::dictionary_expected: return "dictionary_expected";
    case errc::value_expected: return "value_expected";
    case errc::no_space: return "no_space";
    case errc::too_many_retries: return "too_many_retries";
    case errc::rename_source_prefix: return "rename_source_prefix";
    case errc::already_present: return "already_present";
    case errc::invalid_argument: return "invalid_argument";
    case errc::batch_too_large: return "batch_too_large";
    case errc::nested_batch: return "nested_batch";
    case errc::batch_aborted: return "batch_aborted";
    case errc::disconnected: return "disconnected";
    case errc::unavailable: return "unavailable";
    case errc::client_busy: return "client_busy";
    case errc::conflict: return "conflict";
    case errc::internal: return "internal";
    case errc::version_mismatch: return "version_mismatch";
    case errc::not_retained: return "not_retained";
    case errc::io_error: return "io_error";
    case errc::corrupt: return "corrupt";
    case errc::read_only: return "read_only";
  }
  return "unknown_error";
}

std::string error::message() const {
  // Keys are always set by the factories of the kinds that name them; a
  // hand-built error without one renders "?" rather than a misleading "/".
  auto name = [](const std::optional<key>& x) { return x ? x->to_string() : std::string("?"); };
  switch (code) {
    case errc::not_found: return fmt::format("Cannot find the key {}", name(path));
    case errc::dictionary_expected: return fmt::format("Expecting a dictionary for the key {}", name(path));
    case errc::value_expected: return fmt::format("Expecting a value for the key {}", name(path));
    case errc::no_space: return "No space left on device";
    case errc::too_many_retries:
      return fmt::format("Aborting after {} attempts to apply the batch operations.", attempts);
    case errc::rename_source_prefix:
      return fmt::format("Rename: source {} is prefix of destination {}", name(path), name(destination));
    case errc::already_present: return fmt::format("Key {} is already present", name(path));
    case errc::invalid_argument: return fmt::format("Invalid argument: {}", detail);
    case errc::batch_too_large: return fmt::format("Batch too large: {}", detail);
    case errc::nested_batch: return fmt::format("Nested batch: {}", detail);
    case errc::batch_aborted: return fmt::format("Batch aborted: {}", detail);
    case errc::disconnected: return fmt::format("Disconnected: {}", detail);
    case errc::unavailable: return fmt::format("Store unavailable: {}", detail);
    case errc::client_busy: return fmt::format("Client busy: {}", detail);
    case errc::conflict: return fmt::format("Batch conflict: {}", detail);
    case errc::internal: return fmt::format("Internal error: {}", detail);
    case errc::not_retained: return fmt::format("Version not retained: {}", detail);
    case errc::io_error: return fmt::format("I/O error: {}", detail);
    case errc::corrupt: return fmt::format("Damaged store file: {}", detail);
    case errc::read_only: return fmt::format("Writes refused: {}", detail);
    case errc::version_mismatch: {
      auto v = [](const std::optional<version_t>& x) {
        return x ? fmt::format("version {}", *x) : std::string("absent");
      };
      return fmt::format("Version mismatch for the key {}: expected {}, found {}", name(path),
                         v(expected), v(actual));
    }
  }
  return fmt::format("Unknown error {}: {}", static_cast<int>(code), detail);
}

} // namespace kvmem
