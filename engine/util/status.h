// Errors are values. An Error carries an errno-style code (so it maps straight onto a
// FUSE reply or an exit status) and a message that names what failed and where: the
// pool, the vdev, the object, the offset. Context is added as the error climbs up the
// layers, innermost first, so the user reads one line that tells the whole story:
//   "pool tank: dataset tank/home: object 34: read blkptr DVA[0]=<0:1a000:200>: checksum mismatch"
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>
#include <fmt/format.h>

namespace fzfs {

// Codes beyond errno for conditions ZFS distinguishes.
inline constexpr int kECKSUM = EBADE;  // data does not match its checksum (as ZFS on Linux)

class Error {
 public:
  Error(int code, std::string message) : code_(code), message_(std::move(message)) {}

  int code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefix context: err.context("vdev {}", path) -> "vdev /x: <message>".
  template <typename... Args>
  Error&& context(fmt::format_string<Args...> f, Args&&... args) && {
    message_ = fmt::format(f, std::forward<Args>(args)...) + ": " + message_;
    return std::move(*this);
  }
  template <typename... Args>
  Error& context(fmt::format_string<Args...> f, Args&&... args) & {
    message_ = fmt::format(f, std::forward<Args>(args)...) + ": " + message_;
    return *this;
  }

 private:
  int code_;
  std::string message_;
};

template <typename... Args>
Error make_error(int code, fmt::format_string<Args...> f, Args&&... args) {
  return Error(code, fmt::format(f, std::forward<Args>(args)...));
}

// Result<T>: a T or an Error. Result<void> is spelled Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error err) : v_(std::move(err)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Error& error() & { return std::get<1>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error err) : err_(std::move(err)), failed_(true) {}
  static Status Ok() { return Status(); }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  Error& error() & { return err_; }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_{0, ""};
  bool failed_ = false;
};

}  // namespace fzfs

#define FZ_CONCAT_INNER_(a, b) a##b
#define FZ_CONCAT_(a, b) FZ_CONCAT_INNER_(a, b)

// FZ_TRY(auto x, expr): evaluate a Result; on error return it, else bind the value.
#define FZ_TRY(lhs, expr) FZ_TRY_IMPL_(FZ_CONCAT_(fz_r_, __LINE__), lhs, expr)
#define FZ_TRY_IMPL_(tmp, lhs, expr)                 \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).error();      \
  lhs = std::move(tmp).value()

// FZ_CHECK(expr): evaluate a Status (or Result); on error return it.
#define FZ_CHECK(expr)                                             \
  do {                                                             \
    auto fz_s_ = (expr);                                           \
    if (!fz_s_.ok()) return std::move(fz_s_).error();              \
  } while (0)
