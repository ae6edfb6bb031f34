#include "api/field_projection.hpp"

#include <algorithm>
#include <set>

#include "common/text.hpp"

namespace hf::api {
namespace {

// The top-level fields of a presented Cluster or NodePool (presenters.cpp).
// clang-format off
const std::set<std::string, std::less<>> kFields = {
    "id",         "kind",       "name",         "href",         "spec",
    "generation", "status",     "labels",       "created_time", "updated_time",
    "created_by", "updated_by", "deleted_time", "deleted_by",   "owner_references",
    "event_sequence"};
// clang-format on

}  // namespace

Result<std::optional<std::vector<std::string>>> DecodeFields(const http::Request& req) {
  const auto values = req.QueryAll("fields");
  if (values.empty()) return std::optional<std::vector<std::string>>();
  std::vector<std::string> fields;
  for (const auto& value : values) {
    for (auto& field : SplitList(value)) {
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
    for (std::string_view key : path) {
      const auto it = from->is_object() ? from->find(key) : from->end();
      if (it == from->end()) {
        from = nullptr;
        break;
      }
      from = &*it;
    }
    if (!from) continue;
    nlohmann::json* to = &out;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      nlohmann::json& next = (*to)[std::string(path[i])];
      if (!next.is_object()) next = nlohmann::json::object();
      to = &next;
    }
    (*to)[std::string(path.back())] = *from;
  }
  return out;
}

}  // namespace hf::api
