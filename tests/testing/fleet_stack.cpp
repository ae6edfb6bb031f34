#include "testing/fleet_stack.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "common/file.hpp"
#include "common/text.hpp"
#include "testing/env.hpp"
#include "testing/fake_kube_api.hpp"
#include "testing/test_certs.hpp"

namespace hf::testing {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string Tail(const std::string& log, size_t n = 3000) {
  return log.substr(log.size() > n ? log.size() - n : 0);
}

// The ticker's intervals, short enough that retries happen within a test.
const std::vector<std::string> kTickerFlags = {"--poll-interval", "300ms", "--backoff-base", "1s",
                                               "--backoff-max",   "8s",    "--debounce",     "0s"};

}  // namespace

std::string ToString(StackKind kind) {
  return kind == StackKind::kEmbedded ? "embedded" : "distributed";
}

FleetStack::FleetStack(StackKind kind, FleetStackOptions options)
    : kind_(kind), options_(std::move(options)) {
  dir_ = MakeTempDir("hf-stack");
  fs::copy(::hf::testing::SourceDir() + "/deploy/adapters", dir_ + "/adapters",
           fs::copy_options::recursive);
  fs::create_directories(dir_ + "/disabled");
  for (const auto& [adapter, seconds] : options_.job_seconds) {
    const std::string path = dir_ + "/adapters/" + adapter + ".yaml";
    const std::string yaml =
        std::regex_replace(hf::ReadFile(path).value_or(""), std::regex(R"(JOB_DURATION: "[^"]*")"),
                           "JOB_DURATION: \"" + seconds + "\"");
    std::ofstream(path) << yaml;
  }
  if (!options_.kube_api_url.empty()) {
    std::ofstream(dir_ + "/kubeconfig") << FakeKubeApi::Kubeconfig(options_.kube_api_url);
    const std::string yaml =
        hf::ReadFile(::hf::testing::SourceDir() +
                     "/deploy/adapters/kubernetes/resources/cluster-namespace.yaml")
            .value_or("");
    std::ofstream(dir_ + "/adapters/cluster-namespace.yaml") << std::regex_replace(
        yaml, std::regex(R"(kubeconfig: "")"), "kubeconfig: " + dir_ + "/kubeconfig");
  }
  if (kind_ == StackKind::kEmbedded) {
    StartEmbedded();
  } else {
    StartDistributed();
  }
}

FleetStack::~FleetStack() {
  // Adapters first, so none of them reports to an API that is already gone.
  for (auto& [name, child] : children_) {
    if (name != "outbox" && name.rfind("ticker", 0) != 0) child.process.reset();
  }
  children_.clear();
  api_.reset();
  if (error_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::vector<std::string> FleetStack::adapters() const {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_ + "/adapters")) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool FleetStack::Launch(const std::string& name, std::vector<std::string> argv, bool with_health) {
  Child& child = children_[name];
  if (child.argv.empty()) {
    child.argv = std::move(argv);
    child.log = dir_ + "/" + name + ".log";
    if (with_health) {
      child.health_port = FreePort();
      child.argv.insert(child.argv.end(), {"--health-port", std::to_string(child.health_port),
                                           "--metrics-port", std::to_string(FreePort())});
    }
  }
  std::map<std::string, std::string> env = {{"HYPERFLEET_DATA_DIR", dir_ + "/data"}};
  if (!emulator_.empty()) env["PUBSUB_EMULATOR_HOST"] = emulator_;
  // Appends to the log across restarts: a restarted process's history stays readable.
  if (fs::exists(child.log))
    fs::rename(child.log, child.log + "." + std::to_string(::time(nullptr)));
  child.process = std::make_unique<Process>(child.argv, env, child.log);
  return WaitReady(name);
}

bool FleetStack::WaitReady(const std::string& name) {
  Child& child = children_[name];
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!child.process->Running()) break;
    HttpRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(child.health_port) + "/readyz";
    req.timeout = 2s;
    if (auto res = http_.Send(req); res && res->status == 200) return true;
    std::this_thread::sleep_for(50ms);
  }
  error_ += name + " did not become ready; log tail:\n" + Tail(child.process->Log()) + "\n";
  return false;
}

