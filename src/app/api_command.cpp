#include <iostream>

#include "api/api_handler.hpp"
#include "api/problem_details.hpp"
#include "app/commands.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/ops_handlers.hpp"
#include "common/signals.hpp"
#include "store/store.hpp"

namespace hf::app {
namespace {

const log::Logger kLog{"api"};

Result<std::unique_ptr<store::Store>> OpenAndMigrate(const Settings& s, bool migrate) {
  store::StoreOptions options;
  options.max_connections = s.db_max_connections;
  options.query_timeout = s.db_query_timeout;
  auto store = HF_TRY(store::OpenStore(s.db, options));
  if (migrate) {
    auto report = HF_TRY(store->Migrate());
    kLog.Info("migrations checked", {{"applied", report.applied}, {"known", report.total}});
  }
  return store;
}

http::ServerOptions OpsOptions(const std::string& host, int port) {
  http::ServerOptions o;
  o.host = host;
  o.port = port;
  o.threads = 2;
  return o;
}

}  // namespace

int RunMigrate(Settings& s, CLI::App&) {
  store::StoreOptions options;
  auto store = store::OpenStore(s.db, options);
  if (!store) {
    std::cerr << "hyperfleet migrate: " << store.error().message << "\n";
    return store.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  auto report = (*store)->Migrate();
  if (!report) {
    std::cerr << "hyperfleet migrate: " << report.error().ToString() << "\n";
    return 1;
  }
  if (report->applied.empty()) {
    std::cout << "schema is up to date (" << report->total << " migrations)\n";
  } else {
    for (const auto& name : report->applied) std::cout << "applied " << name << "\n";
    std::cout << "schema is up to date (" << report->total << " migrations)\n";
  }
  return 0;
}

int RunApi(Settings& s, CLI::App&) {
  BlockTerminationSignals();
  auto store = OpenAndMigrate(s, !s.skip_migrations);
  if (!store) {
    std::cerr << "hyperfleet api: " << store.error().ToString() << "\n";
    return store.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  service::Kinds kinds(s.cluster_adapters, s.nodepool_adapters);
  api::ApiHandler handler(**store, kinds);
  auto& registry = metrics::Registry::Default();
  registry.AddGauge("hyperfleet_api_build_info", "Build information.", {"component", "version"})
      .WithLabels({"api", HF_VERSION})
      .Set(1);
  auto& open = registry.AddGauge("hyperfleet_db_connections_open", "Open database connections.")
                   .Get();
  auto& in_use =
      registry.AddGauge("hyperfleet_db_connections_in_use", "Database connections in use.").Get();
  store::Store* st = store->get();
  registry.AddCollector([st, &open, &in_use] {
    auto stats = st->Stats();
    open.Set(stats.open);
    in_use.Set(stats.in_use);
  });

  std::atomic<bool> draining{false};
  http::ServerOptions api_options;
  api_options.host = s.host;
  api_options.port = s.port;
  api_options.threads = s.server_threads;
  api_options.too_large = [limit = api_options.body_limit](const http::Request& req) {
    return api::PayloadTooLarge(req.path, limit);
  };
  http::Server api_server(api_options, [&handler](const http::Request& r) {
    return handler.Handle(r);
  });
  http::Server health_server(OpsOptions(s.host, s.health_port),
                             http::HealthHandler(
                                 [st] {
                                   auto ping = st->Ping(std::chrono::milliseconds(2000));
                                   return ping ? std::string() : "database unavailable";
                                 },
                                 &draining));
  http::Server metrics_server(OpsOptions(s.host, s.metrics_port), http::MetricsHandler());
  for (auto* server : {&api_server, &health_server, &metrics_server}) {
    if (auto started = server->Start(); !started) {
      std::cerr << "hyperfleet api: " << started.error().message << "\n";
      return 1;
    }
  }
  kLog.Info("serving", {{"api", "http://" + s.host + ":" + std::to_string(api_server.port())},
                        {"health_port", health_server.port()},
                        {"metrics_port", metrics_server.port()},
                        {"db", s.db.substr(0, s.db.find(':'))}});
  int sig = WaitForTerminationSignal();
  kLog.Info("draining", {{"signal", sig}});
  draining = true;
  api_server.Stop(std::chrono::milliseconds(10'000));
  health_server.Stop(std::chrono::milliseconds(100));
  metrics_server.Stop(std::chrono::milliseconds(100));
  kLog.Info("stopped");
  return 0;
}

}  // namespace hf::app
