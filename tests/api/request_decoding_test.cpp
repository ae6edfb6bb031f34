// The HTTP decoding rules of the API, called directly: bodies (empty, malformed, too deep, wrong
// types), create/patch/status/force-delete fields, paging bounds and the list query parameters
// that are validated but ignored.
#include "api/request_decoding.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/json_depth.hpp"

namespace hf::api {
namespace {

using nlohmann::json;

const service::Kinds kKinds({"validation"}, {"np-agent"});
const service::KindDescriptor& kCluster = *kKinds.ByKind("Cluster");

// A request for `target`, decoded as the server does.
http::Request Get(const std::string& target) {
  http::Request req;
  req.method = "GET";
  req.target = target;
  EXPECT_TRUE(http::ParseTarget(target, req.path, req.query)) << target;
  return req;
}

// A POST with `body` declared as `content_type`.
http::Request Body(std::string body, std::string content_type = "application/json") {
  http::Request req;
  req.method = "POST";
  req.body = std::move(body);
  if (!content_type.empty()) req.headers["content-type"] = std::move(content_type);
  return req;
}

// Expects `r` to have failed with `code` and exactly `message`.
template <typename T>
void ExpectError(const Result<T>& r, ErrorCode code, const std::string& message) {
  ASSERT_FALSE(r) << "expected: " << message;
  EXPECT_EQ(r.error().code, code) << r.error().ToString();
  EXPECT_EQ(r.error().message, message);
}

// --- bodies ---

TEST(DecodeObjectBody, EmptyOrBlankBodyIsRequired) {
  for (const char* body : {"", "   ", "\r\n\t "}) {
    ExpectError(DecodeObjectBody(Body(body)), ErrorCode::kMalformed,
                "Request body is required but was empty");
  }
}

TEST(DecodeObjectBody, MalformedJsonIsRejected) {
  for (const char* body :
       {"{", "{\"a\":}", "not json", "{\"a\":1}}", "{'a':1}", "{\"a\":\"\xff\"}"}) {
    auto r = DecodeObjectBody(Body(body));
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
    EXPECT_TRUE(r.error().message.starts_with("Invalid JSON in request body: "))
        << r.error().message;
  }
}

TEST(DecodeObjectBody, StrictJsonRulesNameTheField) {
  for (const char* body : {R"({"spec":{"a":1,"a":2}})", R"({"spec":{"a":"\u0000"}})",
                           R"({"spec":{"a":9223372036854775808}})"}) {
    auto r = DecodeObjectBody(Body(body));
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << body;
    ASSERT_EQ(r.error().violations.size(), 1u);
    EXPECT_EQ(r.error().violations[0].field, "spec.a");
  }
}

TEST(DecodeObjectBody, BodiesMustBeDeclaredJson) {
  for (const char* type : {"application/json", "Application/JSON; charset=utf-8",
                           " application/json ;charset=UTF-8", "application/merge-patch+json"}) {
    EXPECT_TRUE(DecodeObjectBody(Body("{}", type))) << type;
  }
  for (const char* type : {"", "text/plain", "application/x-www-form-urlencoded",
                           "application/jsonx", "application/json-seq"}) {
    auto r = DecodeObjectBody(Body("{}", type));
    ASSERT_FALSE(r) << type;
    EXPECT_EQ(r.error().code, ErrorCode::kUnsupportedMediaType) << type;
  }
  // An empty body is still "required" whatever its type.
  ExpectError(DecodeObjectBody(Body("", "")), ErrorCode::kMalformed,
              "Request body is required but was empty");
}

TEST(DecodeObjectBody, OnlyAnObjectIsABody) {
  const std::vector<std::pair<std::string, std::string>> cases = {{"[]", "an array"},
                                                                  {"\"x\"", "a string"},
                                                                  {"42", "a number"},
                                                                  {"true", "a boolean"},
                                                                  {"null", "null"}};
  for (const auto& [body, type] : cases) {
    ExpectError(DecodeObjectBody(Body(body)), ErrorCode::kMalformed,
                "Invalid request format: body must be a JSON object, not " + type);
  }
  EXPECT_EQ(*DecodeObjectBody(Body(R"( {"a": [1, {"b": null}]} )")),
            (json{{"a", {1, {{"b", nullptr}}}}}));
}

TEST(DecodeObjectBody, NestingIsBoundedBeforeParsing) {
  // The object itself is one level: 99 arrays inside it reach the limit exactly.
  const int inner = kMaxJsonDepth - 1;
  const std::string at_limit = "{\"a\":" + std::string(inner, '[') + std::string(inner, ']') + "}";
  EXPECT_TRUE(DecodeObjectBody(Body(at_limit)));
  const std::string too_deep =
      "{\"a\":" + std::string(inner + 1, '[') + std::string(inner + 1, ']') + "}";
  ExpectError(DecodeObjectBody(Body(too_deep)), ErrorCode::kMalformed,
              "Request body nests deeper than 100 levels");
  // Far deeper and unterminated: still the depth error, never a parser crash.
  ExpectError(DecodeObjectBody(Body("{\"a\":" + std::string(100000, '['))), ErrorCode::kMalformed,
              "Request body nests deeper than 100 levels");
}

// --- headers ---

TEST(ValidTraceparent, KeepsW3CValidVersion00) {
  const std::string ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_EQ(ValidTraceparent(ok), ok);
}

TEST(ValidTraceparent, DropsAnythingElse) {
  const std::string ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  for (const std::string& bad : std::vector<std::string>{
           "", "\xff", ok + "-", ok + std::string(65000, 'a'), ok.substr(0, 54),
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // forbidden version
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\xff"}) {
    EXPECT_EQ(ValidTraceparent(bad), "") << bad.substr(0, 80);
  }
}

TEST(ValidTraceparent, ReadsLaterVersionsAsVersion00) {
  const std::string ids = "-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_EQ(ValidTraceparent("01" + ids), "00" + ids);
  EXPECT_EQ(ValidTraceparent("cc" + ids + "-what-the-future-holds"), "00" + ids);
  EXPECT_EQ(ValidTraceparent("cc" + ids + "x"), "");
}

TEST(ValidateIdentityHeader, RefusesInvalidUtf8AndControlCharacters) {
  EXPECT_TRUE(ValidateIdentityHeader(""));
  EXPECT_TRUE(ValidateIdentityHeader("alice@example.com"));
  EXPECT_TRUE(ValidateIdentityHeader("Zoë Ünal"));
  for (std::string_view bad : {"\xff", "a\xc3", "tab\there", "nul\x01", "del\x7f"}) {
    auto r = ValidateIdentityHeader(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().violations.at(0).field, "X-HyperFleet-Identity");
  }
}

// --- create ---

TEST(DecodeCreate, ChecksFieldsInTheReferenceOrder) {
  struct Case {
    json body;
    std::string message;
  };
  const std::vector<Case> cases = {
      // spec's type is checked before anything else.
      {{{"spec", "x"}}, "spec field must be an object"},
      {{{"name", "alpha"}, {"spec", json::object()}}, "kind is required"},
      {{{"kind", nullptr}, {"spec", json::object()}}, "kind is required"},
      {{{"kind", 7}, {"spec", json::object()}}, "field 'kind' must be a string, not a number"},
      {{{"kind", "NodePool"}, {"spec", json::object()}}, "kind must be 'Cluster'"},
      {{{"kind", "Cluster"}, {"spec", json::object()}}, "name is required"},
      {{{"kind", "Cluster"}, {"name", true}}, "field 'name' must be a string, not a boolean"},
      {{{"kind", "Cluster"}, {"name", "ab"}}, "name must be at least 3 characters"},
      {{{"kind", "Cluster"}, {"name", "alpha"}}, "spec is required"},
      {{{"kind", "Cluster"},
        {"name", "alpha"},
        {"spec", json::object()},
        {"labels", json::array()}},
       "field 'labels' must be an object"},
      {{{"kind", "Cluster"},
        {"name", "alpha"},
        {"spec", json::object()},
        {"labels", {{"team", 1}}}},
       "field 'labels.team' must be a string, not a number"},
  };
  for (const auto& c : cases) {
    ExpectError(DecodeCreate(c.body, kCluster), ErrorCode::kInvalidArgument, c.message);
  }
}

TEST(DecodeCreate, DecodesAValidBodyAndIgnoresUnknownFields) {
  const json body = {{"kind", "Cluster"},
                     {"name", "alpha"},
                     {"spec", {{"region", "eu"}}},
                     {"labels", {{"team", "red"}}},
                     {"status", {{"ignored", true}}}};
  auto in = DecodeCreate(body, kCluster);
  ASSERT_TRUE(in) << in.error().ToString();
  EXPECT_EQ(in->name, "alpha");
  EXPECT_EQ(in->spec, (json{{"region", "eu"}}));
  EXPECT_EQ(in->labels, (std::map<std::string, std::string>{{"team", "red"}}));

  auto null_labels = DecodeCreate(
      {{"kind", "Cluster"}, {"name", "alpha"}, {"spec", json::object()}, {"labels", nullptr}},
      kCluster);
  ASSERT_TRUE(null_labels) << null_labels.error().ToString();
  EXPECT_TRUE(null_labels->labels.empty());
}

// --- patch ---

TEST(DecodePatch, OnlySpecAndLabelsMayBePatched) {
  ExpectError(DecodePatch({{"spec", json::object()}, {"name", "new"}}), ErrorCode::kMalformed,
              "Invalid request format: unknown field \"name\" (only spec and labels can be "
              "patched)");
  ExpectError(DecodePatch(json::object()), ErrorCode::kBadRequest,
              "at least one field must be provided for update");
  ExpectError(DecodePatch({{"spec", json::array()}}), ErrorCode::kInvalidArgument,
              "spec field must be an object");
  ExpectError(DecodePatch({{"labels", "x"}}), ErrorCode::kInvalidArgument,
              "field 'labels' must be an object");
}

TEST(DecodePatch, AbsentFieldsStayAbsent) {
  auto spec = DecodePatch({{"spec", {{"a", 1}}}});
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->spec, (json{{"a", 1}}));
  EXPECT_FALSE(spec->labels);
  auto labels = DecodePatch({{"labels", json::object()}});
  ASSERT_TRUE(labels);
  EXPECT_FALSE(labels->spec);
  ASSERT_TRUE(labels->labels);  // present and empty: clears the labels
  EXPECT_TRUE(labels->labels->empty());
}

// --- status reports ---

json ValidReport() {
  return {{"adapter", "dns"},
          {"observed_generation", 3},
          {"observed_time", "2026-01-02T03:04:05Z"},
          {"conditions",
           {{{"type", "Available"}, {"status", "True"}, {"reason", "Ok"}, {"message", "fine"}}}},
          {"metadata", {{"job", "j-1"}}},
          {"data", {{"ip", "10.0.0.1"}}}};
}

TEST(DecodeStatusReport, DecodesEveryField) {
  auto r = DecodeStatusReport(ValidReport());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->adapter, "dns");
  EXPECT_EQ(r->observed_generation, 3);
  ASSERT_TRUE(r->observed_time);
  EXPECT_EQ(FormatTime(*r->observed_time), "2026-01-02T03:04:05.000000Z");
  ASSERT_EQ(r->conditions.size(), 1u);
  EXPECT_EQ(r->conditions[0].type, "Available");
  EXPECT_EQ(r->conditions[0].status, "True");
  EXPECT_EQ(r->conditions[0].reason, "Ok");
  EXPECT_EQ(r->conditions[0].message, "fine");
  EXPECT_EQ(r->metadata, (json{{"job", "j-1"}}));
  EXPECT_EQ(r->data, (json{{"ip", "10.0.0.1"}}));

