#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "auth/issuer_config.hpp"
#include "common/config.hpp"
#include "common/time.hpp"
#include "service/limits.hpp"

namespace hf::app {

// Every setting of the server subcommands. Each is a config key (YAML), a HYPERFLEET_<KEY>
// environment variable and, for the common ones, a flag; defaults are the field initialisers.
struct Settings {
  std::string config_file;
  std::string db = "sqlite:hyperfleet.db";
  std::string broker = "memory";
  std::string pubsub_project = "hyperfleet";
  std::string pubsub_credentials_file;  // service-account key; empty: metadata server
  std::string rabbitmq_url = "amqp://guest:guest@localhost:5672/";
  // Secrets from files (a mounted Secret), so they never need a command line: when set, the
  // file's content (trimmed) replaces db / rabbitmq_url.
  std::string db_file;
  std::string rabbitmq_url_file;
  std::string topic;           // the Cluster topic; default per resource type
  std::string nodepool_topic;  // the NodePool topic (outbox); default per resource type
  // outbox
  int outbox_batch_size = 100;
  Duration outbox_poll_interval{1'000};
  Duration outbox_backoff_max{300'000};
  Duration outbox_retention{86'400'000};
  // Listen addresses. `host` is the API port's (api; dev: 127.0.0.1). The health and metrics
  // ports bind `health_host` / `metrics_host`; empty (the default) means 127.0.0.1 on api and
  // dev, and `host` on outbox, ticker and adapter, which serve no API (their `host` defaults to
  // 127.0.0.1). Kubernetes probes and Prometheus need 0.0.0.0 there (deploy/helm sets it).
  std::string host = "0.0.0.0";
  std::string health_host;
  std::string metrics_host;
  int port = 8000;
  int health_port = 8080;
  int metrics_port = 9090;
  // dev without auth serves only requests whose Host (and Origin, if sent) names a loopback
  // address, plus these host names (api::LoopbackGuard).
  std::vector<std::string> allowed_hosts;
  std::string data_dir = ".hyperfleet";
  std::string api_url = "http://localhost:8000";
  std::string log_level = "info";
  std::string log_format;  // json|text; empty: text for dev, json for the other commands
  // api: verify bearer tokens (README: Authentication); dev: off unless --auth.
  bool auth_enabled = true;
  std::vector<auth::IssuerConfig> auth_issuers;
  // api: serve HTTPS with this certificate and key (re-read when they change).
  std::string tls_cert_file;
  std::string tls_key_file;
  // clients (ticker, adapter, CLI): trust for the API's certificate, and the bearer token to
  // send (re-read when it changes, as Kubernetes rotates projected tokens).
  std::string ca_file;
  std::string token_file;
  bool with_outbox = false;
  bool skip_migrations = false;
  int db_max_connections = 16;
  Duration db_query_timeout{30'000};
  // How long api/outbox/dev wait at start for a PostgreSQL that does not answer yet (0s: fail
  // at once), retrying with backoff; Ctrl-C/SIGTERM ends the wait.
  Duration db_startup_wait{60'000};
  int server_threads = 0;
  // api/dev: the HTTP server's limits (README: Limits); past them, 503 with Retry-After.
  int max_connections = 1024;
  int max_running_handlers = 0;  // 0: the CPU count (CpuCount) plus two
  int max_queued_requests = 256;
  int max_pending_response_bytes = 32 << 20;  // bytes
  // api: after SIGTERM, how long /readyz reports 503 while requests are still served, so load
  // balancers stop sending traffic before the listener closes (Kubernetes: a few seconds).
  Duration shutdown_delay{0};
  // api/dev: GET /events/stream — open streams per process (past it 503) and the heartbeat
  // interval of an idle stream.
  int event_stream_max = 64;
  Duration event_stream_heartbeat{15'000};
  // api: a resource not reconciled for longer than this counts as stuck (metrics).
  Duration reconciliation_stuck_threshold{600'000};
  // api: the adapters each kind's Reconciled waits for, and those that may report too without
  // being waited for; a report under any other name is refused (README: Status reports).
  std::vector<std::string> cluster_adapters{"validation", "dns", "placement"};
  std::vector<std::string> nodepool_adapters{"nodepool-validation"};
  service::Limits limits;  // api/dev: spec_max_bytes, labels_max_count, … (README: Limits)
  std::vector<std::string> cluster_optional_adapters;
  std::vector<std::string> nodepool_optional_adapters;
  // ticker
  std::string resource_type = "clusters";
  std::map<std::string, std::string> resource_selector;
  Duration poll_interval{5'000};
  Duration backoff_base{10'000};
  Duration backoff_max{300'000};
  Duration debounce{10'000};
  Duration max_age_ready{1'800'000};
  // dev
  std::string adapters_dir;
};

// Binds settings to config keys and adds the matching flags to `cmd`. `flags` names which
// flags this subcommand takes (e.g. {"db", "port"}); every key stays settable from YAML/env.
// Defaults that differ by subcommand, applied before loading: `dev` binds 127.0.0.1 and keeps
// auth off (it is a laptop tool; --host and --auth override); outbox, ticker and adapter, whose
// only ports are health and metrics, bind 127.0.0.1.
void ApplyCommandDefaults(const std::string& command, Settings& s);
// After loading: fills an empty health_host / metrics_host (see Settings::host).
void ResolveListenAddresses(const std::string& command, Settings& s);

class SettingsLoader {
 public:
  SettingsLoader(CLI::App* cmd, Settings& settings, const std::vector<std::string>& flags);
  // Applies YAML (--config), env and the flags given; one clear message on error.
  Result<void> Load();

 private:
  Settings& settings_;
  config::Binder binder_;
  std::map<std::string, std::string> overrides_;
};

}  // namespace hf::app
