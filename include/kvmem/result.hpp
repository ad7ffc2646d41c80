// kvmem::result<T> — a value or a kvmem::error (an expected-like type).
//
// C++20 has no std::expected, and caf::expected lacks a default-constructed
// void form, value_or and has_value; this small type is what every public
// kvmem operation returns. Accessing value() of an error throws
// bad_result_access (a programming error, not an operational one).
#pragma once

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "kvmem/error.hpp"

namespace kvmem {

/// Thrown by result<T>::value() when the result holds an error.
class bad_result_access : public std::logic_error {
public:
  explicit bad_result_access(const kvmem::error& e)
    : std::logic_error("kvmem::result holds an error: " + e.message()) {}
};

template <class T>
class [[nodiscard]] result {
public:
  using value_type = T;

  template <class U = T>
    requires std::is_constructible_v<T, U&&> && (!std::is_same_v<std::remove_cvref_t<U>, result>)
             && (!std::is_same_v<std::remove_cvref_t<U>, kvmem::error>)
  result(U&& v) : v_(std::in_place_index<0>, std::forward<U>(v)) {}
  result(kvmem::error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  // Rvalue access returns by value so that `for (auto& x : *f())` does not
  // dangle when f() returns a temporary result.
  T value() && { check(); return std::get<0>(std::move(v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; precondition: !has_value().
  const kvmem::error& error() const& { return std::get<1>(v_); }
  kvmem::error error() && { return std::get<1>(std::move(v_)); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

  friend bool operator==(const result&, const result&) = default;

private:
  void check() const {
    if (!has_value())
      throw bad_result_access(std::get<1>(v_));
  }
  std::variant<T, kvmem::error> v_;
};

template <>
class [[nodiscard]] result<void> {
public:
  using value_type = void;
  result() = default;
  result(kvmem::error e) : e_(std::move(e)) {}

  bool has_value() const noexcept { return !e_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (e_)
      throw bad_result_access(*e_);
  }
  const kvmem::error& error() const& { return *e_; }
  kvmem::error error() && { return std::move(*e_); }

  friend bool operator==(const result&, const result&) = default;

private:
  std::optional<kvmem::error> e_;
};

} // namespace kvmem
