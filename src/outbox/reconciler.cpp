#include "outbox/reconciler.hpp"

#include "common/log.hpp"
#include "model/kinds.hpp"

namespace hf::outbox {
namespace {

const log::Logger kLog{"outbox"};

}  // namespace

Reconciler::Reconciler(store::Store& store, broker::Publisher& publisher, ReconcilerOptions options)
    : store_(store),
      publisher_(publisher),
      options_(std::move(options)),
      published_total_(metrics::Registry::Default()
                           .AddCounter("hyperfleet_outbox_published_total",
                                       "Outbox events published to the broker.")
                           .Get()),
      errors_total_(metrics::Registry::Default()
                        .AddCounter("hyperfleet_outbox_publish_errors_total",
                                    "Outbox events the broker did not accept.")
                        .Get()),
      publish_duration_(
          metrics::Registry::Default()
              .AddHistogram("hyperfleet_outbox_publish_duration_seconds",
                            "Time to publish one claimed batch.", {},
                            {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})
              .Get()) {}

Reconciler::~Reconciler() { Stop(); }

std::string Reconciler::TopicFor(const std::string& aggregate_type) const {
  if (auto it = options_.topics.find(aggregate_type); it != options_.topics.end()) {
    return it->second;
  }
  const model::ResourceKind* kind = model::FindKind(aggregate_type);
  return kind ? std::string(kind->default_topic) : "hyperfleet." + aggregate_type + ".changed.v1";
}

Result<int> Reconciler::RunOnce() {
  auto tx = HF_TRY(store_.Begin(store::TxMode::kWrite));
  Time now = Now();
  auto rows = HF_TRY(tx->ClaimOutbox(options_.batch_size, now));
  if (rows.empty()) return 0;

  // One Publish call per topic, keeping each row's index to match the per-message results. Rows
  // come in runs of one aggregate type: its topic is looked up once per run.
  std::map<std::string, std::vector<size_t>> by_topic;
  std::vector<size_t>* run = nullptr;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == 0 || rows[i].aggregate_type != rows[i - 1].aggregate_type) {
      run = &by_topic[TopicFor(rows[i].aggregate_type)];
    }
    run->push_back(i);
  }
  std::vector<int64_t> published;
  std::string last_error;
  auto start = std::chrono::steady_clock::now();
  for (const auto& [topic, indexes] : by_topic) {
    // The rows' texts move into the messages: after the publish only their ids and attempts
    // are read.
    std::vector<broker::Message> batch(indexes.size());
    for (size_t k = 0; k < indexes.size(); ++k) {
      auto& row = rows[indexes[k]];
      auto& m = batch[k];
      m.id = std::move(row.event_id);
      m.body = std::move(row.payload);
      m.attributes.emplace("ce_type", std::move(row.event_type));
      m.attributes.emplace("aggregate_id", std::move(row.aggregate_id));
      m.attributes.emplace("reason", std::move(row.reason));
      m.attributes.emplace("aggregate_type", std::move(row.aggregate_type));
      if (row.aggregate_sequence) {
        m.attributes.emplace(std::string(model::kAggregateSequenceAttribute),
                             std::to_string(*row.aggregate_sequence));
      }
    }
    auto results = publisher_.Publish(topic, batch);
    int failed = 0;
    std::string first_error;
    for (size_t k = 0; k < indexes.size(); ++k) {
      const auto& row = rows[indexes[k]];
      if (k < results.size() && results[k]) {
        published.push_back(row.id);
        continue;
      }
      std::string error = k < results.size() ? results[k].error().message : "no result";
      HF_CHECK(tx->MarkFailed(row.id, error, now + options_.backoff.Delay(row.attempts + 1)));
      if (failed++ == 0) first_error = error;
    }
    if (failed > 0) last_error = first_error;
    if (failed > 0) {
      errors_total_.Inc(failed);
      kLog.Warn("publish failed; rows will be retried with backoff",
                {{"topic", topic}, {"failed", failed}, {"error", first_error}});
    }
  }
  publish_duration_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!published.empty()) HF_CHECK(tx->MarkPublished(published, Now()));
  HF_CHECK(tx->Commit());
  {
    std::lock_guard lock(error_mu_);
    publish_error_ = published.empty() ? last_error : std::string();
  }
  published_total_.Inc(static_cast<double>(published.size()));
  if (kLog.Enabled(log::Level::kDebug)) {
    kLog.Debug("published batch", {{"published", published.size()}, {"claimed", rows.size()}});
  }
  return static_cast<int>(published.size());
}

