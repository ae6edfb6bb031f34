// `hyperfleet dev`: API + outbox + ticker + the example adapters in one process
// (docs/architecture.md#components).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "adapter/adapter_config.hpp"
#include "adapter/adapter_runtime.hpp"
#include "api/api_handler.hpp"
#include "api/backlog_gauges.hpp"
#include "api/loopback_guard.hpp"
#include "api/problem_details.hpp"
#include "app/commands.hpp"
#include "app/components.hpp"
#include "app/transition_log.hpp"
#include "auth/local_issuer.hpp"
#include "common/file.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"
#include "model/kinds.hpp"
#include "ticker/ticker.hpp"

namespace hf::app {
namespace {

namespace fs = std::filesystem;
const log::Logger kLog{"dev"};

// The shipped example adapters: next to the binary's source tree (build/bin/../../deploy), or
// the source directory the binary was built from.
std::string DefaultAdaptersDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path candidate = exe.parent_path() / ".." / ".." / "deploy" / "adapters";
    if (fs::is_directory(candidate, ec)) return fs::canonical(candidate, ec).string();
  }
  return std::string(HF_SOURCE_DIR) + "/deploy/adapters";
}

Result<std::vector<adapter::AdapterConfig>> LoadAdapters(const std::string& dir,
                                                         const std::string& api_url,
                                                         const std::string& data_dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Fail(ErrorCode::kInvalidArgument, "adapters directory '" + dir + "' does not exist");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<adapter::AdapterConfig> configs;
  for (const auto& file : files) {
    auto config = HF_TRY(adapter::LoadAdapterConfig(file.string()));
    // dev runs local jobs only, no Kubernetes resources
    if (!config.job || config.job->runner.backend != jobs::kLocalBackend) continue;
    if (!config.resources.empty()) continue;
    config.api.base_url = api_url;
    if (config.job->runner.local.state_dir.empty()) {
      config.job->runner.local.state_dir = (fs::absolute(data_dir) / "jobs" / config.name).string();
    }
    configs.push_back(std::move(config));
  }
  return configs;
}

// `dev --auth`: a loopback issuer whose key lives in the data dir. Its tokens carry a `roles`
// claim: components get "adapter", the user "admin"; anything else is a reader.
struct DevAuth {
  std::unique_ptr<auth::LocalIssuer> issuer;
  std::string user_token_file;
};

constexpr std::chrono::seconds kComponentTokenTtl{600};
constexpr std::chrono::hours kUserTokenTtl{12};
// The claim of dev's component tokens that names the adapter (IssuerConfig::adapter_name_claim).
constexpr const char* kAdapterClaim = "hyperfleet.io/adapter";

Result<DevAuth> StartDevAuth(Settings& s) {
  const fs::path dir = fs::absolute(s.data_dir);
  auto key = HF_TRY(auth::SigningKey::LoadOrCreate((dir / "signing-key.pem").string()));
  DevAuth out{HF_TRY(auth::LocalIssuer::Start(std::move(key))), (dir / "token").string()};
  auth::IssuerConfig issuer;
  issuer.issuer_url = out.issuer->url();  // keys found by OIDC discovery, as in production
  issuer.audience = "hyperfleet";
  issuer.identity_claim = "sub";
  issuer.role = auth::Role::kReader;
  issuer.roles_claim = "roles";
  issuer.role_map = {{"admin", auth::Role::kAdmin}, {"adapter", auth::Role::kAdapter}};
  issuer.adapter_name_claim = kAdapterClaim;
  s.auth_issuers.push_back(std::move(issuer));
  const char* user = std::getenv("USER");
  const std::string token = out.issuer->Mint(std::string(user && *user ? user : "developer"),
                                             kUserTokenTtl, {{"roles", {"admin"}}});
  HF_CHECK(WriteFileAtomically(out.user_token_file, token + "\n", 0600));
  return out;
}

