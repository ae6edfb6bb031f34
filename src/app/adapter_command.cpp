// hyperfleet adapter --config FILE: one adapter process
// (docs/architecture.md#the-flow-of-one-event). The file is the adapter's own YAML
// (src/adapter/adapter_config.hpp), not a settings file; the command's flags and HYPERFLEET_*
// variables (--api-url, --token-file, --ca-file, --broker, --pubsub-project, --rabbitmq-url,
// --topic) override it, and fill
// what it leaves out.
#include <cstdlib>
#include <iostream>

#include "adapter/adapter_config.hpp"
#include "adapter/adapter_runtime.hpp"
#include "adapter/dry_run.hpp"
#include "app/commands.hpp"
#include "app/components.hpp"
#include "common/file.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"

namespace hf::app {
namespace {

// The JSON file named by option `flag` (null when the option is not given).
Result<nlohmann::json> JsonOption(CLI::App& cmd, const char* flag) {
  const CLI::Option* option = cmd.get_option(flag);
  if (option->count() == 0) return nlohmann::json();
  const std::string path = option->as<std::string>();
  const auto text = ReadFile(path);
  if (!text) return Fail(ErrorCode::kInvalidArgument, std::string(flag) + ": cannot read " + path);
  auto parsed = nlohmann::json::parse(*text, nullptr, false);
  if (parsed.is_discarded()) {
    return Fail(ErrorCode::kInvalidArgument, std::string(flag) + ": " + path + " is not JSON");
  }
  return parsed;
}

// hyperfleet adapter --config F --dry-run --event E [--api-responses R] [--job J]
// [--kube-objects K]: prints the
// dry-run document; exit 0, 1 when the adapter would fail (action "failed"), 2 for bad input.
int RunDryRun(const adapter::AdapterConfig& config, CLI::App& cmd) {
  adapter::DryRunInput input;
  auto usage = [](const std::string& message) {
    std::cerr << "hyperfleet adapter --dry-run: " << message << "\n";
    return 2;
  };
  if (cmd.get_option("--event")->count() == 0) return usage("--event FILE is required");
  for (auto [flag, target] : {std::pair{"--event", &input.event},
                              {"--api-responses", &input.api_responses},
                              {"--job", &input.job},
                              {"--kube-objects", &input.kube_objects}}) {
    auto value = JsonOption(cmd, flag);
    if (!value) return usage(value.error().message);
    if (!value->is_null()) *target = std::move(*value);
  }
  if (!input.api_responses.is_object()) return usage("--api-responses: must be a JSON object");
  if (!input.kube_objects.is_object()) return usage("--kube-objects: must be a JSON object");
  auto out = adapter::DryRun(config, input);
  if (!out) return usage(out.error().message);
  std::cout << out->dump(2) << "\n";
  return (*out)["action"] == "failed" ? 1 : 0;
}

}  // namespace

int RunAdapter(Settings& s, CLI::App& cmd) {
  BlockTerminationSignals();
  if (s.config_file.empty()) {
    return StartupFailure(
        "adapter",
        Error{
            ErrorCode::kInvalidArgument, "--config FILE (the adapter's YAML) is required", {}, {}});
  }
  auto config = adapter::LoadAdapterConfig(s.config_file);
  if (cmd.get_option("--dry-run")->count() > 0) {
    if (!config) {
      std::cerr << "hyperfleet adapter: " << config.error().message << "\n";
      return 2;
    }
    return RunDryRun(*config, cmd);
  }
  if (!config) return StartupFailure("adapter", config.error());

  // flags > env > the adapter YAML > defaults.
  auto given = [&cmd](const char* flag, const char* env) {
    return cmd.count(flag) > 0 || std::getenv(env) != nullptr;
  };
  auto apply = [&](std::string& target, const std::string& value, const char* flag,
                   const char* env) {
    if (target.empty() || given(flag, env)) target = value;
  };
  apply(config->api.base_url, s.api_url, "--api-url", "HYPERFLEET_API_URL");
  apply(config->api.token_file, s.token_file, "--token-file", "HYPERFLEET_TOKEN_FILE");
  apply(config->api.ca_file, s.ca_file, "--ca-file", "HYPERFLEET_CA_FILE");
  apply(config->broker.type, s.broker, "--broker", "HYPERFLEET_BROKER");
  apply(config->broker.pubsub_project, s.pubsub_project, "--pubsub-project",
        "HYPERFLEET_PUBSUB_PROJECT");
  apply(config->broker.rabbitmq_url, s.rabbitmq_url, "--rabbitmq-url", "HYPERFLEET_RABBITMQ_URL");
  // HYPERFLEET_TOPIC names the Cluster topic (as for the outbox): it must not move a nodepool
  // adapter onto it. An explicit --topic applies to any adapter.
  if (!s.topic.empty() && (cmd.count("--topic") > 0 ||
                           (config->kind == &model::kCluster && std::getenv("HYPERFLEET_TOPIC")))) {
    config->broker.topic = s.topic;
  }
  if (config->job && config->job->runner.local.state_dir.empty()) {
    config->job->runner.local.state_dir = s.data_dir + "/jobs/" + config->name;
  }

  s.broker = config->broker.type;
  s.pubsub_project = config->broker.pubsub_project;
  s.rabbitmq_url = config->broker.rabbitmq_url;
  auto broker = OpenBroker(s);  // with the settings' pubsub_credentials_file
  if (!broker) return StartupFailure("adapter", broker.error());

  std::atomic<bool> stop{false};
  auto runtime = adapter::AdapterRuntime::Create(*config, **broker, stop);
  if (!runtime) return StartupFailure("adapter", runtime.error());
  RegisterBrokerMetrics(**broker);
  OpsServers ops(s, [&runtime] { return (*runtime)->NotReadyReason(); });
  if (auto started = ops.Start(); !started) return StartupFailure("adapter", started.error());
  if (auto started = (*runtime)->Start(); !started) {
    ops.Stop();
    return StartupFailure("adapter", started.error());
  }
  const log::Logger log("adapter");
  log.Info("running", {{"adapter", config->name},
                       {"api", config->api.base_url},
                       {"broker", s.broker},
                       {"state_dir", config->job ? config->job->runner.local.state_dir : ""},
                       {"resources", config->resources.size()},
                       {"health", s.health_host + ":" + std::to_string(s.health_port)},
                       {"metrics", s.metrics_host + ":" + std::to_string(s.metrics_port)}});
  int sig = WaitForTerminationSignal();
  log.Info("draining", {{"adapter", config->name}, {"signal", sig}});
  ops.draining() = true;
  stop = true;  // in-flight API calls end now; their events are redelivered
  (*runtime)->Stop();
  ops.Stop();
  log.Info("stopped", {{"adapter", config->name}});
  return 0;
}

}  // namespace hf::app
