#include "cli/watch.hpp"

#include "cli/table.hpp"
#include "cli/views.hpp"
#include "common/text.hpp"
#include "model/condition.hpp"

namespace hf::cli {
namespace {

using model::condition_status::kTrue;
using model::condition_type::kAvailable;
using model::condition_type::kReconciled;

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t Int(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

const json& Items(const json& page) {
  static const json kEmpty = json::array();
  if (!page.is_object()) return kEmpty;
  auto it = page.find("items");
  return it != page.end() && it->is_array() ? *it : kEmpty;
}

}  // namespace

Snapshot TakeSnapshot(const json& resource, const json& statuses) {
  Snapshot snap;
  for (const auto& s : Items(statuses)) {
    std::string adapter = Str(s, "adapter");
    if (adapter.empty() || !s.contains("conditions") || !s["conditions"].is_array()) continue;
    for (const auto& c : s["conditions"]) {
      std::string type = Str(c, "type");
      if (type.empty()) continue;
      snap[adapter + "/" + type] = {adapter,           type,
                                    Str(c, "status"),  Str(c, "reason"),
                                    Str(c, "message"), Int(s, "observed_generation")};
    }
  }
  json reconciled = FindCondition(resource, kReconciled);
  if (reconciled.is_object()) {
    snap[std::string(kReconciled)] = {"",
                                      std::string(kReconciled),
                                      Str(reconciled, "status"),
                                      Str(reconciled, "reason"),
                                      Str(reconciled, "message"),
                                      Int(reconciled, "observed_generation")};
  }
  return snap;
}

std::vector<ObservedCondition> Changes(const Snapshot& before, const Snapshot& after) {
  std::vector<ObservedCondition> adapters, resource;
  for (const auto& [key, now] : after) {
    auto it = before.find(key);
    if (it != before.end() && it->second == now) continue;
    (now.adapter.empty() ? resource : adapters).push_back(now);
  }
  adapters.insert(adapters.end(), resource.begin(), resource.end());
  return adapters;
}

std::string FormatChange(const ObservedCondition& c, Time at) {
  std::string clock = FormatTime(at).substr(11, 8);
  std::string key = c.adapter.empty() ? c.type : c.adapter + "/" + c.type;
  std::string line = clock + "  " + Pad(key, 26) + "  " + Pad(c.status, 7) + "  " +
                     Pad("gen " + std::to_string(c.generation), 5) + "  " + c.reason;
  if (!c.message.empty()) line += (c.reason.empty() ? "" : "  ") + c.message;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return OneLine(std::move(line));
}

json ChangeJson(const ObservedCondition& c, Time at) {
  json j = {{"time", FormatTime(at)}, {"condition", c.type},  {"status", c.status},
            {"reason", c.reason},     {"message", c.message}, {"generation", c.generation}};
  if (!c.adapter.empty()) j["adapter"] = c.adapter;
  return j;
}

bool IsReconciled(const json& resource) {
  json c = FindCondition(resource, kReconciled);
  return Str(c, "status") == kTrue && Int(c, "observed_generation") == Int(resource, "generation");
}

std::string DescribeMissing(const json& resource, const json& statuses) {
  int64_t generation = Int(resource, "generation");
  std::string out;
  json reconciled = FindCondition(resource, kReconciled);
  if (!reconciled.is_object()) {
    out = "no Reconciled condition yet";
  } else {
    out = "Reconciled=" + Str(reconciled, "status") + " at generation " +
          std::to_string(Int(reconciled, "observed_generation"));
    std::string reason = Str(reconciled, "reason");
    std::string message = Str(reconciled, "message");
    if (!reason.empty() || !message.empty()) {
      out += " (" + reason + (reason.empty() || message.empty() ? "" : ": ") + message + ")";
    }
  }
  for (const auto& s : Items(statuses)) {
    std::string adapter = Str(s, "adapter");
    if (adapter.empty()) continue;
    int64_t observed = Int(s, "observed_generation");
    json available;
    if (s.contains("conditions") && s["conditions"].is_array()) {
      for (const auto& c : s["conditions"]) {
        if (Str(c, "type") == kAvailable) available = c;
      }
    }
    if (observed == generation && Str(available, "status") == kTrue) continue;
    out += "; " + adapter + ": ";
    if (!available.is_object()) {
      out += "no Available condition at generation " + std::to_string(observed);
      continue;
    }
    out += "Available=" + Str(available, "status") + " at generation " + std::to_string(observed);
    std::string reason = Str(available, "reason");
    std::string message = Str(available, "message");
    if (!reason.empty() || !message.empty()) {
      out += " (" + reason + (reason.empty() || message.empty() ? "" : ": ") + message + ")";
    }
  }
  return OneLine(std::move(out));
}

}  // namespace hf::cli
