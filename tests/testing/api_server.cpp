#include "testing/api_server.hpp"

#include <algorithm>

#include "testing/env.hpp"

namespace hf::testing {

ApiServer::ApiServer(const std::string& backend, std::vector<std::string> extra_args)
    : backend_(backend), extra_args_(std::move(extra_args)) {
  tls_ = std::find(extra_args_.begin(), extra_args_.end(), "--tls-cert-file") != extra_args_.end();
  dir_ = MakeTempDir("hf-api");
  if (backend == "postgres") {
    std::string admin = EnvOrEmpty("HF_TEST_PG_DSN");
    if (admin.empty()) {
      error_ = "HF_TEST_PG_DSN is not set";
      return;
    }
    pg_ = std::make_unique<PgDatabase>(admin);
    if (!pg_->error().empty()) {
      error_ = "cannot create database: " + pg_->error();
      return;
    }
    db_url_ = pg_->url();
  } else {
    db_url_ = "sqlite:" + dir_ + "/hyperfleet.db";
  }
  port_ = FreePort();
  health_port_ = FreePort();
  metrics_port_ = FreePort();
  Start();
}

ApiServer::~ApiServer() { process_.reset(); }

bool ApiServer::Start() {
  std::vector<std::string> argv = {HyperfleetBinary(),
                                   "api",
                                   "--db",
                                   db_url_,
                                   "--host",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(port_),
                                   "--health-port",
                                   std::to_string(health_port_),
                                   "--metrics-port",
                                   std::to_string(metrics_port_)};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  // Authentication is on by default for `api`; tests that do not test it run without.
  if (std::find(extra_args_.begin(), extra_args_.end(), "--auth-enabled") == extra_args_.end()) {
    argv.insert(argv.end(), {"--auth-enabled", "false"});
  }
  process_ =
      std::make_unique<Process>(argv, std::map<std::string, std::string>{}, dir_ + "/api.log");
  // The API port first, then the health port (its server starts after the API's).
  if (!WaitForPort(port_, std::chrono::seconds(30)) ||
      !WaitForPort(health_port_, std::chrono::seconds(10)) || !process_->Running()) {
    std::string log = process_->Log();
    error_ = "hyperfleet api did not start; log tail:\n" +
             log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
    return false;
  }
  error_.clear();
  return true;
}

bool ApiServer::Restart() {
  process_.reset();
  return Start();
}

ApiResponse ApiServer::Call(const std::string& method, const std::string& url,
                            const std::string& body,
                            std::vector<std::pair<std::string, std::string>> headers) const {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  const bool typed =
      std::ranges::any_of(headers, [](const auto& h) { return h.first == "Content-Type"; });
  if (!body.empty() && !typed) req.headers.emplace_back("Content-Type", "application/json");
  for (auto& h : headers) req.headers.push_back(std::move(h));
  if (!token_.empty()) req.headers.emplace_back("Authorization", "Bearer " + token_);
  req.ca_file = ca_file_;
  req.timeout = std::chrono::seconds(30);
  ApiResponse out;
  auto res = http_.Send(req);
  if (!res) {
    out.status = -1;
    out.raw = res.error().ToString();
    return out;
  }
  out.status = res->status;
  out.raw = res->body;
  out.request_id = res->Header("x-request-id");
  out.content_type = res->Header("content-type");
  if (!res->body.empty()) {
    out.body = nlohmann::json::parse(res->body, nullptr, false);
    if (out.body.is_discarded()) out.body = nullptr;
  }
  return out;
}

}  // namespace hf::testing
