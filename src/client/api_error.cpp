#include "client/api_error.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace hf::client {
namespace {

std::string ReasonPhrase(long status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "HTTP error";
  }
}

std::string Text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

std::string FormatProblem(long status, std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string line = std::to_string(status) + " ";
  if (!j.is_object() || (!j.contains("title") && !j.contains("detail"))) {
    line += ReasonPhrase(status);
    std::string text(body.substr(0, 200));
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (!text.empty()) line += ": " + text;
    return OneLine(std::move(line));
  }
  std::string title = Text(j, "title");
  std::string detail = Text(j, "detail");
  std::string code = Text(j, "code");
  line += title.empty() ? ReasonPhrase(status) : title;
  if (!detail.empty() && detail != title) line += ": " + detail;
  if (!code.empty()) line += " (" + code + ")";
  if (auto errors = j.find("errors"); errors != j.end() && errors->is_array()) {
    std::string list;
    for (const auto& e : *errors) {
      if (!e.is_object()) continue;
      std::string field = Text(e, "field");
      std::string message = Text(e, "message");
      std::string item = field;
      if (!message.empty()) {
        item = message.starts_with(field) ? message : field + ": " + message;
      }
      if (item.empty()) continue;
      list += (list.empty() ? "" : "; ") + item;
    }
    if (!list.empty()) line += ": " + list;
  }
  return OneLine(std::move(line));
}

Error ErrorFromResponse(const HttpResponse& response, std::string_view what) {
  Error e{ErrorCodeForStatus(response.status),
          FormatProblem(response.status, response.body),
          std::string(what),
          {}};
  const nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  if (!j.is_object()) return e;
  if (e.code == ErrorCode::kConflict && Text(j, "code") == "HYPERFLEET-CNF-001") {
    e.code = ErrorCode::kAlreadyExists;
  }
  if (auto errors = j.find("errors"); errors != j.end() && errors->is_array()) {
    for (const auto& v : *errors) {
      if (!v.is_object()) continue;
      e.violations.push_back(
          {Text(v, "field"), Text(v, "value"), Text(v, "constraint"), Text(v, "message")});
    }
  }
  return e;
}

}  // namespace hf::client
