#pragma once

#include <expected>
#include <string>
#include <utility>

#include "common/error.hpp"

namespace hf {

// Errors inside the process are values: every fallible operation returns Result<T>.
template <typename T>
using Result = std::expected<T, Error>;

// Builds the error side of a Result: `return Fail(ErrorCode::kNotFound, "cluster not found");`
inline std::unexpected<Error> Fail(ErrorCode code, std::string message, std::string detail = {}) {
  return std::unexpected<Error>(Error{code, std::move(message), std::move(detail), {}});
}
inline std::unexpected<Error> Fail(Error error) { return std::unexpected<Error>(std::move(error)); }

inline Result<void> Ok() { return {}; }

}  // namespace hf

// Propagates the error of a Result-returning expression; yields its value otherwise.
// Usage: `auto row = HF_TRY(tx.Get(id));` (a GCC/Clang statement expression).
#define HF_TRY(expr)                                                                \
  ({                                                                                \
    auto hf_try_result_ = (expr);                                                   \
    if (!hf_try_result_) return std::unexpected(std::move(hf_try_result_).error()); \
    std::move(hf_try_result_).value();                                              \
  })

// Same for Result<void>.
#define HF_CHECK(expr)                                                                  \
  do {                                                                                  \
    auto hf_check_result_ = (expr);                                                     \
    if (!hf_check_result_) return std::unexpected(std::move(hf_check_result_).error()); \
  } while (false)
