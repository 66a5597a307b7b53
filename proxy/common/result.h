// Result<T>: a value or an error, without exceptions (the data path never throws).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace courier {

// An error with a human-readable message; `code` is free for the caller's enum.
struct ErrorInfo {
  int code = 0;
  std::string message;
};

template <typename T, typename E = ErrorInfo>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  static Result failure(E error) { return Result(std::in_place_index<1>, std::move(error)); }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const {
    assert(ok());
    return std::get<0>(v_);
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  template <std::size_t I, typename U>
  Result(std::in_place_index_t<I> i, U&& u) : v_(i, std::forward<U>(u)) {}
  std::variant<T, E> v_;
};

}  // namespace courier
