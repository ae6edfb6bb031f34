#include "adapter/adapter_runtime.hpp"

#include <charconv>
#include <functional>

#include "adapter/decision.hpp"
#include "adapter/status_report.hpp"
#include "common/log.hpp"
#include "jobs/open_job_runner.hpp"
#include "model/adapter_condition_type.hpp"
#include "model/cloud_event.hpp"
#include "model/condition.hpp"
#include "model/outbox_event.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;

// The trace context of the event this thread is handling ("" outside Handle), sent with the API
// calls it makes so the events they cause continue the trace. Set by a TraceScope only.
thread_local std::string tls_traceparent;

struct TraceScope {
  explicit TraceScope(const std::string& traceparent) { tls_traceparent = traceparent; }
  ~TraceScope() { tls_traceparent.clear(); }
};

// data[key] when it is a string, else "".
std::string StringField(const json& data, const char* key) {
  const auto it = data.find(key);
  return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A digest of a report's content (all but its observed time).
uint64_t ReportDigest(int64_t generation, const std::vector<ReportCondition>& conditions,
                      const json& metadata, const json& data) {
  return std::hash<std::string>{}(
      BuildReport("", generation, Time{}, conditions, metadata, data).dump());
}

// Whether `condition` (found on the resource, or null) has `status` at `generation`.
bool Shows(const json* condition, std::string_view status, int64_t generation) {
  return condition && condition->is_object() && condition->value("status", "") == status &&
         condition->value("observed_generation", int64_t{-1}) == generation;
}

// The event's number among its resource's events (the outbox's aggregate_sequence attribute), or
// nullopt when the message has none or it is not a number.
std::optional<int64_t> Sequence(const broker::Message& m) {
  const auto it = m.attributes.find(std::string(model::kAggregateSequenceAttribute));
  if (it == m.attributes.end()) return std::nullopt;
  int64_t n = 0;
  const std::string& s = it->second;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

constexpr int kMaxRetries = 8;
// Spacing of the re-evaluations after a transient failure (1 s doubling to 30 s, ±20 %).
const BackoffPolicy kRetryBackoff{std::chrono::seconds(1), std::chrono::seconds(30), 0.2};

}  // namespace

Result<std::unique_ptr<AdapterRuntime>> AdapterRuntime::Create(AdapterConfig config,
                                                               broker::Broker& broker,
                                                               const std::atomic<bool>& stop) {
  if (config.api.base_url.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "adapter " + config.name + ": api.base_url is not set");
  }
  std::unique_ptr<jobs::JobRunner> runner;
  if (config.job) {
    jobs::JobRunnerConfig runner_config = config.job->runner;
    runner_config.kubernetes.adapter = config.name;
    auto opened = jobs::OpenJobRunner(runner_config);
    if (!opened) {
      return Fail(opened.error().code, "adapter " + config.name + ": " + opened.error().message);
    }
    runner = std::move(*opened);
  }
  std::unique_ptr<KubernetesResources> resources;
  if (!config.resources.empty()) {
    auto opened = KubernetesResources::Open(config);
    if (!opened) {
      return Fail(opened.error().code, "adapter " + config.name + ": " + opened.error().message);
    }
    resources = std::move(*opened);
  }
  return std::unique_ptr<AdapterRuntime>(
      new AdapterRuntime(std::move(config), broker, stop, std::move(runner), std::move(resources)));
}