bool FleetStack::StartEmbedded() {
  port_ = FreePort();
  std::vector<std::string> argv = {
      HyperfleetBinary(), "dev",    "--data-dir",          dir_ + "/data", "--adapters-dir",
      dir_ + "/adapters", "--port", std::to_string(port_), "--auth"};
  argv.insert(argv.end(), kTickerFlags.begin(), kTickerFlags.end());
  return Launch("dev", argv);
}

bool FleetStack::StartDistributed() {
  const std::string admin = EnvOrEmpty("HF_TEST_PG_DSN");
  emulator_ = EnvOrEmpty("HF_TEST_PUBSUB_EMULATOR_HOST");
  if (admin.empty() || emulator_.empty()) {
    error_ = "the distributed stack needs HF_TEST_PG_DSN and HF_TEST_PUBSUB_EMULATOR_HOST";
    return false;
  }
  static std::atomic<int> counter{0};
  project_ = "hf-stack-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  auto key = auth::SigningKey::Generate("ES256");
  auto issuer = key ? auth::LocalIssuer::Start(std::move(*key))
                    : Result<std::unique_ptr<auth::LocalIssuer>>(std::unexpected(key.error()));
  if (!issuer) {
    error_ = "cannot start the test token issuer: " + issuer.error().ToString();
    return false;
  }
  issuer_ = std::move(*issuer);
  std::ofstream(dir_ + "/api.yaml")
      << "auth:\n  issuers:\n    - issuer_url: " << issuer_->url()
      << "\n      audience: hyperfleet\n      identity_claim: sub\n      role: reader\n"
         "      roles_claim: groups\n"
         "      role_map: {platform-admins: admin, hyperfleet-adapters: adapter}\n"
         "      adapter_name_claim: sub\n"
         "      adapter_name_pattern: '^system:serviceaccount:hyperfleet:(.+)-adapter$'\n";
  if (!options_.kube_api_url.empty()) {
    std::ofstream(dir_ + "/api.yaml", std::ios::app)
        << "cluster_adapters: [validation, dns, placement, cluster-namespace]\n";
  }
  // As in Kubernetes (deploy/helm): each adapter has its own service account, whose subject
  // names it; the tickers share one that names no adapter.
  auto token_file = [&](const std::string& account) {
    const std::string file = dir_ + "/" + account + ".token";
    std::ofstream(file) << issuer_->Mint("system:serviceaccount:hyperfleet:" + account, 4h,
                                         {{"groups", {"hyperfleet-adapters"}}});
    return file;
  };
  admin_token_ = issuer_->Mint("admin@example.com", 4h, {{"groups", {"platform-admins"}}});
  const Pem ca = MakeCa("hyperfleet test CA");
  const Pem server = IssueCert(ca, "hyperfleet-api", CertUse::kServer);
  ca_file_ = dir_ + "/ca.crt";
  std::ofstream(ca_file_) << ca.cert;
  std::ofstream(dir_ + "/tls.crt") << server.cert;
  std::ofstream(dir_ + "/tls.key") << server.key;
  api_ = std::make_unique<ApiServer>(
      "postgres", std::vector<std::string>{"--config", dir_ + "/api.yaml", "--auth-enabled", "true",
                                           "--tls-cert-file", dir_ + "/tls.crt", "--tls-key-file",
                                           dir_ + "/tls.key"});
  api_->set_ca_file(ca_file_);
  if (!api_->error().empty()) {
    error_ = api_->error();
    return false;
  }
  port_ = api_->port();
  const std::vector<std::string> broker = {"--broker", "googlepubsub", "--pubsub-project",
                                           project_};
  // Adapters subscribe before anything publishes: Pub/Sub drops messages of a topic without
  // subscriptions.
  for (const auto& name : adapters()) {
    std::vector<std::string> argv = {
        HyperfleetBinary(), "adapter",    "--config",     dir_ + "/adapters/" + name + ".yaml",
        "--api-url",        api_->base(), "--token-file", token_file(name + "-adapter"),
        "--ca-file",        ca_file_};
    argv.insert(argv.end(), broker.begin(), broker.end());
    if (!Launch(name, argv)) return false;
  }
  std::vector<std::string> outbox = {HyperfleetBinary(), "outbox", "--db", api_->db_url()};
  outbox.insert(outbox.end(), broker.begin(), broker.end());
  if (!Launch("outbox", outbox)) return false;
  const std::string ticker_token = token_file("hyperfleet");
  for (const std::string type : {"clusters", "nodepools"}) {
    std::vector<std::string> ticker = {HyperfleetBinary(), "ticker", "--api-url",    api_->base(),
                                       "--resource-type",  type,     "--token-file", ticker_token,
                                       "--ca-file",        ca_file_};
    ticker.insert(ticker.end(), kTickerFlags.begin(), kTickerFlags.end());
    if (!Launch("ticker-" + type, ticker)) return false;
  }
  return true;
}