  json minimal = ValidReport();
  minimal.erase("observed_time");
  minimal.erase("metadata");
  minimal["data"] = nullptr;
  auto m = DecodeStatusReport(minimal);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->observed_time);
  EXPECT_FALSE(m->metadata);
  EXPECT_FALSE(m->data);
}

TEST(DecodeStatusReport, RejectsMissingAndMistypedFields) {
  struct Case {
    std::function<void(json&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](json& j) { j.erase("adapter"); }, "adapter is required"},
      {[](json& j) { j["adapter"] = 1; }, "field 'adapter' must be a string, not a number"},
      {[](json& j) { j.erase("observed_generation"); }, "observed_generation is required"},
      {[](json& j) { j["observed_generation"] = nullptr; }, "observed_generation is required"},
      {[](json& j) { j["observed_generation"] = "3"; },
       "field 'observed_generation' must be an integer"},
      {[](json& j) { j["observed_generation"] = 1.5; },
       "field 'observed_generation' must be an integer"},
      {[](json& j) { j["observed_generation"] = int64_t{INT32_MAX} + 1; },
       "observed_generation is out of range"},
      {[](json& j) { j["observed_time"] = "yesterday"; },
       "observed_time must be an RFC 3339 timestamp, got 'yesterday'"},
      {[](json& j) { j.erase("conditions"); }, "conditions is required"},
      {[](json& j) { j["conditions"] = json::object(); }, "field 'conditions' must be an array"},
      {[](json& j) { j["conditions"].push_back("Available"); },
       "condition at index 1 must be an object"},
      {[](json& j) { j["conditions"][0]["status"] = true; },
       "field 'status' must be a string, not a boolean"},
      {[](json& j) { j["metadata"] = json::array(); }, "field 'metadata' must be an object"},
      {[](json& j) { j["data"] = "x"; }, "field 'data' must be an object"},
  };
  for (const auto& c : cases) {
    json body = ValidReport();
    c.change(body);
    ExpectError(DecodeStatusReport(body), ErrorCode::kInvalidArgument, c.message);
  }
  json max = ValidReport();
  max["observed_generation"] = INT32_MAX;
  EXPECT_TRUE(DecodeStatusReport(max));
}

