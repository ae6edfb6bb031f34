#include "api/field_projection.hpp"

#include <algorithm>
#include <set>

namespace hf::api {
namespace {

// The top-level fields of a presented Cluster or NodePool (presenters.cpp).
const std::set<std::string, std::less<>> kFields = {
    "id",         "kind",       "name",         "href",         "spec",
    "generation", "status",     "labels",       "created_time", "updated_time",
    "created_by", "updated_by", "deleted_time", "deleted_by",   "owner_references"};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + 1) {
    out.push_back(s.substr(start, at - start));
  }
  out.push_back(s.substr(start));
  return out;
}

}  // namespace

Result<std::optional<std::vector<std::string>>> DecodeFields(const http::Request& req) {
  const auto values = req.QueryAll("fields");
  if (values.empty()) return std::optional<std::vector<std::string>>();
  std::vector<std::string> fields;
  for (const auto& value : values) {
    for (auto& field : Split(value, ',')) {
      const auto begin = field.find_first_not_of(' ');
      if (begin == std::string::npos) continue;
      field = field.substr(begin, field.find_last_not_of(' ') - begin + 1);
      if (field.ends_with(".*")) field.resize(field.size() - 2);
      const auto path = Split(field, '.');
      if (!kFields.contains(path.front()) ||
          std::any_of(path.begin(), path.end(), [](const auto& p) { return p.empty(); })) {
        return Fail(ErrorCode::kBadRequest, "invalid field '" + field + "' in fields query");
      }
      fields.push_back(field);
    }
  }
  return std::optional<std::vector<std::string>>(std::move(fields));
}

nlohmann::json Project(const nlohmann::json& item, const std::vector<std::string>& fields) {
  nlohmann::json out = nlohmann::json::object();
  if (item.contains("id")) out["id"] = item["id"];
  for (const auto& field : fields) {
    const nlohmann::json* from = &item;
    const auto path = Split(field, '.');
    for (const auto& key : path) {
      if (!from->is_object() || !from->contains(key)) {
        from = nullptr;
        break;
      }
      from = &(*from)[key];
    }
    if (!from) continue;
    nlohmann::json* to = &out;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      if (!(*to)[path[i]].is_object()) (*to)[path[i]] = nlohmann::json::object();
      to = &(*to)[path[i]];
    }
    (*to)[path.back()] = *from;
  }
  return out;
}

}  // namespace hf::api
