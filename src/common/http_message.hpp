#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hf::http {

// An HTTP request as handlers see it: no sockets, no Beast types.
struct Request {
  std::string method;  // "GET"
  std::string target;  // raw target, e.g. "/a/b?x=1"
  std::string path;    // decoded path without the query, trailing '/' removed (except "/")
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // lower-case names
  std::string body;
  std::string remote;

  // The first value of a query parameter, if present.
  std::optional<std::string> Query(std::string_view name) const;
  // Every value of a (repeatable) query parameter.
  std::vector<std::string> QueryAll(std::string_view name) const;
  // A header by lower-case name, or "".
  std::string Header(std::string_view lower_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Splits "path?query" and percent-decodes both; false if the encoding is broken.
bool ParseTarget(std::string_view target, std::string& path,
                 std::vector<std::pair<std::string, std::string>>& query);
// Percent-encodes a query value or path segment.
std::string UrlEncode(std::string_view text);

}  // namespace hf::http