// --- force delete ---

TEST(DecodeForceDeleteReason, ReasonIsRequiredAndBoundedInCharacters) {
  ExpectError(DecodeForceDeleteReason(json::object()), ErrorCode::kInvalidArgument,
              "reason is required");
  ExpectError(DecodeForceDeleteReason({{"reason", ""}}), ErrorCode::kInvalidArgument,
              "reason is required");
  ExpectError(DecodeForceDeleteReason({{"reason", 5}}), ErrorCode::kInvalidArgument,
              "field 'reason' must be a string, not a number");
  // Characters, not bytes: 1024 two-byte characters are fine, 1025 are not.
  std::string accents;
  for (int i = 0; i < 1024; ++i) accents += "é";
  EXPECT_EQ(*DecodeForceDeleteReason({{"reason", accents}}), accents);
  ExpectError(DecodeForceDeleteReason({{"reason", accents + "x"}}), ErrorCode::kInvalidArgument,
              "reason must be at most 1024 characters");
}

// --- paging ---

TEST(DecodePaging, DefaultsToTheFirstPageOfTwenty) {
  auto p = DecodePaging(Get("/clusters"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->page, 1);
  EXPECT_EQ(p->size, 20);
}

TEST(DecodePaging, AcceptsTheBounds) {
  auto low = DecodePaging(Get("/clusters?page=1&size=1"));
  ASSERT_TRUE(low);
  EXPECT_EQ(low->page, 1);
  EXPECT_EQ(low->size, 1);
  auto high = DecodePaging(Get("/clusters?page=100000&size=100"));
  ASSERT_TRUE(high);
  EXPECT_EQ(high->page, 100000);
  EXPECT_EQ(high->size, 100);
  // A repeated parameter: the first one counts.
  EXPECT_EQ(DecodePaging(Get("/clusters?page=3&page=4"))->page, 3);
}

TEST(DecodePaging, OutOfBoundsOrNonNumericValuesAreOneViolationEach) {
  struct Case {
    std::string query;
    std::string field, value, constraint, message;
  };
  const std::vector<Case> cases = {
      {"page=0", "page", "0", "min", "page must be at least 1"},
      {"page=-3", "page", "-3", "min", "page must be at least 1"},
      {"page=100001", "page", "100001", "max", "page must be at most 100000"},
      {"size=0", "size", "0", "min", "size must be at least 1"},
      {"size=101", "size", "101", "max", "size must be at most 100"},
      {"page=two", "page", "two", "format", "must be a valid integer"},
      {"size=10x", "size", "10x", "format", "must be a valid integer"},
      {"size=", "size", "", "format", "must be a valid integer"},
      {"page=%201", "page", " 1", "format", "must be a valid integer"},
      {"page=99999999999999999999", "page", "99999999999999999999", "format",
       "must be a valid integer"},
  };
  for (const auto& c : cases) {
    auto p = DecodePaging(Get("/clusters?" + c.query));
    ExpectError(p, ErrorCode::kInvalidArgument, "Invalid query parameters");
    if (p) continue;
    ASSERT_EQ(p.error().violations.size(), 1u) << c.query;
    const auto& v = p.error().violations[0];
    EXPECT_EQ(v.field, c.field) << c.query;
    EXPECT_EQ(v.value, c.value) << c.query;
    EXPECT_EQ(v.constraint, c.constraint) << c.query;
    EXPECT_EQ(v.message, c.message) << c.query;
  }
}

// --- search and order on lists that only page ---

TEST(ValidateIgnoredListQuery, ValidSearchAndOrderPass) {
  EXPECT_TRUE(ValidateIgnoredListQuery(Get("/x")));
  EXPECT_TRUE(ValidateIgnoredListQuery(Get("/x?search=&order=")));
  EXPECT_TRUE(ValidateIgnoredListQuery(
      Get("/x?search=name%3D%27alpha%27%20and%20labels.team%3D%27red%27&order=name%20desc,"
          "created_time&order=generation")));
}

TEST(ValidateIgnoredListQuery, BadSearchOrOrderIsABadRequest) {
  auto search = ValidateIgnoredListQuery(Get("/x?search=name%3D"));
  ASSERT_FALSE(search);
  EXPECT_EQ(search.error().code, ErrorCode::kBadRequest);
  EXPECT_TRUE(search.error().message.starts_with("failed to parse search query"))
      << search.error().message;

  ExpectError(ValidateIgnoredListQuery(Get("/x?search=" + std::string(4097, 'a'))),
              ErrorCode::kBadRequest, "search query exceeds maximum length of 4096 characters");
  ExpectError(ValidateIgnoredListQuery(Get("/x?order=name%20sideways")), ErrorCode::kBadRequest,
              "invalid order format 'name sideways': expected 'field' or 'field asc|desc'");
  ExpectError(ValidateIgnoredListQuery(Get("/x?order=password")), ErrorCode::kBadRequest,
              "invalid field in search or order query");
  // A good search does not excuse a bad order.
  ExpectError(ValidateIgnoredListQuery(Get("/x?search=name%3D%27a%27&order=name,%20bogus")),
              ErrorCode::kBadRequest, "invalid field in search or order query");
}

}  // namespace
}  // namespace hf::api