// A token of role `adapter` for a component; an adapter's (`adapter` set) also names it, so that
// it may report statuses under that name only.
client::TokenSource ComponentToken(const DevAuth& dev, const std::string& subject,
                                   const std::string& adapter = "") {
  if (!dev.issuer) return {};
  nlohmann::json claims = {{"roles", {"adapter"}}};
  if (!adapter.empty()) claims[kAdapterClaim] = adapter;
  return dev.issuer->TokenSource("system:hyperfleet:" + subject, kComponentTokenTtl,
                                 std::move(claims));
}

}  // namespace

int RunDev(Settings& s, CLI::App&) {
  BlockTerminationSignals();
  // A person watches dev: at the default level it shows the resource transitions, the jobs and
  // the warnings and errors of the rest (not every request); --log-level debug shows every line.
  if (s.log_level == Settings{}.log_level) {
    log::SetLevel("warn");
    log::SetComponentLevel("dev", log::Level::kInfo);
    log::SetComponentLevel("jobs", log::Level::kInfo);
  }
  // The data dir holds the database, job state, the signing key and tokens: owner only. Files
  // dev (and its local jobs) create are 0600, directories 0700.
  ::umask(077);
  std::error_code ec;
  fs::create_directories(s.data_dir, ec);
  if (!ec) fs::permissions(s.data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) {
    return StartupFailure("dev",
                          {ErrorCode::kInvalidArgument,
                           "cannot create data directory '" + s.data_dir + "': " + ec.message(),
                           {},
                           {}});
  }
  if (s.db == Settings{}.db) s.db = "sqlite:" + (fs::path(s.data_dir) / "hyperfleet.db").string();
  auto opened = OpenStore(s);
  if (!opened) return StartupFailure("dev", opened.error());
  store::Store& store = **opened;
  auto publishing = OpenOutbox(s, store);
  if (!publishing) return StartupFailure("dev", publishing.error());
  broker::Broker& broker = *publishing->broker;
  outbox::Reconciler& reconciler = *publishing->reconciler;
  const std::string api_url = "http://127.0.0.1:" + std::to_string(s.port);
  auto adapter_configs = LoadAdapters(
      s.adapters_dir.empty() ? DefaultAdaptersDir() : s.adapters_dir, api_url, s.data_dir);
  if (!adapter_configs) return StartupFailure("dev", adapter_configs.error());

  DevAuth dev_auth;
  if (s.auth_enabled) {
    auto started = StartDevAuth(s);
    if (!started) return StartupFailure("dev", started.error());
    dev_auth = std::move(*started);
  }
  auto verifier = OpenVerifier(s);
  if (!verifier) return StartupFailure("dev", verifier.error());

  // API with the outbox reconciler in-process (commits wake it directly).
  service::Kinds kinds({s.cluster_adapters, s.cluster_optional_adapters},
                       {s.nodepool_adapters, s.nodepool_optional_adapters});
  api::ApiHandler handler(store, kinds, verifier->get(), s.limits, EventStreamOptions(s));
  api::RegisterBacklogGauges(store, kinds, s.reconciliation_stuck_threshold);
  http::Handler serve = [&handler](const http::Request& r) { return handler.Handle(r); };
  // Without auth, dev is for one person's machine: whatever address it binds, web pages in
  // that person's browser must not reach it (DNS rebinding, cross-site requests).
  if (!s.auth_enabled) serve = api::LoopbackGuard(std::move(serve), s.allowed_hosts);
  http::Server server(ApiServerOptions(s), std::move(serve));
  if (auto started = server.Start(); !started) return StartupFailure("dev", started.error());
  std::vector<std::string> topics;
  for (const model::ResourceKind* kind : model::kResourceKinds) {
    topics.push_back(reconciler.TopicFor(std::string(kind->name)));
  }
  TransitionLog transitions(store, broker, topics);
  if (auto started = transitions.Start(); !started) return StartupFailure("dev", started.error());
  reconciler.Start();

  // Adapters, each with its own subscription on the shared broker.
  std::atomic<bool> stopping{false};
  std::vector<std::unique_ptr<adapter::AdapterRuntime>> adapters;
  for (auto& config : *adapter_configs) {
    config.api.token = ComponentToken(dev_auth, "adapter:" + config.name, config.name);
    auto runtime = adapter::AdapterRuntime::Create(config, broker, stopping);
    if (!runtime) return StartupFailure("dev", runtime.error());
    if (auto started = (*runtime)->Start(); !started) return StartupFailure("dev", started.error());
    adapters.push_back(std::move(*runtime));
  }

  // One ticker per resource type, talking to the API over HTTP like their standalone form.
  std::vector<std::unique_ptr<ticker::HttpFleetApi>> fleets;
  std::vector<std::unique_ptr<ticker::Ticker>> tickers;
  for (const model::ResourceKind* kind : model::kResourceKinds) {
    const std::string type(kind->plural);
    ticker::HttpFleetApiOptions fleet_options;
    fleet_options.base_url = api_url;
    fleet_options.resource_type = type;
    fleet_options.cancel = &stopping;
    fleet_options.token = ComponentToken(dev_auth, "ticker:" + type);
    fleets.push_back(std::make_unique<ticker::HttpFleetApi>(fleet_options));
    ticker::TickerOptions ticker_options;
    ticker_options.resource_type = type;
    ticker_options.poll_interval = s.poll_interval;
    ticker_options.decision.backoff_base = s.backoff_base;
    ticker_options.decision.backoff_max = s.backoff_max;
    ticker_options.decision.debounce = s.debounce;
    ticker_options.decision.max_age_ready = s.max_age_ready;
    tickers.push_back(std::make_unique<ticker::Ticker>(*fleets.back(), ticker_options));
    tickers.back()->Start();
  }

  OpsServers ops(s, [&] {
    if (auto why = NotReadyReason(store, &reconciler); !why.empty()) return why;
    for (const auto& a : adapters) {
      if (auto why = a->NotReadyReason(); !why.empty()) return why;
    }
    return std::string();
  });
  if (auto started = ops.Start(); !started) return StartupFailure("dev", started.error());

  std::vector<std::string> names;
  for (const auto& a : adapters) names.push_back(a->config().name);
  kLog.Info("running", {{"api", api_url},
                        {"db", s.db},
                        {"broker", broker.Type()},
                        {"adapters", names},
                        {"health", s.health_host + ":" + std::to_string(s.health_port)},
                        {"metrics", s.metrics_host + ":" + std::to_string(s.metrics_port)}});
  std::cout << "\nHyperFleet dev is running: " << api_url << "/api/hyperfleet/v1\n"
            << "  console: " << api_url << "/"
            << (dev_auth.issuer ? "   (paste the token from " + dev_auth.user_token_file + ")"
                                : std::string())
            << "\n"
            << "  data: " << s.data_dir << "   adapters: ";
  for (size_t i = 0; i < names.size(); ++i) std::cout << (i ? ", " : "") << names[i];
  std::cout
      << "\n  try:  hyperfleet clusters create --name demo     (then: hyperfleet clusters watch "
         "ID)\n"
      << "   or:  curl -s -X POST " << api_url
      << "/api/hyperfleet/v1/clusters -d '{\"kind\":\"Cluster\",\"name\":\"demo\",\"spec\":{}}'\n"
      << "  Ctrl-C stops everything; clusters are kept in " << s.data_dir << "\n";
  if (dev_auth.issuer) {
    std::cout << "  auth: on (tokens signed by " << dev_auth.issuer->url()
              << "); for the CLI run:\n"
              << "        export HYPERFLEET_TOKEN_FILE=" << dev_auth.user_token_file << "\n"
              << "        (curl: -H \"Authorization: Bearer $(cat " << dev_auth.user_token_file
              << ")\")\n";
  }
  std::cout << std::endl;

  const int sig = WaitForTerminationSignal();
  kLog.Info("stopping", {{"signal", sig}});
  ops.draining() = true;
  stopping = true;
  for (auto& t : tickers) t->Stop();
  for (auto& a : adapters) a->Stop();
  server.Stop(std::chrono::milliseconds(5000));
  reconciler.Stop();
  transitions.Stop();
  ops.Stop();
  kLog.Info("stopped");
  return 0;
}

}  // namespace hf::app
