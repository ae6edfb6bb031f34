// problem+json (and other error bodies) as one line.
#include "client/api_error.hpp"

#include <gtest/gtest.h>

namespace hf::client {
namespace {

TEST(FormatProblem, TitleDetailAndCode) {
  EXPECT_EQ(FormatProblem(409, R"({"type":"https://api.hyperfleet.io/errors/conflict",
      "title":"Resource Conflict","status":409,"detail":"This Cluster already exists",
      "code":"HYPERFLEET-CNF-001","trace_id":"x"})"),
            "409 Resource Conflict: This Cluster already exists (HYPERFLEET-CNF-001)");
}

TEST(FormatProblem, FieldErrorsAreAppendedOnTheSameLine) {
  EXPECT_EQ(FormatProblem(400, R"({"title":"Validation Failed","detail":"Invalid query parameters",
      "code":"HYPERFLEET-VAL-000","errors":[{"field":"page","message":"page must be at least 1"},
      {"field":"labels.x","message":"bad\nvalue"},{"field":"size"}]})"),
            "400 Validation Failed: Invalid query parameters (HYPERFLEET-VAL-000): page must be "
            "at least 1; labels.x: bad value; size");
}

TEST(FormatProblem, NonProblemBodies) {
  EXPECT_EQ(FormatProblem(502, ""), "502 Bad Gateway");
  EXPECT_EQ(FormatProblem(503, "upstream\nconnect error\n"),
            "503 Service Unavailable: upstream connect error");
  EXPECT_EQ(FormatProblem(404, R"({"items":[]})"), "404 Not Found: {\"items\":[]}");
  EXPECT_EQ(FormatProblem(418, "x"), "418 HTTP error: x");
}

TEST(FormatProblem, MissingTitleOrDetail) {
  EXPECT_EQ(FormatProblem(404, R"({"detail":"cluster 'x' not found"})"),
            "404 Not Found: cluster 'x' not found");
  EXPECT_EQ(
      FormatProblem(500, R"({"title":"Internal Server Error","detail":"Internal Server Error"})"),
      "500 Internal Server Error");
}

}  // namespace
}  // namespace hf::client
