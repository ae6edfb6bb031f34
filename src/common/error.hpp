#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hf {

// What went wrong, in terms a caller can act on. The API maps each code to one HTTP status
// and problem type (src/api/problem_details.cpp); nothing else decides that mapping.
enum class ErrorCode {
  kInvalidArgument,  // a field failed validation (400, HYPERFLEET-VAL-000)
  kBadRequest,  // the request as a whole is unusable: bad search/order, empty patch (400, VAL-005)
  kMalformed,   // the body is not the JSON we expect (400, VAL-006)
  kNotFound,    // 404, NTF-001
  kAlreadyExists,  // unique constraint (409, CNF-001)
  kConflict,       // state conflict: deleted, not finalizing, lock/serialization (409, CNF-003)
  kUnprocessable,  // understood but refused, e.g. child kind on a flat route (422)
  kUnsupportedMediaType,  // a body that is not declared as JSON (415, VAL-006)
  kUnauthenticated,       // no valid credentials (401, AUT-001/002/003)
  kPermissionDenied,      // the caller's role may not do this (403, AUZ-001)
  kUnavailable,           // a dependency is down; retry later (503, SVC-001)
  kDeadlineExceeded,      // a dependency did not answer in time (504, SVC-002)
  kInternal,              // a bug or an unexpected failure (500, INT-001)
};

std::string_view ToString(ErrorCode code);

// One failed check on one field, for problem+json `errors[]`.
struct FieldViolation {
  std::string field;
  std::string value;       // the offending value as shown to the client; may be empty
  std::string constraint;  // required|min|max|min_length|max_length|pattern|enum|format|unique
  std::string message;
};

// An error value. `message` is safe to show a client; `detail` is for logs only.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string detail;
  std::vector<FieldViolation> violations;

  // True for errors worth retrying unchanged (dependency down, timeout, lock conflict).
  [[nodiscard]] bool Transient() const {
    return code == ErrorCode::kUnavailable || code == ErrorCode::kDeadlineExceeded;
  }
  // "NotFound: cluster 'x' not found (detail)" for logs.
  [[nodiscard]] std::string ToString() const;
};

}  // namespace hf
