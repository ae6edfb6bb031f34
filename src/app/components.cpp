#include "app/components.hpp"

#include <iostream>

#include "api/api_handler.hpp"
#include "api/console.hpp"
#include "api/problem_details.hpp"
#include "broker/open_broker.hpp"
#include "common/backoff.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/signals.hpp"
#include "model/kinds.hpp"

namespace hf::app {
namespace {

http::ServerOptions OpsOptions(const std::string& host, int port) {
  http::ServerOptions o;
  o.host = host;
  o.port = port;
  o.threads = 2;
  o.max_running_handlers = 2;
  return o;
}

// A PostgreSQL that does not answer yet (starting with us, restarting) is waited for, bounded
// by db_startup_wait, instead of failing the process: it recovers by itself.
Result<std::unique_ptr<store::Store>> OpenStoreWaiting(const Settings& s,
                                                       const store::StoreOptions& options) {
  const bool network = s.db.starts_with("postgres");
  const auto give_up = std::chrono::steady_clock::now() + s.db_startup_wait;
  const BackoffPolicy retry{std::chrono::milliseconds(500), std::chrono::seconds(5), 0.2};
  for (int attempt = 1;; ++attempt) {
    auto store = store::OpenStore(s.db, options);
    const Duration backoff = retry.Delay(attempt);
    if (store || !network || !store.error().Transient() ||
        std::chrono::steady_clock::now() + backoff > give_up) {
      return store;
    }
    log::Logger("store").Warn(
        "database unavailable; retrying",
        {{"error", store.error().ToString()},
         {"retry_in", FormatDuration(backoff)},
         {"gives_up_in", FormatDuration(std::chrono::duration_cast<Duration>(
                             give_up - std::chrono::steady_clock::now()))},
         {"hint", "check that PostgreSQL is running and the db URL (HYPERFLEET_DB) is right"}});
    if (WaitForTerminationSignal(backoff) != 0) {
      return Fail(ErrorCode::kUnavailable, "stopped while waiting for the database");
    }
  }
}

}  // namespace

Result<std::unique_ptr<store::Store>> OpenStore(const Settings& s) {
  store::StoreOptions options;
  options.max_connections = s.db_max_connections;
  options.query_timeout = s.db_query_timeout;
  auto store = HF_TRY(OpenStoreWaiting(s, options));
  if (!s.skip_migrations) {
    auto report = HF_TRY(store->Migrate());
    log::Logger("store").Info("migrations checked",
                              {{"applied", report.applied}, {"known", report.total}});
  }
  return store;
}

Result<std::shared_ptr<broker::Broker>> OpenBroker(const Settings& s) {
  broker::BrokerConfig c;
  c.type = s.broker;
  c.pubsub_project = s.pubsub_project;
  c.pubsub_credentials_file = s.pubsub_credentials_file;
  c.rabbitmq_url = s.rabbitmq_url;
  return broker::OpenBroker(c);
}

Result<Outbox> OpenOutbox(const Settings& s, store::Store& store) {
  outbox::ReconcilerOptions o;
  if (!s.topic.empty()) o.topics[std::string(model::kCluster.name)] = s.topic;
  if (!s.nodepool_topic.empty()) o.topics[std::string(model::kNodePool.name)] = s.nodepool_topic;
  o.batch_size = s.outbox_batch_size;
  o.poll_interval = s.outbox_poll_interval;
  o.backoff.max = s.outbox_backoff_max;
  o.retention = s.outbox_retention;
  Outbox outbox;
  outbox.broker = HF_TRY(OpenBroker(s));
  outbox.publisher = HF_TRY(outbox.broker->NewPublisher());
  outbox.reconciler = std::make_unique<outbox::Reconciler>(store, *outbox.publisher, std::move(o));
  outbox::RegisterOutboxGauges(store);
  RegisterBrokerMetrics(*outbox.broker);
  return outbox;
}

Result<std::unique_ptr<auth::TokenVerifier>> OpenVerifier(const Settings& s) {
  if (!s.auth_enabled) return nullptr;
  if (s.auth_issuers.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "authentication is on but no token issuer is configured: set auth.issuers in "
                "the --config file (README: Authentication), or HYPERFLEET_AUTH_ENABLED=false "
                "on a trusted network");
  }
  return auth::TokenVerifier::Create(s.auth_issuers);
}

