// kvmem::bytes — an immutable, shared byte string: the value of a key.
//
// A bytes handle points at a reference-counted buffer; copying a handle
// never copies the bytes, so values move between the tree, snapshots,
// batches and clients for the price of an atomic increment. The content
// never changes once built. Handles are safe to copy and read from any
// thread (the count is atomic); one handle object is not for concurrent
// assignment, like std::shared_ptr.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "kvmem/detail/format.hpp"
#include "kvmem/detail/value_node.hpp"

namespace kvmem {

namespace detail {
struct bytes_access;
}

class bytes {
public:
  /// The empty value. Does not allocate.
  bytes() noexcept = default;
  /// Copies `s` into a new buffer (one allocation of 24 + size bytes).
  bytes(std::string_view s);
  bytes(const std::string& s) : bytes(std::string_view{s}) {}
  bytes(const char* s) : bytes(std::string_view{s}) {}
  /// `n` zero bytes. Throws std::bad_alloc if that cannot be allocated.
  static bytes zeros(std::uint64_t n);
  /// A value of `n` bytes written in place by fill(char* data), which must
  /// write all n of them (e.g. a read from a file or a socket): one
  /// allocation and no copy. What fill returns is returned alongside (e.g.
  /// an error); the value must not be used if fill failed. Throws
  /// std::bad_alloc if n bytes cannot be allocated.
  template <class F>
  static auto build(std::uint64_t n, F&& fill) {
    bytes b = uninitialized(n);
    auto r = fill(n ? const_cast<char*>(b.data()) : nullptr);
    return std::pair{std::move(b), std::move(r)};
  }

  bytes(const bytes& x) noexcept : n_(x.n_) { detail::retain(n_); }
  bytes(bytes&& x) noexcept : n_(std::exchange(x.n_, nullptr)) {}
  bytes& operator=(bytes x) noexcept {
    std::swap(n_, x.n_);
    return *this;
  }
  ~bytes() { detail::release(n_); }

  std::uint64_t size() const noexcept { return n_ ? n_->size : 0; }
  bool empty() const noexcept { return size() == 0; }
  const char* data() const noexcept { return n_ ? n_->data() : ""; }
  /// A view of the bytes, valid while this handle (or a copy) lives.
  std::string_view view() const noexcept { return {data(), static_cast<std::size_t>(size())}; }
  operator std::string_view() const noexcept { return view(); }
  /// A copy of the bytes as a std::string.
  std::string str() const { return std::string(view()); }

  /// True if both handles share one buffer (cheap identity, not equality).
  bool shares_buffer_with(const bytes& x) const noexcept { return n_ == x.n_; }

  friend bool operator==(const bytes& x, const bytes& y) noexcept {
    return x.n_ == y.n_ || x.view() == y.view();
  }
  friend bool operator==(const bytes& x, std::string_view y) noexcept { return x.view() == y; }
  friend bool operator==(const bytes& x, const std::string& y) noexcept { return x.view() == y; }
  friend bool operator==(const bytes& x, const char* y) noexcept { return x.view() == y; }
  friend std::strong_ordering operator<=>(const bytes& x, const bytes& y) noexcept {
    return x.view() <=> y.view();
  }

private:
  static bytes uninitialized(std::uint64_t n);
  friend struct detail::bytes_access; // src/tree/value.hpp: the tree adopts and hands out nodes
  detail::value_node* n_ = nullptr;
};

/// The bytes themselves (for fmt): a view valid while `b` lives.
inline std::string_view to_string(const bytes& b) noexcept { return b.view(); }

} // namespace kvmem

template <>
struct fmt::formatter<kvmem::bytes> : kvmem::detail::to_string_formatter<kvmem::bytes> {};
