#include <thread>

#include "api/api_handler.hpp"
#include "api/backlog_gauges.hpp"
#include "app/commands.hpp"
#include "app/components.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/signals.hpp"

namespace hf::app {
namespace {

const log::Logger kLog{"api"};

}  // namespace

int RunApi(Settings& s, CLI::App&) {
  BlockTerminationSignals();
  auto verifier = OpenVerifier(s);
  if (!verifier) return StartupFailure("api", verifier.error());
  if (!*verifier) {
    kLog.Warn("authentication is off: anyone who can reach the API may change every resource",
              {{"setting", "auth.enabled=false"}});
  }
  auto opened = OpenStore(s);
  if (!opened) return StartupFailure("api", opened.error());
  store::Store& store = **opened;

  // --with-outbox: the reconciler shares this process and its store (in-process wake-ups).
  Outbox publishing;
  if (s.with_outbox) {
    auto opened_outbox = OpenOutbox(s, store);
    if (!opened_outbox) return StartupFailure("api", opened_outbox.error());
    publishing = std::move(*opened_outbox);
  }
  outbox::Reconciler* reconciler = publishing.reconciler.get();

  service::Kinds kinds({s.cluster_adapters, s.cluster_optional_adapters},
                       {s.nodepool_adapters, s.nodepool_optional_adapters});
  api::ApiHandler handler(store, kinds, verifier->get(), s.limits, EventStreamOptions(s));
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
  OpsServers ops(s, [&store, reconciler] { return NotReadyReason(store, reconciler); });
  if (auto started = server.Start(); !started) return StartupFailure("api", started.error());
  if (auto started = ops.Start(); !started) return StartupFailure("api", started.error());
  if (reconciler) reconciler->Start();
  const char* scheme = s.tls_cert_file.empty() ? "http://" : "https://";
  kLog.Info("serving", {{"url", scheme + s.host + ":" + std::to_string(server.port())},
                        {"auth", *verifier != nullptr},
                        {"health", s.health_host + ":" + std::to_string(s.health_port)},
                        {"metrics", s.metrics_host + ":" + std::to_string(s.metrics_port)},
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

}  // namespace hf::app
