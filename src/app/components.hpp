#pragma once

#include <memory>

#include "app/settings.hpp"
#include "auth/token_verifier.hpp"
#include "broker/broker.hpp"
#include "common/http_server.hpp"
#include "common/ops_handlers.hpp"
#include "outbox/reconciler.hpp"
#include "service/outbox_feed.hpp"
#include "store/store.hpp"

namespace hf::app {

// Opens the store named by settings.db and, unless skip_migrations, applies pending migrations.
Result<std::unique_ptr<store::Store>> OpenStore(const Settings& s);
// Opens the broker named by settings.broker (memory, googlepubsub, rabbitmq).
Result<std::shared_ptr<broker::Broker>> OpenBroker(const Settings& s);

// The outbox reconciler of one process and what it publishes through. Members are declared in
// dependency order, so they are destroyed reconciler first.
struct Outbox {
  std::shared_ptr<broker::Broker> broker;  // `dev` also hands it to its adapters
  std::unique_ptr<broker::Publisher> publisher;
  std::unique_ptr<outbox::Reconciler> reconciler;  // not started
};
// Opens the broker (OpenBroker), a publisher and a reconciler on `store` (options from settings:
// topics per aggregate type, batch size, intervals), and registers the outbox depth gauges and
// the broker counters. Used by `outbox`, `api --with-outbox` and `dev`; `store` must outlive it.
Result<Outbox> OpenOutbox(const Settings& s, store::Store& store);
// The API's token verifier: nullptr when auth.enabled is false (a trusted network). With auth on
// and no issuer configured, an error saying what to set.
Result<std::unique_ptr<auth::TokenVerifier>> OpenVerifier(const Settings& s);
// The REST API server's options: host, port, threads, and problem+json for oversized bodies.
http::ServerOptions ApiServerOptions(const Settings& s);
// The options of the API's event streams (GET /events/stream).
service::OutboxFeedOptions EventStreamOptions(const Settings& s);
// Registers hyperfleet_broker_* gauges read from the broker's counters at each scrape.
void RegisterBrokerMetrics(broker::Broker& broker);

// Why a process with this store (and, if given, an outbox reconciler) is not ready: the database
// does not answer, or the latest publish attempt failed. "" when ready.
std::string NotReadyReason(store::Store& store, const outbox::Reconciler* reconciler);

// The health (/healthz, /readyz) and metrics (/metrics) servers every component runs.
class OpsServers {
 public:
  OpsServers(const Settings& s, http::ReadinessCheck ready, http::ReadinessCheck alive = nullptr);
  Result<void> Start();
  void Stop();
  std::atomic<bool>& draining() { return draining_; }

 private:
  std::atomic<bool> draining_{false};
  http::Server health_;
  http::Server metrics_;
};

// Prints "hyperfleet <cmd>: <message>" and returns the exit code for a startup error
// (2 for bad input, 1 otherwise).
int StartupFailure(const char* command, const Error& error);

}  // namespace hf::app