AdapterRuntime::AdapterRuntime(AdapterConfig config, broker::Broker& broker,
                               const std::atomic<bool>& stop,
                               std::unique_ptr<jobs::JobRunner> runner,
                               std::unique_ptr<KubernetesResources> resources)
    : config_(std::move(config)),
      reads_status_(ReadsStatus(config_.preconditions) || ReadsStatus(config_.params)),
      // An adapter name makes a plain condition type, which the path syntax takes as it is.
      own_condition_(*FieldPath::Parse(
          "status.conditions[type=" + model::AdapterConditionType(config_.name) + "]")),
      broker_(broker),
      stop_(stop),
      api_(client::ClientOptions{.api_url = config_.api.base_url,
                                 .user_agent = "hyperfleet-adapter/" HF_VERSION,
                                 .timeout = config_.api.timeout,
                                 .attempts = config_.api.retry.attempts,
                                 .backoff = config_.api.retry.backoff,
                                 .cancel = &stop,
                                 .token = config_.api.token ? config_.api.token
                                          : config_.api.token_file.empty()
                                              ? client::TokenSource{}
                                              : client::TokenFromFile(config_.api.token_file),
                                 .ca_file = config_.api.ca_file}),
      metrics_{
          metrics::Registry::Default().AddCounter("hyperfleet_adapter_events_processed_total",
                                                  "Events handled, by outcome.",
                                                  {"adapter", "status"}),
          metrics::Registry::Default().AddHistogram(
              "hyperfleet_adapter_event_processing_duration_seconds", "Time to handle one event.",
              {"adapter"}, metrics::DefaultLatencyBuckets()),
          metrics::Registry::Default().AddCounter("hyperfleet_adapter_jobs_created_total",
                                                  "Jobs started.", {"adapter"}),
          metrics::Registry::Default().AddCounter(
              "hyperfleet_adapter_jobs_finished_total",
              "Jobs this adapter watched to their end, by result (succeeded, failed).",
              {"adapter", "result"}),
          metrics::Registry::Default().AddHistogram(
              "hyperfleet_adapter_job_duration_seconds",
              "Time from a job's creation to its end, by result.", {"adapter", "result"},
              {0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800}),
          metrics::Registry::Default().AddCounter("hyperfleet_adapter_status_reports_total",
                                                  "Status reports accepted by the API.",
                                                  {"adapter"}),
          metrics::Registry::Default().AddCounter(
              "hyperfleet_adapter_status_reports_unchanged_total",
              "Reports not sent on another adapter's status change: the API holds the same.",
              {"adapter"}),
          metrics::Registry::Default().AddCounter("hyperfleet_adapter_errors_total",
                                                  "Failures, by phase.", {"adapter", "phase"}),
          metrics::Registry::Default().AddCounter("hyperfleet_adapter_nacks_total",
                                                  "Events nacked for redelivery.", {"adapter"}),
      },
      runner_(std::move(runner)),
      resources_(std::move(resources)) {
  if (runner_) {
    runner_->OnFinished([this](const jobs::JobState& job) {
      CountFinished(job);
      Enqueue(job.resource_id, 0);
    });
  }
}

AdapterRuntime::~AdapterRuntime() {
  Stop();
  // The runner's threads call OnFinished (Enqueue: retry_mu_, retry_cv_): join them before those
  // members are destroyed.
  runner_.reset();
}

Result<void> AdapterRuntime::Start() {
  {
    std::lock_guard lock(retry_mu_);
    stopping_ = false;
  }
  // As many re-evaluations at once as events: after a burst of jobs ends, one thread would
  // serialise their API round trips.
  while (retry_threads_.size() < static_cast<size_t>(std::max(1, config_.broker.parallelism))) {
    retry_threads_.emplace_back([this] { RetryLoop(); });
  }
  subscriber_ = HF_TRY(broker_.NewSubscriber());
  broker::SubscribeOptions options;
  options.parallelism = config_.broker.parallelism;
  HF_CHECK(subscriber_->Subscribe(
      config_.broker.topic, config_.broker.subscription,
      [this](const broker::Delivery& d) { return Handle(d); }, options));
  subscribed_ = true;
  // Whose status changes it acts on: "any" other adapter's, or the list (empty: none).
  const auto& from = config_.broker.status_changes_from;
  log::Logger("adapter").Info("subscribed", {{"adapter", config_.name},
                                             {"topic", config_.broker.topic},
                                             {"subscription", config_.broker.subscription},
                                             {"broker", broker_.Type()},
                                             {"status_changes_from", !reads_status_ ? json::array()
                                                                     : from         ? json(*from)
                                                                            : json("any")}});
  return {};
}

