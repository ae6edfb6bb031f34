#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace hf::ticker {

// The knobs of the per-resource decision; defaults are the product's
// (docs/architecture.md#the-flow-of-one-event).
struct DecisionOptions {
  Duration backoff_base = std::chrono::seconds(10);   // first wait of a not-reconciled resource
  Duration backoff_max = std::chrono::minutes(5);     // cap of the doubling wait, jitter included
  double jitter = 0.1;                                // each wait is scaled by 1 ± jitter
  Duration debounce = std::chrono::seconds(10);       // quiet time after the last adapter report
  Duration max_age_ready = std::chrono::minutes(30);  // re-check of reconciled resources
  // Labels a resource must carry (all of them) for this ticker to act on it.
  std::map<std::string, std::string> resource_selector;
};

// What the ticker remembers about one resource between polls (in memory only). A
// default-constructed state is "never seen"; Decide returns the state to keep next.
struct BackoffState {
  int64_t generation = 0;        // the generation `attempts` and `next_due` belong to
  int attempts = 0;              // requests made at `generation` while not reconciled
  std::optional<Time> next_due;  // earliest local time of the next not-reconciled request
  std::optional<Time> last_max_age_request;  // last request for a reconciled-but-stale resource
  // Clock-skew guard: the newest adapter report time seen (API clock) and the local time it
  // was first seen; the debounce runs from the earlier of the two.
  std::optional<Time> report_time;
  std::optional<Time> report_seen;
};

enum class Action { kNone, kRequest };

// Why a request is made (kRequest) or not (kNone). Stable names: they are metric labels.
enum class Reason {
  kGenerationChanged,  // request: generation > Reconciled.observed_generation
  kNotReconciled,      // request: Reconciled is not True (or missing) and the backoff elapsed
  kMaxAge,             // request: Reconciled but last updated longer than max_age_ready ago
  kBackoff,            // none: not reconciled, next attempt not due yet
  kDebounce,           // none: an adapter reported less than `debounce` ago
  kReconciled,         // none: reconciled and fresh, or already re-checked this max_age period
  kSelector,           // none: the resource lacks a label of resource_selector
  kInvalid,            // none: no id or no integer generation
};
std::string_view ToString(Reason reason);

struct Decision {
  Action action = Action::kNone;
  Reason reason = Reason::kInvalid;
  BackoffState next;  // the state to keep if the request succeeds (or when action is kNone)
};

// Decides, purely, whether to request an event for `resource` (the API's resource JSON) at
// local time `now`, given what was remembered about it. `unit_random` in [0, 1] picks the
// jitter of any wait scheduled now (0 → ×(1 − jitter), 0.5 → exact, 1 → ×(1 + jitter)).
//
// Rules, first match wins:
//  1. no string `id` or no integer `generation` → none (kInvalid); labels not matching
//     resource_selector → none (kSelector). The state is returned unchanged.
//  2. a generation different from state.generation resets the backoff (attempts 0).
//  3. generation > Reconciled.observed_generation: the first time at this generation → request
//     now (no debounce); afterwards as rule 5, still with reason kGenerationChanged.
//  4. Reconciled True at this generation: the backoff resets; if Reconciled.last_updated_time
//     is strictly older than max_age_ready and no kMaxAge request was made in the last
//     max_age_ready → request (kMaxAge, debounced); otherwise none (kReconciled).
//  5. not reconciled (False, Unknown or missing): first seen → schedule the first request
//     backoff_base (jittered) from now; a request is made once now ≥ next_due (inclusive) and
//     now ≥ last report + debounce (inclusive); each request schedules the next one
//     min(base·2^attempts, backoff_max) (jittered, never above backoff_max) later.
// "Last report" is the newest last_updated_time of the <Adapter>Successful conditions; a time
// in the future (API clock ahead) counts from when the ticker first saw it, so skew can never
// postpone a request by more than the debounce.
[[nodiscard]] Decision Decide(const nlohmann::json& resource, Time now, const BackoffState& state,
                              const DecisionOptions& options, double unit_random);

}  // namespace hf::ticker