http::ServerOptions ApiServerOptions(const Settings& s) {
  http::ServerOptions options;
  options.host = s.host;
  options.port = s.port;
  options.threads = s.server_threads;
  options.tls_cert_file = s.tls_cert_file;
  options.tls_key_file = s.tls_key_file;
  options.max_connections = static_cast<size_t>(s.max_connections);
  options.max_running_handlers = static_cast<size_t>(s.max_running_handlers);
  options.max_queued_requests = static_cast<size_t>(s.max_queued_requests);
  options.max_pending_response_bytes = static_cast<size_t>(s.max_pending_response_bytes);
  // Answered from memory (the index, the console) or deferred (a read of one resource): these run
  // on the server's own threads, not in a handler slot, and stay served while every slot is taken.
  options.unlimited = [](const http::Request& req) {
    return req.path == "/api/hyperfleet" || api::IsConsolePath(req) ||
           api::AnswersWithoutBlocking(req);
  };
  options.error_response = [limit = options.body_limit](const http::Request& req, int status,
                                                        const std::string& detail) {
    if (status == 413) return api::PayloadTooLarge(req.path, limit);
    if (status == 414 || status == 431 || status == 503) {
      return api::ServerRefusal(status, detail, req.path);
    }
    return api::Problem(
        Error{status == 400 ? ErrorCode::kMalformed : ErrorCode::kInternal, detail, "", {}},
        req.path, "");
  };
  return options;
}

service::OutboxFeedOptions EventStreamOptions(const Settings& s) {
  service::OutboxFeedOptions o;
  o.max_subscribers = static_cast<size_t>(s.event_stream_max);
  o.heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(s.event_stream_heartbeat);
  return o;
}

std::string NotReadyReason(store::Store& store, const outbox::Reconciler* reconciler) {
  if (!store.Ping(std::chrono::milliseconds(2000))) return "database unavailable";
  if (reconciler) {
    if (auto error = reconciler->PublishError(); !error.empty()) {
      return "broker unavailable: " + error;
    }
  }
  return {};
}

void RegisterBrokerMetrics(broker::Broker& broker) {
  auto& r = metrics::Registry::Default();
  auto& family = r.AddGauge("hyperfleet_broker_messages", "Broker message counters by outcome.",
                            {"broker", "outcome"});
  r.AddCollector([&broker, &family] {
    auto st = broker.Stats();
    std::string type = broker.Type();
    family.WithLabels({type, "published"}).Set(static_cast<double>(st.published));
    family.WithLabels({type, "publish_error"}).Set(static_cast<double>(st.publish_errors));
    family.WithLabels({type, "delivered"}).Set(static_cast<double>(st.delivered));
    family.WithLabels({type, "acked"}).Set(static_cast<double>(st.acked));
    family.WithLabels({type, "nacked"}).Set(static_cast<double>(st.nacked));
    family.WithLabels({type, "dead_lettered"}).Set(static_cast<double>(st.dead_lettered));
  });
}

OpsServers::OpsServers(const Settings& s, http::ReadinessCheck ready, http::ReadinessCheck alive)
    : health_(OpsOptions(s.health_host, s.health_port),
              http::HealthHandler(std::move(ready), &draining_, std::move(alive))),
      metrics_(OpsOptions(s.metrics_host, s.metrics_port), http::MetricsHandler()) {}

Result<void> OpsServers::Start() {
  HF_CHECK(health_.Start());
  return metrics_.Start();
}

void OpsServers::Stop() {
  draining_ = true;
  health_.Stop(std::chrono::milliseconds(100));
  metrics_.Stop(std::chrono::milliseconds(100));
}

int StartupFailure(const char* command, const Error& error) {
  std::cerr << "hyperfleet " << command << ": " << error.message;
  if (!error.detail.empty()) std::cerr << " (" << error.detail << ")";
  std::cerr << "\n";
  return error.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

}  // namespace hf::app