void AdapterRuntime::Stop() {
  subscribed_ = false;
  if (subscriber_) {
    (void)subscriber_->Stop();
    subscriber_.reset();
  }
  {
    std::lock_guard lock(retry_mu_);
    stopping_ = true;
  }
  retry_cv_.notify_all();
  for (auto& t : retry_threads_) t.join();
  retry_threads_.clear();
}

std::string AdapterRuntime::NotReadyReason() const {
  if (!subscribed_) return "not subscribed";
  if (std::string why = runner_ ? runner_->NotReadyReason() : ""; !why.empty()) return why;
  return api_.Probe();
}

broker::HandlerResult AdapterRuntime::Handle(const broker::Delivery& delivery) {
  const auto started = std::chrono::steady_clock::now();
  const log::Logger log("adapter");
  std::string status;
  auto event = model::CloudEvent::Decode(delivery.message.body);
  const std::string resource_id =
      event && event->data.is_object() ? StringField(event->data, "id") : std::string();
  Outcome outcome = Outcome::kTerminal;
  if (resource_id.empty()) {
    log.Warn("malformed event acked",
             {{"adapter", config_.name},
              {"message_id", delivery.message.id},
              {"error", event ? "data.id missing" : event.error().message}});
    status = "malformed";
  } else if (event->data.contains("kind") && event->data["kind"] != config_.kind->name) {
    status = "ignored";  // another kind's event on a shared topic
  } else if (const std::string cause = StringField(event->data, "adapter");
             StringField(event->data, "reason") == model::kStatusChangedReason && !cause.empty() &&
             !ActsOnStatusChangeOf(cause)) {
    status = "ignored";  // a status change this adapter does not act on
  } else {
    const TraceScope trace(event->traceparent);
    outcome = Reconcile(resource_id, event->data, Sequence(delivery.message));
    status = outcome == Outcome::kReported || outcome == Outcome::kWaiting ? "success"
             : outcome == Outcome::kSuperseded                             ? "superseded"
             : outcome == Outcome::kGone                                   ? "not_found"
             : outcome == Outcome::kTransient                              ? "nacked"
                                                                           : "failed";
    if (outcome == Outcome::kWaiting) Enqueue(resource_id, 1);
  }
  metrics_.events.WithLabels({config_.name, status}).Inc();
  metrics_.duration.WithLabels({config_.name})
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (outcome == Outcome::kTransient) {
    metrics_.nacks.WithLabels({config_.name}).Inc();
    return broker::HandlerResult::kNack;
  }
  return broker::HandlerResult::kAck;
}

bool AdapterRuntime::ActsOnStatusChangeOf(const std::string& adapter) const {
  if (adapter == config_.name || !reads_status_) return false;
  const auto& from = config_.broker.status_changes_from;
  return !from || std::ranges::find(*from, adapter) != from->end();
}

Outcome AdapterRuntime::Reconcile(const std::string& resource_id, const json& event,
                                  std::optional<int64_t> sequence) {
  Stripe& stripe = stripes_[std::hash<std::string>{}(resource_id) % stripes_.size()];
  std::lock_guard lock(stripe.mu);
  const auto known = stripe.seen.find(resource_id);
  Memory memory = known != stripe.seen.end() ? known->second : Memory{};
  if (sequence && memory.sequence && *sequence <= *memory.sequence) return Outcome::kSuperseded;
  const Outcome outcome = ReconcileLocked(resource_id, event, memory);
  if (outcome == Outcome::kGone) {
    stripe.seen.erase(resource_id);
  } else if (outcome == Outcome::kReported || outcome == Outcome::kWaiting) {
    if (stripe.seen.size() >= kMaxSeen && !stripe.seen.contains(resource_id)) stripe.seen.clear();
    Memory& kept = stripe.seen[resource_id];
    if (memory.sequence) kept.sequence = std::max(kept.sequence.value_or(0), *memory.sequence);
    kept.report = memory.report;
  }
  return outcome;
}

