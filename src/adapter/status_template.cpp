#include "adapter/status_template.hpp"

#include <algorithm>

#include "adapter/status_report.hpp"
#include "adapter/text_template.hpp"
#include "model/condition.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;

Result<std::string> Status(const expr::Value& v) {
  namespace cs = model::condition_status;
  if (auto b = v.AsBool()) return std::string(*b ? cs::kTrue : cs::kFalse);
  if (const std::string* s = v.AsString(); s && cs::Valid(*s)) return *s;
  return Fail(ErrorCode::kInvalidArgument,
              "gives " + (v.AsString() ? "'" + *v.AsString() + "'" : "a " + expr::TypeName(v)) +
                  ", not a bool or True/False/Unknown");
}

}  // namespace

Result<void> ApplyStatus(const StatusTemplate& status, expr::Activation vars,
                         std::vector<ReportCondition>& conditions, json& data) {
  if (status.empty()) return {};
  json defaults = json::object();
  for (const auto& c : conditions) {
    defaults[c.type] = {{"status", c.status}, {"reason", c.reason}, {"message", c.message}};
  }
  vars.insert_or_assign("defaults", expr::FromJson(defaults));
  for (const auto& t : status.conditions) {
    auto it = std::ranges::find(conditions, t.type, &ReportCondition::type);
    if (it == conditions.end()) {
      conditions.push_back({t.type, std::string(model::condition_status::kFalse), "", ""});
      it = std::prev(conditions.end());
    }
    for (auto [field, program, target] : {std::tuple{"status", &t.status, &it->status},
                                          {"reason", &t.reason, &it->reason},
                                          {"message", &t.message, &it->message}}) {
      if (!*program) continue;
      auto bad = [&](const std::string& why) {
        return Fail(ErrorCode::kInvalidArgument,
                    "status.conditions[" + t.type + "]." + field + ": " + why);
      };
      auto value = (*program)->Evaluate(vars);
      if (!value) return bad(value.error().message);
      auto text = std::string_view(field) == "status" ? Status(*value) : ValueText(*value);
      if (!text) return bad(text.error().message);
      *target = std::move(*text);
    }
  }
  if (status.data) {
    auto bad = [](const std::string& why) {
      return Fail(ErrorCode::kInvalidArgument, "status.data: " + why);
    };
    auto value = status.data->Evaluate(vars);
    if (!value) return bad(value.error().message);
    auto extra = expr::ToJson(*value);
    if (!extra) return bad(extra.error().message);
    if (!extra->is_object()) return bad("gives a " + expr::TypeName(*value) + ", not a map");
    if (!data.is_object()) data = json::object();
    for (auto& [key, v] : extra->items()) data[key] = std::move(v);
  }
  return {};
}

}  // namespace hf::adapter
