#include <iostream>
#include <thread>

#include "api/api_handler.hpp"
#include "api/backlog_gauges.hpp"
#include "api/problem_details.hpp"
#include "app/commands.hpp"
#include "app/components.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/signals.hpp"

namespace hf::app {
namespace {

const log::Logger kLog{"api"};

}  // namespace

int RunMigrate(Settings& s, CLI::App&) {
  auto store = store::OpenStore(s.db, {});
  if (!store) return StartupFailure("migrate", store.error());
  auto report = (*store)->Migrate();
  if (!report) return StartupFailure("migrate", report.error());
  for (const auto& name : report->applied) std::cout << "applied " << name << "\n";
  std::cout << "schema is up to date (" << report->total << " migrations)\n";
  return 0;
}

int RunApi(Settings& s, CLI::App&) {
  BlockTerminationSignals();
  auto opened = OpenStore(s);
  if (!opened) return StartupFailure("api", opened.error());
  store::Store& store = **opened;

  // --with-outbox: the reconciler shares this process and its store (in-process wake-ups).
  std::shared_ptr<broker::Broker> broker;
  std::unique_ptr<broker::Publisher> publisher;
  std::unique_ptr<outbox::Reconciler> reconciler;
  if (s.with_outbox) {
    auto b = OpenBroker(s);
    if (!b) return StartupFailure("api", b.error());
    broker = *b;
    auto p = broker->NewPublisher();
    if (!p) return StartupFailure("api", p.error());
    publisher = std::move(*p);
    reconciler = std::make_unique<outbox::Reconciler>(store, *publisher, OutboxOptions(s));
    outbox::RegisterOutboxGauges(store);
    RegisterBrokerMetrics(*broker);
  }

  service::Kinds kinds(s.cluster_adapters, s.nodepool_adapters);
  api::ApiHandler handler(store, kinds);
  api::RegisterBacklogGauges(store, kinds, s.reconciliation_stuck_threshold);
  auto& registry = metrics::Registry::Default();
  registry.AddGauge("hyperfleet_api_build_info", "Build information.", {"component", "version"})
      .WithLabels({"api", HF_VERSION})
      .Set(1);
  auto& open =
      registry.AddGauge("hyperfleet_db_connections_open", "Open database connections.").Get();
  auto& in_use =
      registry.AddGauge("hyperfleet_db_connections_in_use", "Database connections in use.").Get();
  registry.AddCollector([&store, &open, &in_use] {
    auto stats = store.Stats();
    open.Set(stats.open);
    in_use.Set(stats.in_use);
  });

  http::Server server(ApiServerOptions(s),
                      [&handler](const http::Request& r) { return handler.Handle(r); });
  OpsServers ops(s, [&store, &reconciler] {
    return NotReadyReason(store, reconciler ? &*reconciler : nullptr);
  });
  if (auto started = server.Start(); !started) return StartupFailure("api", started.error());
  if (auto started = ops.Start(); !started) return StartupFailure("api", started.error());
  if (reconciler) reconciler->Start();
  kLog.Info("serving", {{"url", "http://" + s.host + ":" + std::to_string(server.port())},
                        {"health_port", s.health_port},
                        {"metrics_port", s.metrics_port},
                        {"db", s.db.substr(0, s.db.find(':'))},
                        {"with_outbox", s.with_outbox}});
  int sig = WaitForTerminationSignal();
  kLog.Info("draining", {{"signal", sig}, {"shutdown_delay", FormatDuration(s.shutdown_delay)}});
  ops.draining() = true;
  std::this_thread::sleep_for(s.shutdown_delay);  // still serving; only /readyz says 503
  server.Stop(std::chrono::milliseconds(10'000));
  if (reconciler) reconciler->Stop();
  ops.Stop();
  kLog.Info("stopped");
  return 0;
}

int RunOutbox(Settings& s, CLI::App&) {
  BlockTerminationSignals();
  auto opened = OpenStore(s);
  if (!opened) return StartupFailure("outbox", opened.error());
  store::Store& store = **opened;
  auto broker = OpenBroker(s);
  if (!broker) return StartupFailure("outbox", broker.error());
  auto publisher = (*broker)->NewPublisher();
  if (!publisher) return StartupFailure("outbox", publisher.error());
  outbox::Reconciler reconciler(store, **publisher, OutboxOptions(s));
  outbox::RegisterOutboxGauges(store);
  RegisterBrokerMetrics(**broker);
  OpsServers ops(s, [&store, &reconciler] { return NotReadyReason(store, &reconciler); });
  if (auto started = ops.Start(); !started) return StartupFailure("outbox", started.error());
  reconciler.Start();
  log::Logger("outbox").Info(
      "publishing", {{"broker", (*broker)->Type()}, {"db", s.db.substr(0, s.db.find(':'))}});
  WaitForTerminationSignal();
  ops.draining() = true;
  reconciler.Stop();
  ops.Stop();
  return 0;
}

}  // namespace hf::app