Outcome AdapterRuntime::ReconcileLocked(const std::string& resource_id, const json& event,
                                        Memory& memory) {
  const uint64_t last_report = std::exchange(memory.report, 0);
  const log::Logger log("adapter");
  auto fetched = api_.Get(*config_.kind, resource_id, "", {.traceparent = tls_traceparent});
  if (!fetched && fetched.error().code == ErrorCode::kNotFound) return Forget(resource_id);
  if (!fetched) {
    CountError("fetch");
    log.Warn("cannot fetch cluster", {{"adapter", config_.name},
                                      {"resource_id", resource_id},
                                      {"error", fetched.error().ToString()}});
    return fetched.error().Transient() ? Outcome::kTransient : Outcome::kTerminal;
  }
  const json& cluster = *fetched;
  if (const auto it = cluster.find("event_sequence");
      it != cluster.end() && it->is_number_integer()) {
    memory.sequence = it->get<int64_t>();
  }
  const int64_t generation = cluster.value("generation", int64_t{0});
  if (generation < 1) {
    CountError("fetch");
    log.Error("cluster has no generation",
              {{"adapter", config_.name}, {"resource_id", resource_id}});
    return Outcome::kTerminal;
  }
  if (cluster.contains("deleted_time") && !cluster["deleted_time"].is_null()) {
    return Finalize(resource_id, generation);
  }
  const json event_data =
      event.is_object() ? event : json{{"id", resource_id}, {"kind", config_.kind->name}};
  const ApiGet get = [this](const std::string& path) {
    return api_.Call("GET", path, std::nullopt, {.traceparent = tls_traceparent});
  };
  auto decision = Decide(config_, cluster, event_data, get);
  if (!decision) return ReportFailure(resource_id, generation, decision.error());
  auto discovered = ApplyResources(*decision);
  if (!discovered) return ReportFailure(resource_id, generation, discovered.error());
  const jobs::JobState* state = nullptr;
  std::optional<jobs::JobRunner::Created> job;
  if (decision->job) {
    auto found = runner_->Get(decision->job->name);
    if (!found) return ReportFailure(resource_id, generation, {"job", found.error()});
    if (*found) {
      job = jobs::JobRunner::Created{std::move(**found), false};
    } else {
      // Absent: not created yet, or (where finished jobs expire) finished and cleaned up. Our
      // own last report tells which; a generation's job never runs twice.
      if (runner_->FinishedJobsExpire()) {
        auto reported = ReportedOutcome(resource_id, generation, decision->job->name);
        if (!reported) return ReportFailure(resource_id, generation, {"job", reported.error()});
        if (*reported) return Outcome::kReported;
      }
      auto created = runner_->CreateIfAbsent(*decision->job);
      if (!created) return ReportFailure(resource_id, generation, {"job", created.error()});
      job = std::move(*created);
      if (job->created) metrics_.jobs_created.WithLabels({config_.name}).Inc();
    }
    state = &job->state;
  }
  auto report = BuildStatus(config_, *decision, state, *discovered);
  if (!report) return ReportFailure(resource_id, generation, report.error());
  const auto available = std::ranges::find(report->conditions, model::condition_type::kAvailable,
                                           &ReportCondition::type);
  const uint64_t digest =
      ReportDigest(generation, report->conditions, report->metadata, report->data);
  Outcome reported = Outcome::kReported;
  if (digest == last_report && StringField(event, "reason") == model::kStatusChangedReason &&
      available != report->conditions.end() &&
      Shows(own_condition_.Find(cluster), available->status, generation)) {
    metrics_.unchanged.WithLabels({config_.name}).Inc();  // the API holds this very report
    memory.report = digest;
  } else {
    bool stored = false;
    reported = Report(resource_id, generation, report->conditions, report->metadata, report->data,
                      &stored);
    if (stored) memory.report = digest;
  }
  // Resources change on the cluster, not through events: look again until they are available.
  if (reported == Outcome::kReported && !decision->resources.empty() && !decision->job &&
      available != report->conditions.end() &&
      available->status != model::condition_status::kTrue) {
    return Outcome::kWaiting;
  }
  return reported;
}

