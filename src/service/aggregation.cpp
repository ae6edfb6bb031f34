#include "service/aggregation.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "model/adapter_condition_type.hpp"

namespace hf::service {
namespace {

// Wire contract (reference-api §8.2): these strings are matched by clients and tests.
using model::condition_status::kFalse;
using model::condition_status::kTrue;
using model::condition_type::kAvailable;
using model::condition_type::kFinalized;
using model::condition_type::kLastKnownReconciled;
using model::condition_type::kReconciled;

constexpr std::string_view kReasonReconciledAll = "ReconciledAll";
constexpr std::string_view kMessageReconciledAll =
    "All required adapters reported Available=True or Finalized=True at the current generation";
constexpr std::string_view kReasonWaitingForChildren = "ReconciledWaitingForChildren";
constexpr std::string_view kMessageWaitingForChildren =
    "Deletion in progress. All required adapters reported Finalized=True but child resources "
    "still exist";
constexpr std::string_view kReasonMissingAdapters = "ReconciledMissingAdapters";

constexpr std::string_view kReasonAllReconciled = "AllAdaptersReconciled";
constexpr std::string_view kMessageAllReconciled =
    "All required adapters report Available=True for the tracked generation";
constexpr std::string_view kReasonMissingReports = "AdaptersMissingReports";
constexpr std::string_view kMessageMissingReports =
    "Required adapters have not yet reported status";
constexpr std::string_view kReasonNotAvailable = "AdapterReportedNotAvailable";
constexpr std::string_view kMessageNotAvailable =
    "One or more required adapters report Available=False";
constexpr std::string_view kReasonMixedGenerations = "AdaptersNotAtSameGeneration";
constexpr std::string_view kMessageMixedGenerations =
    "Required adapters do not report a consistent Available state";

// One required adapter's report that takes part in the aggregation.
struct Report {
  const model::AdapterCondition* available;  // status "True" or "False"
  bool available_true;
  bool finalized_true;
  int64_t generation;
  Time observed;  // the row's last_report_time
};

// Keyed by adapter name; the names point into the input rows.
using Reports = std::map<std::string_view, Report, std::less<>>;

Reports CollectReports(const AggregationInput& in) {
  Reports out;
  const auto& required = in.required_adapters;
  for (const auto& row : in.statuses) {
    if (std::find(required.begin(), required.end(), row.adapter) == required.end()) continue;
    if (row.observed_generation > in.resource.generation) continue;
    const auto* available = row.Find(kAvailable);
    if (available == nullptr || (available->status != kTrue && available->status != kFalse)) {
      continue;
    }
    const auto* finalized = row.Find(kFinalized);
    const Report report{available, available->status == kTrue,
                        finalized != nullptr && finalized->status == kTrue, row.observed_generation,
                        row.last_report_time};
    // The store keeps one row per adapter; should there be more, the newest one wins.
    auto [it, inserted] = out.try_emplace(row.adapter, report);
    if (!inserted && std::pair(report.generation, report.observed) >
                         std::pair(it->second.generation, it->second.observed)) {
      it->second = report;
    }
  }
  return out;
}

const Report* FindReport(const Reports& reports, std::string_view adapter) {
  const auto it = reports.find(adapter);
  return it == reports.end() ? nullptr : &it->second;
}

// "[a, b]" with the names sorted.
std::string SortedList(std::vector<std::string_view> names) {
  std::sort(names.begin(), names.end());
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out + "]";
}

// A condition of that type whose created_time is kept from the previous one, else RefTime.
model::Condition Begin(std::string_view type, const model::Condition* prev, Time ref_time) {
  model::Condition c;
  c.type = type;
  c.created_time = prev != nullptr ? prev->created_time : ref_time;
  return c;
}

std::string_view StatusOf(bool value) { return value ? kTrue : kFalse; }

model::Condition ComputeReconciled(const AggregationInput& in, const Reports& reports) {
  const auto& res = in.resource;
  const bool deleting = res.Deleting();
  std::vector<std::string_view> not_reporting;
  std::vector<std::string_view> reporting;
  std::optional<Time> first_at_generation;
  for (const auto& name : in.required_adapters) {
    const Report* r = FindReport(reports, name);
    if (r != nullptr) reporting.push_back(name);
    const bool current = r != nullptr && r->generation == res.generation;
    if (current) {
      first_at_generation = std::min(first_at_generation.value_or(r->observed), r->observed);
    }
    if (!current || !(deleting ? r->finalized_true : r->available_true)) {
      not_reporting.push_back(name);
    }
  }
  const bool all_met = !in.required_adapters.empty() && not_reporting.empty();
  const bool waiting = deleting && all_met && in.has_active_children;

  const model::Condition* prev = res.FindCondition(kReconciled);
  model::Condition c = Begin(kReconciled, prev, res.updated_time);
  c.status = StatusOf(all_met && !waiting);
  c.observed_generation = res.generation;
  if (c.status == kTrue) {
    c.reason = kReasonReconciledAll;
    c.message = kMessageReconciledAll;
  } else if (waiting) {
    c.reason = kReasonWaitingForChildren;
    c.message = kMessageWaitingForChildren;
  } else {
    c.reason = kReasonMissingAdapters;
    c.message = std::string("Required adapters not reporting ") +
                (deleting ? "Finalized=True: " : "Available=True: ") + SortedList(not_reporting) +
                ". Currently reporting: " + SortedList(reporting);
  }
  c.last_updated_time = first_at_generation.value_or(res.updated_time);
  if (prev == nullptr) {
    c.last_transition_time = c.last_updated_time;
  } else if (prev->status == c.status) {
    c.last_transition_time = prev->last_transition_time;
  } else if (prev->status == kTrue && res.generation > prev->observed_generation) {
    c.last_transition_time = res.updated_time;  // True→False because the spec moved on
  } else {
    c.last_transition_time = c.last_updated_time;
  }
  return c;
}

model::Condition ComputeLastKnownReconciled(const AggregationInput& in, const Reports& reports) {
  const auto& res = in.resource;
  const model::Condition* prev = res.FindCondition(kLastKnownReconciled);
  const bool was_true = prev != nullptr && prev->status == kTrue;

  bool all_reported = true;
  bool all_true = true;
  bool uniform = true;
  std::optional<int64_t> max_generation;
  std::vector<const Report*> reporters;
  for (const auto& name : in.required_adapters) {
    const Report* r = FindReport(reports, name);
    if (r == nullptr) {
      all_reported = false;
      continue;
    }
    all_true = all_true && r->available_true;
    uniform = uniform && (reporters.empty() || reporters.front()->generation == r->generation);
    max_generation = std::max(max_generation.value_or(r->generation), r->generation);
    reporters.push_back(r);
  }
  all_reported = all_reported && !in.required_adapters.empty();
  // Earliest observed time among reporters at generation g, if any report False there.
  const auto first_failure_window = [&](int64_t g) -> std::optional<Time> {
    std::optional<Time> first;
    bool failed = false;
    for (const Report* r : reporters) {
      if (r->generation != g) continue;
      failed = failed || !r->available_true;
      first = std::min(first.value_or(r->observed), r->observed);
    }
    return failed ? first : std::nullopt;
  };

  // Sticky: once True it survives newer generations until a False lands on the tracked one.
  bool status = false;
  if (all_reported && all_true) {
    status = uniform || was_true;
  } else if (all_reported) {
    status = was_true && !first_failure_window(prev->observed_generation);
  }
  model::Condition c = Begin(kLastKnownReconciled, prev, res.updated_time);
  c.status = StatusOf(status);
  const auto [reason, message] =
      status          ? std::pair(kReasonAllReconciled, kMessageAllReconciled)
      : !all_reported ? std::pair(kReasonMissingReports, kMessageMissingReports)
      : all_true      ? std::pair(kReasonMixedGenerations, kMessageMixedGenerations)
                      : std::pair(kReasonNotAvailable, kMessageNotAvailable);
  c.reason = reason;
  c.message = message;

  const int64_t prev_generation = prev != nullptr ? prev->observed_generation : 1;
  const Time prev_updated = prev != nullptr ? prev->last_updated_time : res.updated_time;
  if (status && all_true && uniform) {  // the one case that moves the tracked generation
    c.observed_generation = reporters.front()->generation;
    c.last_updated_time = reporters.front()->observed;
    for (const Report* r : reporters) {
      c.last_updated_time = std::min(c.last_updated_time, r->observed);
    }
  } else if (status) {  // sticky: keep tracking the previous generation
    c.observed_generation = prev_generation;
    c.last_updated_time = prev_updated;
  } else {
    c.observed_generation = max_generation.value_or(prev_generation);
    c.last_updated_time = first_failure_window(c.observed_generation).value_or(prev_updated);
  }
  const bool changed = prev == nullptr || prev->status != c.status;
  c.last_transition_time = changed ? c.last_updated_time : prev->last_transition_time;
  return c;
}

model::Condition ComputeAdapterCondition(const AggregationInput& in, std::string_view adapter,
                                         const Report& r) {
  const std::string type = model::AdapterConditionType(adapter);
  const model::Condition* prev = in.resource.FindCondition(type);
  model::Condition c = Begin(type, prev, in.resource.updated_time);
  c.status = StatusOf(r.available_true);
  c.reason = r.available->reason;
  c.message = r.available->message;
  c.observed_generation = r.generation;
  c.last_updated_time = r.observed;
  const bool changed = prev == nullptr || prev->status != c.status;
  c.last_transition_time = changed ? c.last_updated_time : prev->last_transition_time;
  return c;
}

}  // namespace

std::vector<model::Condition> Aggregate(const AggregationInput& in) {
  std::vector<model::Condition> out;
  if (in.required_adapters.empty()) return out;
  const Reports reports = CollectReports(in);
  out.reserve(2 + reports.size());
  out.push_back(ComputeReconciled(in, reports));
  out.push_back(ComputeLastKnownReconciled(in, reports));
  for (const auto& name : in.required_adapters) {
    if (const Report* r = FindReport(reports, name)) {
      out.push_back(ComputeAdapterCondition(in, name, *r));
    }
  }
  return out;
}

}  // namespace hf::service
