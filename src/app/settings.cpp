#include "app/settings.hpp"

#include <algorithm>

#include "common/file.hpp"
#include "common/text.hpp"
#include "service/kinds.hpp"

namespace hf::app {
namespace {

// The size-cap settings (service::Limits), each a key of its own.
std::vector<std::pair<const char*, int*>> LimitSettings(service::Limits& l) {
  return {{"spec_max_bytes", &l.spec_max_bytes},
          {"labels_max_count", &l.labels_max_count},
          {"conditions_max_count", &l.conditions_max_count},
          {"condition_reason_max_length", &l.condition_reason_max_length},
          {"condition_message_max_length", &l.condition_message_max_length},
          {"status_data_max_bytes", &l.status_data_max_bytes},
          {"list_max_bytes", &l.list_max_bytes}};
}

}  // namespace

SettingsLoader::SettingsLoader(CLI::App* cmd, Settings& s, const std::vector<std::string>& flags)
    : settings_(s) {
  struct Key {
    std::string key;  // the flag name; its config key with '-' as '_' unless `config_key`
    std::function<void()> bind;
    std::string help;
    bool is_switch = false;
    std::string config_key{};
  };
  auto& b = binder_;
  std::vector<Key> keys = {
      {"db", [&] { b.Bind("db", &s.db, ""); }, "database URL: postgres://… or sqlite:PATH"},
      {"broker", [&] { b.Bind("broker", &s.broker, ""); }, "memory|googlepubsub|rabbitmq"},
      {"pubsub-project", [&] { b.Bind("pubsub_project", &s.pubsub_project, ""); },
       "Google Cloud project (honours PUBSUB_EMULATOR_HOST)"},
      {"rabbitmq-url", [&] { b.Bind("rabbitmq_url", &s.rabbitmq_url, ""); }, "amqp://… URL"},
      {"topic", [&] { b.Bind("topic", &s.topic, ""); }, "broker topic"},
      {"host", [&] { b.Bind("host", &s.host, ""); },
       "listen address (api, dev: of the API; outbox, ticker, adapter: of health and metrics)"},
      {"health-host", [&] { b.Bind("health_host", &s.health_host, ""); },
       "health port's listen address (default 127.0.0.1)"},
      {"metrics-host", [&] { b.Bind("metrics_host", &s.metrics_host, ""); },
       "metrics port's listen address (default 127.0.0.1)"},
      {"allowed-hosts", [&] { b.Bind("allowed_hosts", &s.allowed_hosts, ""); },
       "dev without auth: host names to serve besides loopback (comma-separated)"},
      {"port", [&] { b.Bind("port", &s.port, ""); }, "API port"},
      {"health-port", [&] { b.Bind("health_port", &s.health_port, ""); },
       "health port (/healthz, /readyz)"},
      {"metrics-port", [&] { b.Bind("metrics_port", &s.metrics_port, ""); },
       "metrics port (/metrics)"},
      {"data-dir", [&] { b.Bind("data_dir", &s.data_dir, ""); }, "state directory"},
      {"api-url", [&] { b.Bind("api_url", &s.api_url, ""); }, "HyperFleet API base URL"},
      {"log-level", [&] { b.Bind("log_level", &s.log_level, ""); }, "debug|info|warn|error"},
      {"log-format", [&] { b.Bind("log_format", &s.log_format, ""); },
       "json|text (default: text for dev, json otherwise)"},
      {"with-outbox", [&] { b.Bind("with_outbox", &s.with_outbox, ""); },
       "also run the outbox reconciler in this process", true},
      {"skip-migrations", [&] { b.Bind("skip_migrations", &s.skip_migrations, ""); },
       "do not apply pending migrations at start", true},
      {"resource-type", [&] { b.Bind("resource_type", &s.resource_type, ""); },
       "clusters|nodepools"},
      {"poll-interval", [&] { b.Bind("poll_interval", &s.poll_interval, ""); },
       "how often to poll (e.g. 5s)"},
      {"backoff-base", [&] { b.Bind("backoff_base", &s.backoff_base, ""); },
       "first retry interval (e.g. 10s)"},
      {"backoff-max", [&] { b.Bind("backoff_max", &s.backoff_max, ""); },
       "retry interval cap (e.g. 5m)"},
      {"debounce", [&] { b.Bind("debounce", &s.debounce, ""); },
       "quiet time after an adapter report (e.g. 10s)"},
      {"max-age-ready", [&] { b.Bind("max_age_ready", &s.max_age_ready, ""); },
       "re-check reconciled resources this often (e.g. 30m)"},
      {"adapters-dir", [&] { b.Bind("adapters_dir", &s.adapters_dir, ""); },
       "directory of adapter configs"},
      {"auth-enabled", [&] { b.Bind("auth.enabled", &s.auth_enabled, ""); },
       "verify bearer tokens (true|false; needs auth.issuers)", false, "auth.enabled"},
      {"auth", [] {}, "turn authentication on (signs its own tokens)", true, "auth.enabled"},
      {"token-file", [&] { b.Bind("token_file", &s.token_file, ""); },
       "bearer token file for the API (re-read when it changes)"},
      {"ca-file", [&] { b.Bind("ca_file", &s.ca_file, ""); },
       "CA bundle that signs the API's TLS certificate"},
      {"tls-cert-file", [&] { b.Bind("tls_cert_file", &s.tls_cert_file, ""); },
       "serve HTTPS with this certificate chain (PEM)"},
      {"tls-key-file", [&] { b.Bind("tls_key_file", &s.tls_key_file, ""); },
       "private key of --tls-cert-file (PEM)"},
  };
  for (auto& k : keys) {
    k.bind();
    if (std::find(flags.begin(), flags.end(), k.key) == flags.end()) continue;
    std::string key = k.config_key.empty() ? k.key : k.config_key;
    std::replace(key.begin(), key.end(), '-', '_');
    if (k.is_switch) {
      cmd->add_flag_callback(
          "--" + k.key, [this, key] { overrides_[key] = "true"; }, k.help);
    } else {
      cmd->add_option_function<std::string>(
             "--" + k.key, [this, key](const std::string& v) { overrides_[key] = v; }, k.help)
          ->type_name("VALUE");
    }
  }
  b.Bind(
      "auth.issuers",
      [&s](const YAML::Node& node) -> Result<void> {
        s.auth_issuers = HF_TRY(auth::ParseIssuers(node));
        return Ok();
      },
      "");
  b.Bind("db_file", &s.db_file, "");
  b.Bind("rabbitmq_url_file", &s.rabbitmq_url_file, "");
  b.Bind("pubsub_credentials_file", &s.pubsub_credentials_file, "");
  b.Bind("db_max_connections", &s.db_max_connections, "");
  b.Bind("db_query_timeout", &s.db_query_timeout, "");
  b.Bind("db_startup_wait", &s.db_startup_wait, "");
  b.Bind("server_threads", &s.server_threads, "");
  b.Bind("max_connections", &s.max_connections, "");
  b.Bind("max_running_handlers", &s.max_running_handlers, "");
  b.Bind("max_queued_requests", &s.max_queued_requests, "");
  b.Bind("max_pending_response_bytes", &s.max_pending_response_bytes, "");
  b.Bind("shutdown_delay", &s.shutdown_delay, "");
  b.Bind("event_stream_max", &s.event_stream_max, "");
  b.Bind("event_stream_heartbeat", &s.event_stream_heartbeat, "");
  b.Bind("nodepool_topic", &s.nodepool_topic, "");
  b.Bind("outbox_batch_size", &s.outbox_batch_size, "");
  b.Bind("outbox_poll_interval", &s.outbox_poll_interval, "");
  b.Bind("outbox_backoff_max", &s.outbox_backoff_max, "");
  b.Bind("outbox_retention", &s.outbox_retention, "");
  b.Bind("reconciliation_stuck_threshold", &s.reconciliation_stuck_threshold, "");
  b.Bind("cluster_adapters", &s.cluster_adapters, "");
  b.Bind("nodepool_adapters", &s.nodepool_adapters, "");
  b.Bind("cluster_optional_adapters", &s.cluster_optional_adapters, "");
  b.Bind("nodepool_optional_adapters", &s.nodepool_optional_adapters, "");
  b.Bind("resource_selector", &s.resource_selector, "");
  for (auto [key, target] : LimitSettings(s.limits)) b.Bind(key, target, "");
  cmd->add_option("--config", s.config_file, "YAML config file (keys as in the README)")
      ->type_name("FILE");
}

Result<void> SettingsLoader::Load() {
  auto env = config::Binder::ProcessEnv();
  std::string file = settings_.config_file;
  if (file.empty()) {
    if (auto it = env.find("HYPERFLEET_CONFIG"); it != env.end()) file = it->second;
  }
  HF_CHECK(binder_.Load(file, env, overrides_));
  for (const auto& [key, port] : {std::pair<const char*, int>{"port", settings_.port},
                                  {"health_port", settings_.health_port},
                                  {"metrics_port", settings_.metrics_port}}) {
    if (port < 0 || port > 65535) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(key) + " must be a TCP port (0-65535), got " + std::to_string(port));
    }
  }
  const Settings& s = settings_;
  auto bad = [](const std::string& what) { return Fail(ErrorCode::kInvalidArgument, what); };
  if (s.outbox_batch_size < 1 || s.outbox_batch_size > 10'000) {
    return bad("outbox_batch_size must be between 1 and 10000, got " +
               std::to_string(s.outbox_batch_size));
  }
  if (s.max_connections < 1) return bad("max_connections must be at least 1");
  if (s.max_running_handlers < 0) {
    return bad("max_running_handlers must not be negative, got " +
               std::to_string(s.max_running_handlers));
  }
  if (s.max_queued_requests < 0) return bad("max_queued_requests must not be negative");
  if (s.max_pending_response_bytes < 1) {
    return bad("max_pending_response_bytes must be positive");
  }
  if (s.outbox_poll_interval <= Duration::zero())
    return bad("outbox_poll_interval must be positive");
  if (s.outbox_backoff_max < std::chrono::seconds(1)) {
    return bad("outbox_backoff_max must be at least 1s (the first retry waits 1s)");
  }
  if (s.outbox_retention <= Duration::zero()) return bad("outbox_retention must be positive");
  if (s.event_stream_max < 0) return bad("event_stream_max must not be negative");
  if (s.event_stream_heartbeat <= Duration::zero()) {
    return bad("event_stream_heartbeat must be positive");
  }
  for (auto [key, value] : LimitSettings(settings_.limits)) {
    if (*value < 1)
      return bad(std::string(key) + " must be at least 1, got " + std::to_string(*value));
  }
  for (const auto& [key, names] : {std::pair{"cluster_adapters", &s.cluster_adapters},
                                   {"nodepool_adapters", &s.nodepool_adapters},
                                   {"cluster_optional_adapters", &s.cluster_optional_adapters},
                                   {"nodepool_optional_adapters", &s.nodepool_optional_adapters}}) {
    HF_CHECK(service::ValidateAdapterNames(key, *names));
  }
  if (s.tls_cert_file.empty() != s.tls_key_file.empty()) {
    return bad("tls_cert_file and tls_key_file go together: set both to serve HTTPS, or neither");
  }
  // Secrets from files replace the URL settings.
  for (auto [file_key, file, target] :
       {std::tuple{"db_file", &settings_.db_file, &settings_.db},
        std::tuple{"rabbitmq_url_file", &settings_.rabbitmq_url_file, &settings_.rabbitmq_url}}) {
    if (file->empty()) continue;
    auto text = ReadFile(*file);
    if (!text) {
      return bad(std::string(file_key) + ": cannot read '" + *file +
                 "' (mount the Secret there, or unset " + file_key + ")");
    }
    *target = std::string(Trim(*text));
    if (target->empty()) return bad(std::string(file_key) + ": '" + *file + "' is empty");
  }
  return Ok();
}

namespace {

constexpr const char* kLoopback = "127.0.0.1";

bool ServesApi(const std::string& command) { return command == "api" || command == "dev"; }

}  // namespace

void ApplyCommandDefaults(const std::string& command, Settings& s) {
  if (command == "dev") s.auth_enabled = false;
  if (command == "dev" || !ServesApi(command)) s.host = kLoopback;
}

void ResolveListenAddresses(const std::string& command, Settings& s) {
  const std::string fallback = ServesApi(command) ? kLoopback : s.host;
  if (s.health_host.empty()) s.health_host = fallback;
  if (s.metrics_host.empty()) s.metrics_host = fallback;
}

}  // namespace hf::app