std::expected<json, PhaseError> AdapterRuntime::ApplyResources(const Decision& decision) {
  if (decision.resources.empty()) return json();
  if (auto applied = resources_->Apply(decision.resources); !applied) {
    return std::unexpected(PhaseError{"resources", applied.error()});
  }
  auto discovered = resources_->Discover(decision.resources);
  if (!discovered) return std::unexpected(PhaseError{"resources", discovered.error()});
  return std::move(*discovered);
}

Result<bool> AdapterRuntime::ReportedOutcome(const std::string& resource_id, int64_t generation,
                                             const std::string& job_name) {
  auto statuses =
      api_.ListStatuses(*config_.kind, resource_id, "", {.traceparent = tls_traceparent});
  if (!statuses && statuses.error().Transient()) return std::unexpected(statuses.error());
  if (!statuses || !statuses->contains("items") || !(*statuses)["items"].is_array()) {
    return false;  // cannot tell: run the job (it is idempotent for its generation)
  }
  for (const json& s : (*statuses)["items"]) {
    if (s.value("adapter", "") != config_.name) continue;
    json metadata = s.value("metadata", json::object());
    if (!metadata.is_object()) metadata = json::object();
    const std::string phase = metadata.value("job_phase", "");
    return s.value("observed_generation", int64_t{0}) == generation &&
           metadata.value("job_name", "") == job_name &&
           (phase == jobs::ToString(jobs::JobPhase::kSucceeded) ||
            phase == jobs::ToString(jobs::JobPhase::kFailed));
  }
  return false;
}

std::optional<size_t> AdapterRuntime::DeleteJobs(const std::string& resource_id) {
  if (!runner_) return 0;
  auto jobs = runner_->ListByResource(resource_id);
  if (!jobs) {
    CountError("cleanup");
    return std::nullopt;
  }
  for (const auto& job : *jobs) {
    if (!runner_->Delete(job.name)) {
      CountError("cleanup");
      return std::nullopt;
    }
  }
  return jobs->size();
}

Outcome AdapterRuntime::Finalize(const std::string& resource_id, int64_t generation) {
  const auto deleted = DeleteJobs(resource_id);
  if (!deleted) return Outcome::kTransient;
  if (resources_) {
    auto remaining = resources_->Delete(resource_id);
    if (!remaining) {
      return ReportFailure(resource_id, generation, {"cleanup", remaining.error()});
    }
    if (!remaining->empty()) {
      const Outcome reported =
          Report(resource_id, generation, CleanupConditions(*remaining, config_.reasons));
      return reported == Outcome::kReported ? Outcome::kWaiting : reported;
    }
  }
  return Report(resource_id, generation,
                FinalizedConditions(runner_ ? std::optional(*deleted) : std::nullopt,
                                    config_.reasons, resources_ != nullptr));
}

Outcome AdapterRuntime::Forget(const std::string& resource_id) {
  // Normally nothing is left (Finalize removed it); after a force-delete our jobs and objects
  // still are.
  const auto deleted = DeleteJobs(resource_id);
  if (!deleted) return Outcome::kTransient;
  if (resources_) {
    auto remaining = resources_->Delete(resource_id);
    if (!remaining) {
      CountError("cleanup");
      return Outcome::kTransient;
    }
    if (!remaining->empty()) return Outcome::kWaiting;
  }
  log::Logger("adapter").Info(
      *deleted == 0 ? "cluster not found; nothing to do" : "cluster gone; removed its jobs",
      {{"adapter", config_.name}, {"resource_id", resource_id}, {"jobs_deleted", *deleted}});
  return Outcome::kGone;
}

