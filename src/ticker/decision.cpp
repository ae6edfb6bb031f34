#include "ticker/decision.hpp"

#include <algorithm>
#include <cmath>

#include "common/backoff.hpp"
#include "model/condition.hpp"

namespace hf::ticker {
namespace {

using nlohmann::json;

using model::condition_type::kAdapterSuffix;
using model::condition_type::kReconciled;

const json* FindCondition(const json& resource, std::string_view type) {
  auto status = resource.find("status");
  if (status == resource.end() || !status->is_object()) return nullptr;
  auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return nullptr;
  for (const auto& c : *conditions) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

std::optional<Time> TimeField(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  auto parsed = ParseTime(it->get<std::string>());
  return parsed ? std::optional<Time>(*parsed) : std::nullopt;
}

// The newest last_updated_time of the <Adapter>Successful conditions.
std::optional<Time> LastAdapterReport(const json& resource) {
  std::optional<Time> newest;
  auto status = resource.find("status");
  if (status == resource.end() || !status->is_object()) return newest;
  auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return newest;
  for (const auto& c : *conditions) {
    if (!c.is_object()) continue;
    const std::string type = c.value("type", "");
    if (type.size() <= kAdapterSuffix.size() || !type.ends_with(kAdapterSuffix)) continue;
    if (auto t = TimeField(c, "last_updated_time"); t && (!newest || *t > *newest)) newest = t;
  }
  return newest;
}

bool MatchesSelector(const json& resource, const std::map<std::string, std::string>& selector) {
  if (selector.empty()) return true;
  auto labels = resource.find("labels");
  if (labels == resource.end() || !labels->is_object()) return false;
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
    auto it = labels->find(kv.first);
    return it != labels->end() && it->is_string() && it->template get<std::string>() == kv.second;
  });
}

// The jittered wait after `attempts` requests: base·2^attempts (at most backoff_max), scaled by
// 1 ± jitter as `unit_random` says.
Duration Wait(int attempts, const DecisionOptions& o, double unit_random) {
  return BackoffPolicy{o.backoff_base, o.backoff_max, o.jitter}.Delay(attempts + 1, unit_random);
}

Decision None(Reason reason, BackoffState next) { return {Action::kNone, reason, next}; }

}  // namespace

std::string_view ToString(Reason reason) {
  switch (reason) {
    case Reason::kGenerationChanged:
      return "generation_changed";
    case Reason::kNotReconciled:
      return "not_reconciled";
    case Reason::kMaxAge:
      return "max_age";
    case Reason::kBackoff:
      return "backoff";
    case Reason::kDebounce:
      return "debounce";
    case Reason::kReconciled:
      return "reconciled";
    case Reason::kSelector:
      return "selector";
    case Reason::kInvalid:
      return "invalid";
  }
  return "invalid";
}

Decision Decide(const json& resource, Time now, const BackoffState& state, const DecisionOptions& o,
                double unit_random) {
  // 1. Malformed or not ours.
  if (!resource.is_object()) return None(Reason::kInvalid, state);
  auto id = resource.find("id");
  auto gen = resource.find("generation");
  if (id == resource.end() || !id->is_string() || id->get<std::string>().empty() ||
      gen == resource.end() || !gen->is_number_integer()) {
    return None(Reason::kInvalid, state);
  }
  if (!MatchesSelector(resource, o.resource_selector)) return None(Reason::kSelector, state);
  const int64_t generation = gen->get<int64_t>();

  // 2. A new generation starts a new backoff.
  BackoffState next = state;
  if (next.generation != generation) {
    next.generation = generation;
    next.attempts = 0;
    next.next_due.reset();
  }

  // The debounce reference: the last adapter report, guarded against clock skew.
  std::optional<Time> report = LastAdapterReport(resource);
  std::optional<Time> quiet_since;
  if (report) {
    const Time seen = (state.report_time == report && state.report_seen) ? *state.report_seen : now;
    next.report_time = report;
    next.report_seen = seen;
    quiet_since = std::min(*report, seen);
  }
  const bool debounced = quiet_since && now < *quiet_since + o.debounce;

  auto request = [&](Reason reason) {
    ++next.attempts;
    next.next_due = now + Wait(next.attempts, o, unit_random);
    return Decision{Action::kRequest, reason, next};
  };
  // 5. (shared by 3) Requests paced by the backoff and the debounce.
  auto paced = [&](Reason reason) {
    if (!next.next_due) {
      next.next_due = now + Wait(0, o, unit_random);
      return None(Reason::kBackoff, next);
    }
    if (now < *next.next_due) return None(Reason::kBackoff, next);
    if (debounced) return None(Reason::kDebounce, next);
    return request(reason);
  };

  const json* reconciled = FindCondition(resource, kReconciled);
  const int64_t observed =
      reconciled != nullptr && (*reconciled)["observed_generation"].is_number_integer()
          ? (*reconciled)["observed_generation"].get<int64_t>()
          : 0;

  // 3. Generation ahead of what the adapters reconciled.
  if (reconciled != nullptr && generation > observed) {
    if (next.attempts == 0) return request(Reason::kGenerationChanged);
    return paced(Reason::kGenerationChanged);
  }

  // 4. Reconciled: backoff over; only the slow max-age re-check remains.
  if (reconciled != nullptr && reconciled->value("status", "") == model::condition_status::kTrue) {
    next.attempts = 0;
    next.next_due.reset();
    const auto updated = TimeField(*reconciled, "last_updated_time");
    const bool stale = !updated || now - *updated > o.max_age_ready;
    const bool checked_recently =
        next.last_max_age_request && now - *next.last_max_age_request < o.max_age_ready;
    if (!stale || checked_recently) return None(Reason::kReconciled, next);
    if (debounced) return None(Reason::kDebounce, next);
    next.last_max_age_request = now;
    return Decision{Action::kRequest, Reason::kMaxAge, next};
  }

  // 5. Not reconciled.
  return paced(Reason::kNotReconciled);
}

}  // namespace hf::ticker
