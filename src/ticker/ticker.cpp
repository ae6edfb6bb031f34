#include "ticker/ticker.hpp"

#include <algorithm>
#include <atomic>
#include <random>
#include <set>

#include "common/backoff.hpp"
#include "common/log.hpp"
#include "model/kinds.hpp"
#include "ticker/queries.hpp"

namespace hf::ticker {
namespace {

const log::Logger kLog{"ticker"};

double Seconds(Time t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

}  // namespace

Result<void> Validate(const TickerOptions& o) {
  auto bad = [](const std::string& what) { return Fail(ErrorCode::kInvalidArgument, what); };
  const auto& d = o.decision;
  if (model::FindKindByPlural(o.resource_type) == nullptr) {
    return bad("resource_type must be " + model::KindPluralsText() + ", got '" + o.resource_type +
               "'");
  }
  if (o.poll_interval <= Duration::zero()) return bad("poll_interval must be positive");
  if (d.backoff_base <= Duration::zero()) return bad("backoff_base must be positive");
  if (d.backoff_max < d.backoff_base) return bad("backoff_max must not be below backoff_base");
  if (d.debounce < Duration::zero()) return bad("debounce must not be negative");
  if (d.max_age_ready <= Duration::zero()) return bad("max_age_ready must be positive");
  if (d.jitter < 0 || d.jitter >= 1) return bad("jitter must be in [0, 1)");
  return Ok();
}

// Every series carries the ticker's resource_type, so the tickers of one process (dev runs one per
// resource type) report apart.
Ticker::Metrics Ticker::RegisterMetrics(const std::string& resource_type) {
  auto& r = metrics::Registry::Default();
  const std::vector<std::string> type = {resource_type};
  return {
      r.AddGauge("hyperfleet_ticker_pending_resources",
                 "Resources that needed attention in the last successful poll.", {"resource_type"})
          .WithLabels(type),
      r.AddCounter("hyperfleet_ticker_events_requested_total",
                   "Event requests sent to the API (accepted or already pending), by reason.",
                   {"resource_type", "reason"}),
      r.AddCounter("hyperfleet_ticker_resources_skipped_total",
                   "Listed resources for which no event was requested, by reason.",
                   {"resource_type", "reason"}),
      r.AddHistogram("hyperfleet_ticker_poll_duration_seconds", "Duration of one poll.",
                     {"resource_type"}, metrics::DefaultLatencyBuckets())
          .WithLabels(type),
      r.AddCounter("hyperfleet_ticker_api_errors_total",
                   "Failed API calls (transport errors, 5xx, unexpected answers).",
                   {"resource_type"})
          .WithLabels(type),
      r.AddGauge("hyperfleet_ticker_last_successful_poll_timestamp_seconds",
                 "Unix time of the last successful poll.", {"resource_type"})
          .WithLabels(type),
  };
}

Ticker::Ticker(FleetApi& api, TickerOptions options, Clock clock, Random random)
    : api_(api),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : Clock(&Now)),
      random_(std::move(random)),
      metrics_(RegisterMetrics(options_.resource_type)),
      started_(clock_()) {
  if (!random_) {
    random_ = [engine = std::mt19937_64(std::random_device{}()),
               dist = std::uniform_real_distribution<double>(0.0, 1.0)]() mutable {
      return dist(engine);
    };
  }
}

Ticker::~Ticker() { Stop(); }

Result<void> Ticker::PollOnce() {
  const auto begin = std::chrono::steady_clock::now();
  const Time now = clock_();
  const auto& selector = options_.decision.resource_selector;
  auto fail = [&](const Error& e) {
    metrics_.api_errors.Inc();
    std::lock_guard lock(mu_);
    last_error_ = e.message + (e.detail.empty() ? "" : " (" + e.detail + ")");
    return Fail(e);
  };
  auto not_reconciled = api_.List(NotReconciledSearch(selector));
  if (!not_reconciled) return fail(not_reconciled.error());
  auto stale = api_.List(StaleSearch(selector, now - options_.decision.max_age_ready));
  if (!stale) return fail(stale.error());

  std::set<std::string> seen;
  std::vector<Due> due;
  for (const auto* list : {&*not_reconciled, &*stale}) {
    for (const auto& resource : *list) {
      const std::string id = resource.value("id", "");
      if (!id.empty() && !seen.insert(id).second) continue;  // in both lists
      if (auto d = Plan(resource, now)) due.push_back(std::move(*d));
    }
  }
  // A poll that finds many resources due (a fleet-wide outage just ended) requests their
  // events concurrently: one at a time, 1 000 requests would stretch the poll to seconds.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < due.size(); i = next++) Request(due[i], now);
  };
  std::vector<std::jthread> helpers;
  const size_t extra = std::min(due.size(), kRequestConcurrency) - (due.empty() ? 0 : 1);
  for (size_t i = 0; i < extra; ++i) helpers.emplace_back(work);
  work();
  helpers.clear();  // joins