Outcome AdapterRuntime::Report(const std::string& resource_id, int64_t generation,
                               const std::vector<ReportCondition>& conditions,
                               const nlohmann::json& metadata, const nlohmann::json& data,
                               bool* stored) {
  auto body = BuildReport(config_.name, generation, Now(), conditions, metadata, data);
  auto put = api_.PutStatus(*config_.kind, resource_id, body, {.traceparent = tls_traceparent});
  if (put) {
    if (stored) *stored = *put == client::StatusOutcome::kStored;
    const auto available =
        std::ranges::find(conditions, model::condition_type::kAvailable, &ReportCondition::type);
    metrics_.reports.WithLabels({config_.name}).Inc();
    log::Logger("adapter").Info(
        "status reported", {{"adapter", config_.name},
                            {"resource_id", resource_id},
                            {"generation", generation},
                            {"available", available != conditions.end() ? available->status : ""},
                            {"reason", available != conditions.end() ? available->reason : ""},
                            {"stored", *put == client::StatusOutcome::kStored}});
    return Outcome::kReported;
  }
  if (put.error().code == ErrorCode::kNotFound) return Outcome::kGone;
  CountError("report");
  log::Logger("adapter").Warn(
      "status report failed",
      {{"adapter", config_.name}, {"resource_id", resource_id}, {"error", put.error().ToString()}});
  return put.error().Transient() ? Outcome::kTransient : Outcome::kTerminal;
}

Outcome AdapterRuntime::ReportFailure(const std::string& resource_id, int64_t generation,
                                      const PhaseError& failure) {
  const auto& [phase, error] = failure;
  if (error.Transient()) {
    CountError(phase);
    return Outcome::kTransient;
  }
  CountError(phase);
  log::Logger("adapter").Error("execution failed", {{"adapter", config_.name},
                                                    {"resource_id", resource_id},
                                                    {"phase", phase},
                                                    {"error", error.ToString()}});
  Outcome reported =
      Report(resource_id, generation, ExecutionFailedConditions(phase, error.message));
  return reported == Outcome::kTransient ? Outcome::kTransient : Outcome::kTerminal;
}

void AdapterRuntime::CountError(const std::string& phase) {
  metrics_.errors.WithLabels({config_.name, phase}).Inc();
}

void AdapterRuntime::CountFinished(const jobs::JobState& job) {
  const std::string result(jobs::ToString(job.phase));
  metrics_.jobs_finished.WithLabels({config_.name, result}).Inc();
  const Time end = job.finished_time.value_or(Now());
  metrics_.job_duration.WithLabels({config_.name, result})
      .Observe(std::max(0.0, std::chrono::duration<double>(end - job.created_time).count()));
}

void AdapterRuntime::Enqueue(const std::string& resource_id, int attempt) {
  {
    std::lock_guard lock(retry_mu_);
    if (stopping_ || !queued_.insert(resource_id).second) return;
    Duration delay{0};
    if (attempt > 0) delay = kRetryBackoff.Delay(attempt);
    retries_.push_back({resource_id, attempt, std::chrono::steady_clock::now() + delay});
  }
  retry_cv_.notify_all();
}

void AdapterRuntime::RetryLoop() {
  std::unique_lock lock(retry_mu_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    auto due = std::find_if(retries_.begin(), retries_.end(),
                            [&](const Retry& r) { return r.due <= now; });
    if (due == retries_.end()) {
      auto next = now + std::chrono::seconds(1);
      for (const auto& r : retries_) next = std::min(next, r.due);
      retry_cv_.wait_until(lock, next);
      continue;
    }
    Retry item = std::move(*due);
    retries_.erase(due);
    queued_.erase(item.resource_id);
    lock.unlock();
    Outcome outcome = Reconcile(item.resource_id);
    if ((outcome == Outcome::kTransient || outcome == Outcome::kWaiting) &&
        item.attempt < kMaxRetries && !stop_) {
      Enqueue(item.resource_id, item.attempt + 1);
    }
    lock.lock();
  }
}

}  // namespace hf::adapter