json FleetStack::Call(const std::string& method, const std::string& path, const json& body) {
  HttpRequest req;
  req.method = method;
  req.url = base_url() + "/api/hyperfleet/v1" + path;
  req.ca_file = ca_file_;
  req.timeout = 30s;
  // The embedded stack's `dev --auth` writes a fresh user token at each start.
  std::string token = kind_ == StackKind::kDistributed
                          ? admin_token_
                          : std::string(Trim(ReadFile(dir_ + "/data/token").value_or("")));
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.is_null()) {
    req.body = body.dump();
    req.headers.emplace_back("Content-Type", "application/json");
  }
  auto res = http_.Send(req);
  if (!res) return {{"http_status", 0}, {"transport_error", res.error().message}};
  json out = json::parse(res->body.empty() ? "{}" : res->body, nullptr, false);
  if (!out.is_object()) out = json::object();
  out["http_status"] = res->status;
  return out;
}

std::string FleetStack::CreateCluster(const std::string& name, const json& spec) {
  json created = Call("POST", "/clusters", {{"kind", "Cluster"}, {"name", name}, {"spec", spec}});
  EXPECT_EQ(created["http_status"], 201) << created.dump();
  return created.value("id", "");
}

json FleetStack::WaitFor(const std::string& path, const std::function<bool(const json&)>& pred,
                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json last = Call("GET", path);
  while (!pred(last) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    last = Call("GET", path);
  }
  return last;
}

std::string FleetStack::Host(const std::string& component) const {
  if (kind_ == StackKind::kEmbedded) return "dev";
  return component == "ticker" ? "ticker-clusters" : component;
}

int FleetStack::Stop(const std::string& component, int signal) {
  auto it = children_.find(Host(component));
  if (it == children_.end() || !it->second.process) return -1;
  return it->second.process->Stop(signal);
}

bool FleetStack::Restart(const std::string& component) {
  const std::string name = Host(component);
  auto it = children_.find(name);
  if (it == children_.end()) return false;
  it->second.process.reset();
  return Launch(name, {});
}

bool FleetStack::StopAdapter(const std::string& adapter) {
  if (kind_ == StackKind::kEmbedded) {
    fs::rename(dir_ + "/adapters/" + adapter + ".yaml", dir_ + "/disabled/" + adapter + ".yaml");
  }
  if (Stop(adapter, SIGTERM) != 0) return false;
  return kind_ == StackKind::kDistributed || Restart(adapter);
}

std::vector<std::string> FleetStack::Jobs(const std::string& adapter) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ + "/data/jobs/" + adapter, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name[0] != '.') names.push_back(name);  // .claim-*: not a job
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string FleetStack::Logs() const {
  std::string out;
  if (api_) out += "--- api ---\n" + Tail(api_->process().Log(), 2000) + "\n";
  for (const auto& [name, child] : children_) {
    if (child.process) out += "--- " + name + " ---\n" + Tail(child.process->Log(), 2000) + "\n";
  }
  return out;
}

std::string ConditionField(const json& resource, const std::string& type, const char* field) {
  if (!resource.contains("status") || !resource["status"].contains("conditions")) return "";
  for (const auto& c : resource["status"]["conditions"]) {
    if (c.value("type", "") == type) {
      const auto& v = c.contains(field) ? c[field] : json();
      return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
    }
  }
  return "";
}

json FindStatus(const json& statuses, const std::string& adapter) {
  if (!statuses.contains("items")) return nullptr;
  for (const auto& s : statuses["items"]) {
    if (s.value("adapter", "") == adapter) return s;
  }
  return nullptr;
}

bool ReconciledAt(const json& resource, int64_t generation) {
  return ConditionField(resource, "Reconciled") == "True" &&
         ConditionField(resource, "Reconciled", "observed_generation") ==
             std::to_string(generation);
}

void LogElapsed(StackKind kind, const std::string& what,
                std::chrono::steady_clock::time_point since) {
  std::cout << "[" << ToString(kind) << "] " << what << ": "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - since)
                   .count()
            << " ms\n";
}

}  // namespace hf::testing
