// kvmem::read_op — one read, described as a value: the vocabulary shared by
// clients, batch views, a batch's validation and the store's one read
// message, as write_op is for writes. No CAF.
//
// The reads of Mirage_kv.RO (and stat) are eight codes of one value; every
// way of reading (a blocking client's published root, a batch's snapshot, a
// remote store's messages, a pinned snapshot) goes through one function,
// apply(const tree&, const read_op&), or one message carrying a read_op, and
// the typed methods (client::get, batch_view::list, ...) are thin forwarders.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "kvmem/digest.hpp"
#include "kvmem/key.hpp"
#include "kvmem/kind.hpp"
#include "kvmem/result.hpp"
#include "kvmem/time.hpp"
#include "kvmem/tree.hpp"

namespace kvmem {

struct read_op {
  enum class code : std::uint8_t {
    exists = 1, get = 2, size = 3, list = 4, last_modified = 5, digest = 6, stat = 7,
    get_partial = 8,
  };
  static constexpr std::uint8_t max_code = 8;

  code op = code::get;
  key path;                 // the key read
  std::uint64_t offset = 0; // get_partial: the first byte
  std::uint64_t length = 0; // get_partial: how many bytes at most

  static read_op exists(key k) { return {code::exists, std::move(k), 0, 0}; }
  static read_op get(key k) { return {code::get, std::move(k), 0, 0}; }
  static read_op get_partial(key k, std::uint64_t offset, std::uint64_t length) {
    return {code::get_partial, std::move(k), offset, length};
  }
  static read_op size(key k) { return {code::size, std::move(k), 0, 0}; }
  static read_op list(key k) { return {code::list, std::move(k), 0, 0}; }
  static read_op last_modified(key k) { return {code::last_modified, std::move(k), 0, 0}; }
  static read_op digest(key k) { return {code::digest, std::move(k), 0, 0}; }
  static read_op stat(key k) { return {code::stat, std::move(k), 0, 0}; }

  friend bool operator==(const read_op&, const read_op&) = default;
};

/// "exists", "get", "size", "list", "last_modified", "digest", "stat", "get_partial".
std::string_view to_string(read_op::code c) noexcept;

/// What a read returns, by its code: exists → std::optional<kind>; get and
/// get_partial → bytes; size → std::uint64_t; list → listing; last_modified
/// → ptime; digest → kvmem::digest; stat → entry_stat.
class read_result {
public:
  using value_type = std::variant<std::optional<kind>, bytes, std::uint64_t, listing, ptime,
                                  kvmem::digest, entry_stat>;

  read_result() = default;
  read_result(value_type v) noexcept : v_(std::move(v)) {}

  /// The value if it is a T, else nullptr.
  template <class T>
  const T* get_if() const noexcept {
    return std::get_if<T>(&v_);
  }
  template <class T>
  T* get_if() noexcept {
    return std::get_if<T>(&v_);
  }
  const value_type& value() const noexcept { return v_; }
  value_type& value() noexcept { return v_; }

  friend bool operator==(const read_result&, const read_result&) = default;

private:
  value_type v_;
};

/// Reads `t` as the tree read of r's code (tree.hpp): the same results and
/// errors. Never changes anything; out of memory (a listing, a slice or a
/// first digest allocates) is no_space.
result<read_result> apply(const tree& t, const read_op& r);

/// The value of a read as a T: the read's error, or errc::unavailable if
/// the result holds another type (a store that answered some other read).
template <class T>
result<T> read_as(result<read_result> r) {
  if (!r)
    return std::move(r).error();
  if (auto* v = r->get_if<T>())
    return std::move(*v);
  return error::make(errc::unavailable, "the store answered a read with a result of another kind");
}

} // namespace kvmem
