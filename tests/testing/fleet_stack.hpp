#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/local_issuer.hpp"
#include "common/http_client.hpp"
#include "testing/api_server.hpp"
#include "testing/process.hpp"

namespace hf::testing {

// The two ways HyperFleet runs, both driven over HTTP through the real binary:
// - kEmbedded: one `hyperfleet dev --auth` process (SQLite, memory broker, local jobs, its own
//   token issuer); Call() sends the user token it writes to <data-dir>/token;
// - kDistributed: separate `api`, `outbox`, `ticker` (clusters and nodepools) and one `adapter`
//   process per example adapter, on a fresh PostgreSQL database and a fresh Pub/Sub emulator
//   project (HF_TEST_PG_DSN, HF_TEST_PUBSUB_EMULATOR_HOST). Authentication is on: a loopback
//   issuer (auth::LocalIssuer) signs `adapter` tokens (one per adapter, whose service-account
//   subject names it, and one for the tickers) and an `admin` token for Call(). The API serves
//   HTTPS with a certificate of a test CA, which every client trusts through --ca-file.
enum class StackKind { kEmbedded, kDistributed };
std::string ToString(StackKind kind);

struct FleetStackOptions {
  // JOB_DURATION (seconds) of each example adapter's job; absent: the shipped value.
  std::map<std::string, std::string> job_seconds;
  // Distributed only: also run deploy/adapters/kubernetes/resources/cluster-namespace.yaml, a
  // resource-managing adapter, as a fourth required cluster adapter against the Kubernetes API
  // server at this URL (a FakeKubeApi in the test process; token "test-token"). Empty: not.
  std::string kube_api_url = "";
};

// The example adapters of deploy/adapters, copied into a temp dir, with the ticker on short
// intervals (poll 300 ms, backoff 1 s → 8 s, no debounce) so retries are observable.
class FleetStack {
 public:
  FleetStack(StackKind kind, FleetStackOptions options = {});
  ~FleetStack();
  FleetStack(const FleetStack&) = delete;
  FleetStack& operator=(const FleetStack&) = delete;

  // Empty when every process is up; otherwise what failed, with log tails.
  const std::string& error() const { return error_; }
  StackKind kind() const { return kind_; }
  // The API's address, e.g. http://127.0.0.1:40123 (without the base path).
  std::string base_url() const {
    return (api_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }
  // The CA file that verifies the API's certificate ("" on the embedded stack: plain HTTP).
  const std::string& ca_file() const { return ca_file_; }
  std::vector<std::string> adapters() const;

  // One API call (path under /api/hyperfleet/v1); the parsed body gets `http_status`.
  nlohmann::json Call(const std::string& method, const std::string& path,
                      const nlohmann::json& body = nullptr);
  // POST /clusters {name, spec}; the new id, or "" (with a test failure) when it was refused.
  std::string CreateCluster(const std::string& name,
                            const nlohmann::json& spec = nlohmann::json::object());
  // Polls GET `path` until `pred` holds (50 ms apart); returns the last body.
  nlohmann::json WaitFor(const std::string& path,
                         const std::function<bool(const nlohmann::json&)>& pred,
                         std::chrono::milliseconds timeout);

  // Sends `signal` to the process that hosts `component` ("outbox", "ticker" or an adapter
  // name: its own process on the distributed stack, the one `dev` process on the embedded stack)
  // and waits for it to exit; returns the exit code (128+signal when killed), -1 if it still runs.
  int Stop(const std::string& component, int signal = SIGKILL);
  // Starts what Stop stopped again; false (see error()) if it does not come up.
  bool Restart(const std::string& component);
  // Stops an adapter for good: SIGTERM on the distributed stack; on the embedded stack `dev` is
  // restarted without that adapter's config.
  bool StopAdapter(const std::string& adapter);

  // Names of the local jobs an adapter has created (its job state directory).
  std::vector<std::string> Jobs(const std::string& adapter) const;
  // Every process's log, for failure messages.
  std::string Logs() const;

 private:
  struct Child {
    std::vector<std::string> argv;
    std::string log;
    int health_port = 0;
    std::unique_ptr<Process> process;
  };
  bool StartEmbedded();
  bool StartDistributed();
  bool Launch(const std::string& name, std::vector<std::string> argv, bool with_health = true);
  bool WaitReady(const std::string& name);
  std::string Host(const std::string& component) const;  // the child process running it

  StackKind kind_;
  FleetStackOptions options_;
  std::string dir_;
  std::string project_;
  std::string emulator_;
  int port_ = 0;
  std::unique_ptr<ApiServer> api_;             // distributed only
  std::unique_ptr<auth::LocalIssuer> issuer_;  // distributed only
  std::string admin_token_;                    // distributed only
  std::string ca_file_;                        // distributed only
  std::map<std::string, Child> children_;
  std::string error_;
  HttpClient http_;
};

// Helpers over API JSON.
// The `status` (or another field) of the resource condition `type`, "" when absent.
std::string ConditionField(const nlohmann::json& resource, const std::string& type,
                           const char* field = "status");
// The adapter status of `adapter` in a GET …/statuses body, null when absent.
nlohmann::json FindStatus(const nlohmann::json& statuses, const std::string& adapter);
// True when the resource's Reconciled condition is True at `generation`.
bool ReconciledAt(const nlohmann::json& resource, int64_t generation);
// Prints "[<stack>] <what>: N ms" (time since `since`) to the test log: measured, not asserted.
void LogElapsed(StackKind kind, const std::string& what,
                std::chrono::steady_clock::time_point since);

}  // namespace hf::testing
