#include "cli/views.hpp"

#include "cli/table.hpp"
#include "model/condition.hpp"

namespace hf::cli {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key, std::string fallback = "") {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

long long Int(const json& j, const char* key, long long fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}

const json& Items(const json& page) {
  static const json kEmpty = json::array();
  if (!page.is_object()) return kEmpty;
  auto it = page.find("items");
  return it != page.end() && it->is_array() ? *it : kEmpty;
}

std::string Labels(const json& resource) {
  std::string out;
  if (!resource.contains("labels") || !resource["labels"].is_object()) return out;
  for (const auto& [k, v] : resource["labels"].items()) {
    out += (out.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

}  // namespace

std::string FormatAge(Duration age) {
  long long s = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  if (s < 0) s = 0;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 48 * 3600) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string AgeOf(const json& time, Time now) {
  if (!time.is_string()) return "";
  auto t = ParseTime(time.get<std::string>());
  if (!t) return "";
  return FormatAge(std::chrono::duration_cast<Duration>(now - *t));
}

json FindCondition(const json& resource, std::string_view type) {
  if (!resource.is_object()) return nullptr;
  auto status = resource.find("status");
  if (status == resource.end() || !status->is_object()) return nullptr;
  auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return nullptr;
  for (const auto& c : *conditions) {
    if (c.is_object() && Str(c, "type") == type) return c;
  }
  return nullptr;
}

std::string RenderResourceList(const json& page, std::string_view plural, bool with_cluster,
                               Time now) {
  const json& items = Items(page);
  if (items.empty()) return "No " + std::string(plural) + " found.\n";
  std::vector<std::string> headers = {"ID", "NAME"};
  if (with_cluster) headers.push_back("CLUSTER");
  for (const char* h : {"GENERATION", "RECONCILED", "AGE"}) headers.push_back(h);
  Table table(headers);
  for (const auto& r : items) {
    if (!r.is_object()) continue;
    std::vector<std::string> row = {Str(r, "id"), Str(r, "name")};
    if (with_cluster) row.push_back(Str(r.value("owner_references", json::object()), "id"));
    json reconciled = FindCondition(r, model::condition_type::kReconciled);
    row.push_back(Str(r, "generation"));
    row.push_back(Str(reconciled, "status", "-"));
    row.push_back(AgeOf(r.value("created_time", json()), now));
    table.AddRow(std::move(row));
  }
  std::string out = table.Render();
  long long total = Int(page, "total", 0);
  long long number = Int(page, "page", 1);
  long long shown = static_cast<long long>(items.size());
  if (total > shown) {
    out += "Page " + std::to_string(number) + ": " + std::to_string(shown) + " of " +
           std::to_string(total) + " " + std::string(plural) + " (use --page N / --size N).\n";
  }
  return out;
}

std::string RenderResource(const json& r, Time now) {
  if (!r.is_object()) return r.dump(2) + "\n";
  Table summary({"", ""});
  auto field = [&](const char* name, std::string value) {
    if (!value.empty()) summary.AddRow({std::string(name) + ":", std::move(value)});
  };
  field("ID", Str(r, "id"));
  field("Name", Str(r, "name"));
  field("Kind", Str(r, "kind"));
  field("Cluster", Str(r.value("owner_references", json::object()), "id"));
  field("Generation", Str(r, "generation"));
  field("Labels", Labels(r));
  field("Spec", r.contains("spec") ? r["spec"].dump() : "");
  std::string created = Str(r, "created_time");
  if (!created.empty()) {
    field("Created", created + " (" + AgeOf(r["created_time"], now) + " ago, by " +
                         Str(r, "created_by", "?") + ")");
  }
  std::string deleted = Str(r, "deleted_time");
  if (!deleted.empty()) {
    field("Deleting", deleted + " (" + AgeOf(r["deleted_time"], now) + " ago, by " +
                          Str(r, "deleted_by", "?") + ")");
  }
  // The summary's header row is empty: drop that first line.
  std::string out = summary.Render();
  out = out.substr(out.find('\n') + 1);

  Table conditions({"CONDITION", "STATUS", "GENERATION", "REASON", "AGE", "MESSAGE"});
  const json status = r.value("status", json::object());
  if (status.is_object() && status.contains("conditions") && status["conditions"].is_array()) {
    for (const auto& c : status["conditions"]) {
      if (!c.is_object()) continue;
      conditions.AddRow({Str(c, "type"), Str(c, "status"), Str(c, "observed_generation"),
                         Str(c, "reason"), AgeOf(c.value("last_transition_time", json()), now),
                         Str(c, "message")});
    }
  }
  if (conditions.rows() > 0) out += "\n" + conditions.Render();
  return out;
}

std::string RenderStatuses(const json& page, Time now) {
  const json& items = Items(page);
  if (items.empty()) return "No adapter has reported yet.\n";
  Table table({"ADAPTER", "GENERATION", "CONDITION", "STATUS", "REASON", "REPORTED", "MESSAGE"});
  for (const auto& s : items) {
    if (!s.is_object()) continue;
    std::string adapter = Str(s, "adapter");
    std::string generation = Str(s, "observed_generation");
    std::string reported = AgeOf(s.value("last_report_time", json()), now);
    if (!reported.empty()) reported += " ago";
    const json conditions = s.value("conditions", json::array());
    if (!conditions.is_array() || conditions.empty()) {
      table.AddRow({adapter, generation, "-", "-", "", reported, ""});
      continue;
    }
    for (const auto& c : conditions) {
      if (!c.is_object()) continue;
      table.AddRow({adapter, generation, Str(c, "type"), Str(c, "status"), Str(c, "reason"),
                    reported, Str(c, "message")});
    }
  }
  return table.Render();
}

}  // namespace hf::cli
