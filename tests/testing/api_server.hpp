#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/http_client.hpp"
#include "testing/pg_database.hpp"
#include "testing/process.hpp"

namespace hf::testing {

// A response with its body parsed as JSON when it is JSON.
struct ApiResponse {
  long status = 0;
  nlohmann::json body;
  std::string raw;
  std::string request_id;
  std::string content_type;
};

// The real `hyperfleet api` binary on a throwaway database: "sqlite" (a file in a temp dir) or
// "postgres" (a fresh database from HF_TEST_PG_DSN). Starts it on free ports and stops it on
// destruction; `extra_args` are appended to the command line. Authentication is off
// (--auth-enabled false) unless `extra_args` has --auth-enabled.
class ApiServer {
 public:
  ApiServer(const std::string& backend, std::vector<std::string> extra_args = {});
  ~ApiServer();

  // Empty when the server is up; otherwise why not (with the tail of its log).
  const std::string& error() const { return error_; }
  const std::string& db_url() const { return db_url_; }
  // https when `extra_args` has --tls-cert-file (Call() then trusts set_ca_file's CA).
  std::string base() const {
    return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }
  std::string api() const { return base() + "/api/hyperfleet/v1"; }
  int port() const { return port_; }
  int health_port() const { return health_port_; }
  int metrics_port() const { return metrics_port_; }
  Process& process() { return *process_; }
  // Starts the binary again on the same database and ports (after Stop or a crash).
  bool Restart();

  // Sent by Call() as "Authorization: Bearer …" from now on ("" for none).
  void set_token(std::string token) { token_ = std::move(token); }
  // The CA bundle Call() verifies an https API with.
  void set_ca_file(std::string ca_file) { ca_file_ = std::move(ca_file); }

  // Sends Content-Type: application/json with a body unless `headers` sets one.
  ApiResponse Call(const std::string& method, const std::string& url, const std::string& body = "",
                   std::vector<std::pair<std::string, std::string>> headers = {}) const;
  ApiResponse Get(const std::string& path) const { return Call("GET", api() + path); }
  ApiResponse Post(const std::string& path, const nlohmann::json& body) const {
    return Call("POST", api() + path, body.dump());
  }
  ApiResponse Put(const std::string& path, const nlohmann::json& body) const {
    return Call("PUT", api() + path, body.dump());
  }
  ApiResponse Patch(const std::string& path, const nlohmann::json& body) const {
    return Call("PATCH", api() + path, body.dump());
  }
  ApiResponse Delete(const std::string& path) const { return Call("DELETE", api() + path); }

 private:
  bool Start();

  std::string backend_;
  std::vector<std::string> extra_args_;
  std::string dir_;
  std::unique_ptr<PgDatabase> pg_;
  std::string db_url_;
  int port_ = 0, health_port_ = 0, metrics_port_ = 0;
  std::unique_ptr<Process> process_;
  std::string error_;
  HttpClient http_;
  std::string token_;
  std::string ca_file_;
  bool tls_ = false;
};

}  // namespace hf::testing