  const Duration forget_after =
      std::max(options_.decision.backoff_max, 10 * options_.poll_interval);
  {
    std::lock_guard lock(mu_);
    std::erase_if(entries_,
                  [&](const auto& kv) { return now - kv.second.last_seen > forget_after; });
    last_success_ = now;
    last_error_.clear();
  }
  metrics_.pending.Set(static_cast<double>(seen.size()));
  metrics_.last_success.Set(Seconds(now));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - begin;
  metrics_.poll_duration.Observe(took.count());
  kLog.Debug("poll done", {{"resources", seen.size()}, {"seconds", took.count()}});
  return Ok();
}

std::optional<Ticker::Due> Ticker::Plan(const nlohmann::json& resource, Time now) {
  const std::string id = resource.value("id", "");
  BackoffState state;
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(id); it != entries_.end()) state = it->second.state;
  }
  Decision d = Decide(resource, now, state, options_.decision, random_());
  if (d.action != Action::kNone) return Due{id, std::move(d), std::move(state)};
  metrics_.skipped.WithLabels({options_.resource_type, std::string(ToString(d.reason))}).Inc();
  if (d.reason == Reason::kInvalid || d.reason == Reason::kSelector) return std::nullopt;
  std::lock_guard lock(mu_);
  entries_[id] = Entry{d.next, now};
  return std::nullopt;
}

void Ticker::Request(Due& due, Time now) {
  const std::string& id = due.id;
  Decision& d = due.decision;
  const std::string reason(ToString(d.reason));
  auto sent = api_.RequestEvent(id);
  if (sent) {
    metrics_.requested.WithLabels({options_.resource_type, reason}).Inc();
    kLog.Info("event requested",
              {{"resource_id", id},
               {"reason", reason},
               {"generation", d.next.generation},
               {"attempt", d.next.attempts},
               {"status", *sent == client::EventOutcome::kPending ? "pending" : "accepted"}});
  } else if (sent.error().code == ErrorCode::kNotFound) {
    std::lock_guard lock(mu_);
    entries_.erase(id);  // deleted meanwhile
    return;
  } else {
    metrics_.api_errors.Inc();
    kLog.Warn("event request failed", {{"resource_id", id}, {"error", sent.error().ToString()}});
    // Transient: keep the old state so the next poll tries again. Anything else would fail
    // the same way every poll: keep the new state so retries follow the backoff.
    if (sent.error().Transient()) d.next = due.state;
  }
  std::lock_guard lock(mu_);
  entries_[id] = Entry{d.next, now};
}

void Ticker::Start() {
  {
    std::lock_guard lock(stop_mu_);
    if (thread_.joinable()) return;
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void Ticker::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Ticker::Loop() {
  int failures = 0;
  while (true) {
    const auto started = std::chrono::steady_clock::now();
    auto polled = PollOnce();
    Duration wait = options_.poll_interval;
    if (polled) {
      if (failures > 0) kLog.Info("API reachable again", {{"failed_polls", failures}});
      failures = 0;
    } else {
      ++failures;
      const BackoffPolicy retry{options_.poll_interval,
                                std::max(options_.error_backoff_max, options_.poll_interval), 0.1};
      wait = retry.Delay(failures, random_());
      kLog.Warn("poll failed", {{"error", polled.error().ToString()},
                                {"failures", failures},
                                {"retry_in_ms", wait.count()}});
    }
    std::unique_lock lock(stop_mu_);
    if (stop_cv_.wait_until(lock, started + wait, [this] { return stop_; })) return;
  }
}

std::string Ticker::Readiness() const {
  std::lock_guard lock(mu_);
  if (!last_success_) {
    return last_error_.empty() ? "no successful poll yet"
                               : "no successful poll yet: " + last_error_;
  }
  if (!last_error_.empty()) return "last poll failed: " + last_error_;
  return {};
}

std::string Ticker::Liveness() const {
  const Time now = clock_();
  std::lock_guard lock(mu_);
  const Time since = last_success_.value_or(started_);
  if (now - since > 3 * options_.poll_interval) {
    return "no successful poll since " + FormatTime(since);
  }
  return {};
}

size_t Ticker::TrackedResources() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace hf::ticker