std::string Reconciler::PublishError() const {
  std::lock_guard lock(error_mu_);
  return publish_error_;
}

Result<int64_t> Reconciler::DeleteExpired() {
  int64_t total = 0;
  for (;;) {
    auto tx = HF_TRY(store_.Begin(store::TxMode::kWrite));
    int64_t n = HF_TRY(tx->DeletePublishedBefore(Now() - options_.retention, 1000));
    HF_CHECK(tx->Commit());
    total += n;
    if (n < 1000) return total;
  }
}

void Reconciler::Start() {
  stop_ = std::make_unique<StopSignal>();
  thread_ = std::thread([this, &stop = *stop_] { Loop(stop); });
}

void Reconciler::Stop() {
  if (stop_) stop_->Stop();
  if (thread_.joinable()) thread_.join();
}

void Reconciler::Loop(const StopSignal& stop) {
  // A failed pass (the store is down) is retried quickly, so publishing resumes within a second
  // of the store coming back.
  const BackoffPolicy pass_retry{std::chrono::milliseconds(100), std::chrono::seconds(1), 0.2};
  auto next_retention = std::chrono::steady_clock::now();
  int failures = 0;
  while (!stop.stopped()) {
    auto n = RunOnce();
    if (!n) {
      const Duration wait = pass_retry.Delay(++failures);
      kLog.Warn("outbox pass failed; retrying",
                {{"error", n.error().ToString()}, {"retry_in_ms", wait.count()}});
      stop.WaitFor(wait);
      continue;
    }
    failures = 0;
    if (std::chrono::steady_clock::now() >= next_retention) {
      next_retention = std::chrono::steady_clock::now() + options_.retention_interval;
      if (auto deleted = DeleteExpired(); deleted && *deleted > 0) {
        kLog.Info("deleted published events past retention", {{"deleted", *deleted}});
      }
    }
    if (*n >= options_.batch_size) continue;  // more may be waiting
    WaitForWork(stop);
  }
}

void Reconciler::WaitForWork(const StopSignal& stop) {
  // Wakes on a new row, or after poll_interval (rows that failed become due later). The wait is
  // cut into slices of at most a second so that Stop() is prompt.
  auto deadline = std::chrono::steady_clock::now() + options_.poll_interval;
  while (!stop.stopped()) {
    auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left <= Duration::zero()) return;
    if (store_.WaitForOutbox(std::min<Duration>(left, std::chrono::seconds(1)))) return;
  }
}

void RegisterOutboxGauges(store::Store& store) {
  auto& registry = metrics::Registry::Default();
  auto& pending =
      registry.AddGauge("hyperfleet_outbox_pending", "Outbox events not yet published.").Get();
  auto& oldest = registry
                     .AddGauge("hyperfleet_outbox_oldest_pending_age_seconds",
                               "Age of the oldest unpublished outbox event.")
                     .Get();
  registry.AddCollector([&store, &pending, &oldest] {
    auto tx = store.Begin(store::TxMode::kRead);
    if (!tx) return;
    auto stats = (*tx)->GetOutboxStats();
    if (!stats) return;
    pending.Set(static_cast<double>(stats->pending));
    oldest.Set(stats->oldest_pending_created
                   ? std::chrono::duration<double>(Now() - *stats->oldest_pending_created).count()
                   : 0);
  });
}

}  // namespace hf::outbox
