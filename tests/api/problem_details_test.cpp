// The one map from Error to HTTP status and RFC 9457 problem+json, and the server's own problems
// (unknown endpoint, wrong method, body too large).
#include "api/problem_details.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time.hpp"

namespace hf::api {
namespace {

using nlohmann::json;

// The body of `res`, after checking it is problem+json whose `status` matches the HTTP status.
json ProblemBody(const http::Response& res) {
  EXPECT_EQ(res.content_type, "application/problem+json");
  json body = json::parse(res.body, nullptr, false);
  EXPECT_TRUE(body.is_object()) << res.body;
  if (!body.is_object()) return json::object();
  EXPECT_EQ(body.value("status", 0), res.status);
  EXPECT_TRUE(ParseTime(body.value("timestamp", ""))) << res.body;
  return body;
}

TEST(Problem, MapsEveryErrorCodeToOneStatusAndCode) {
  struct Case {
    ErrorCode code;
    int status;
    std::string problem_code, type, title;
  };
  const std::vector<Case> cases = {
      {ErrorCode::kInvalidArgument, 400, "HYPERFLEET-VAL-000", "validation-error",
       "Validation Failed"},
      {ErrorCode::kBadRequest, 400, "HYPERFLEET-VAL-005", "bad-request", "Bad Request"},
      {ErrorCode::kMalformed, 400, "HYPERFLEET-VAL-006", "malformed-request", "Malformed Request"},
      {ErrorCode::kNotFound, 404, "HYPERFLEET-NTF-001", "not-found", "Resource Not Found"},
      {ErrorCode::kAlreadyExists, 409, "HYPERFLEET-CNF-001", "conflict", "Resource Conflict"},
      {ErrorCode::kConflict, 409, "HYPERFLEET-CNF-003", "conflict", "State Conflict"},
      {ErrorCode::kUnprocessable, 422, "HYPERFLEET-VAL-000", "validation-error",
       "Validation Failed"},
      {ErrorCode::kUnavailable, 503, "HYPERFLEET-SVC-001", "service-unavailable",
       "Service Unavailable"},
      {ErrorCode::kDeadlineExceeded, 504, "HYPERFLEET-SVC-002", "service-unavailable",
       "Service Timeout"},
      {ErrorCode::kInternal, 500, "HYPERFLEET-INT-001", "internal-error", "Internal Server Error"},
  };
  for (const auto& c : cases) {
    auto res = Problem(Error{c.code, "what happened", "", {}}, "/api/x", "req-9");
    EXPECT_EQ(res.status, c.status) << c.problem_code;
    json body = ProblemBody(res);
    EXPECT_EQ(body["code"], c.problem_code);
    EXPECT_EQ(body["type"], "https://api.hyperfleet.io/errors/" + c.type);
    EXPECT_EQ(body["title"], c.title);
    EXPECT_EQ(body["instance"], "/api/x");
    EXPECT_EQ(body["trace_id"], "req-9");
    EXPECT_FALSE(body.contains("errors"));
  }
}

TEST(Problem, DetailIsTheMessageAndNeverTheLogDetail) {
  json body = ProblemBody(Problem(
      Error{ErrorCode::kNotFound, "Cluster with id='x' not found", "SELECT … secret", {}}, "", ""));
  EXPECT_EQ(body["detail"], "Cluster with id='x' not found");
  EXPECT_EQ(body.dump().find("secret"), std::string::npos);
  // Empty instance and trace id are left out rather than sent empty.
  EXPECT_FALSE(body.contains("instance"));
  EXPECT_FALSE(body.contains("trace_id"));
}

TEST(Problem, DependencyFailuresAndBareInternalErrorsGetAFixedDetail) {
  json unavailable = ProblemBody(Problem(
      Error{ErrorCode::kUnavailable, "connection to 10.0.0.5:5432 refused", "", {}}, "", ""));
  EXPECT_EQ(unavailable["detail"], "Database connection unavailable");
  json internal = ProblemBody(Problem(Error{ErrorCode::kInternal, "", "", {}}, "", ""));
  EXPECT_EQ(internal["detail"], "internal error");
}

TEST(Problem, ViolationsBecomeErrors) {
  Error e{ErrorCode::kInvalidArgument, "Invalid query parameters", "", {}};
  e.violations.push_back({"page", "0", "min", "page must be at least 1"});
  e.violations.push_back({"labels", "", "", "bad"});
  json body = ProblemBody(Problem(e, "/clusters", ""));
  ASSERT_TRUE(body["errors"].is_array());
  ASSERT_EQ(body["errors"].size(), 2u);
  EXPECT_EQ(body["errors"][0], (json{{"field", "page"},
                                     {"value", "0"},
                                     {"constraint", "min"},
                                     {"message", "page must be at least 1"}}));
  // Empty value and constraint are left out.
  EXPECT_EQ(body["errors"][1], (json{{"field", "labels"}, {"message", "bad"}}));
}

TEST(Problem, InvalidUtf8InAMessageStillRendersJson) {
  json body = ProblemBody(
      Problem(Error{ErrorCode::kNotFound, "Cluster with id='\xff\xfe' not found", "", {}}, "", ""));
  EXPECT_TRUE(body["detail"].is_string());
}

TEST(ServerProblems, EndpointNotFound) {
  auto res = EndpointNotFound("/api/nope", "req-1");
  EXPECT_EQ(res.status, 404);
  json body = ProblemBody(res);
  EXPECT_EQ(body["code"], "HYPERFLEET-NTF-000");
  EXPECT_EQ(body["title"], "Endpoint Not Found");
  EXPECT_EQ(body["detail"], "The requested endpoint '/api/nope' does not exist");
  EXPECT_EQ(body["instance"], "/api/nope");
}

TEST(ServerProblems, MethodNotAllowedNamesTheAllowedMethods) {
  auto res = MethodNotAllowed("PUT", "/api/clusters", "GET, POST", "req-2");
  EXPECT_EQ(res.status, 405);
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0], (std::pair<std::string, std::string>{"Allow", "GET, POST"}));
  json body = ProblemBody(res);
  EXPECT_EQ(body["code"], "HYPERFLEET-VAL-005");
  EXPECT_EQ(body["detail"], "method PUT is not allowed on /api/clusters (allowed: GET, POST)");
}

TEST(ServerProblems, PayloadTooLargeNamesTheLimit) {
  auto res = PayloadTooLarge("/api/clusters", 1048576);
  EXPECT_EQ(res.status, 413);
  json body = ProblemBody(res);
  EXPECT_EQ(body["type"], "https://api.hyperfleet.io/errors/payload-too-large");
  EXPECT_EQ(body["title"], "Payload Too Large");
  EXPECT_EQ(body["detail"], "request body exceeds the limit of 1048576 bytes");
  EXPECT_EQ(body["instance"], "/api/clusters");
}

}  // namespace
}  // namespace hf::api
