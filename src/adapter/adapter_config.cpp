#include "adapter/adapter_config.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "common/file.hpp"
#include "model/adapter_status.hpp"

namespace hf::adapter {
namespace {

namespace fs = std::filesystem;
using Keys = std::initializer_list<std::string_view>;

std::unexpected<Error> Bad(const std::string& path, const std::string& why) {
  return Fail(ErrorCode::kInvalidArgument, path + ": " + why);
}

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// `node` must be a mapping whose keys are all in `keys`.
Result<void> Closed(const YAML::Node& node, const std::string& path, Keys keys) {
  if (!node.IsMap()) return Bad(path.empty() ? "(top level)" : path, "must be a mapping");
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string known;
      for (auto k : keys) known += (known.empty() ? "" : ", ") + std::string(k);
      return Bad(Join(path, key), "unknown key (known here: " + known + ")");
    }
  }
  return {};
}

// The scalar at map[key] as text; nullopt when absent or null.
Result<std::optional<std::string>> Text(const YAML::Node& map, std::string_view key,
                                        const std::string& path) {
  const YAML::Node n = map[std::string(key)];
  if (!n || n.IsNull()) return std::optional<std::string>();
  if (!n.IsScalar()) return Bad(Join(path, key), "must be a single value");
  return std::optional<std::string>(n.Scalar());
}

Result<void> ReadString(const YAML::Node& map, std::string_view key, const std::string& path,
                        std::string* out) {
  if (auto v = HF_TRY(Text(map, key, path))) *out = *v;
  return {};
}

Result<void> ReadInt(const YAML::Node& map, std::string_view key, const std::string& path, int* out,
                     int min, int max) {
  auto v = HF_TRY(Text(map, key, path));
  if (!v) return {};
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size() || n < min || n > max) {
    return Bad(Join(path, key), "'" + *v + "' is not an integer from " + std::to_string(min) +
                                    " to " + std::to_string(max));
  }
  *out = n;
  return {};
}

Result<void> ReadDuration(const YAML::Node& map, std::string_view key, const std::string& path,
                          Duration* out) {
  auto v = HF_TRY(Text(map, key, path));
  if (!v) return {};
  auto d = ParseDuration(*v);
  if (!d || d->count() <= 0) {
    return Bad(Join(path, key), "'" + *v + "' is not a positive duration (e.g. 500ms, 10s, 5m)");
  }
  *out = *d;
  return {};
}

Result<void> ReadStringList(const YAML::Node& map, std::string_view key, const std::string& path,
                            std::vector<std::string>* out) {
  const YAML::Node n = map[std::string(key)];
  if (!n || n.IsNull()) return {};
  if (!n.IsSequence()) return Bad(Join(path, key), "must be a list");
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      return Bad(Join(path, key) + "[" + std::to_string(i) + "]", "must be a single value");
    }
    out->push_back(n[i].Scalar());
  }
  return {};
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

Result<void> ReadApi(const YAML::Node& n, ApiConfig& api) {
  if (!n) return {};
  HF_CHECK(Closed(n, "api", {"base_url", "timeout", "retry", "token_file", "ca_file"}));
  HF_CHECK(ReadString(n, "base_url", "api", &api.base_url));
  HF_CHECK(ReadString(n, "token_file", "api", &api.token_file));
  HF_CHECK(ReadString(n, "ca_file", "api", &api.ca_file));
  while (!api.base_url.empty() && api.base_url.back() == '/') api.base_url.pop_back();
  if (!api.base_url.empty() && api.base_url.rfind("http://", 0) != 0 &&
      api.base_url.rfind("https://", 0) != 0) {
    return Bad("api.base_url", "'" + api.base_url + "' must start with http:// or https://");
  }
  HF_CHECK(ReadDuration(n, "timeout", "api", &api.timeout));
  const YAML::Node r = n["retry"];
  if (!r) return {};
  HF_CHECK(Closed(r, "api.retry", {"attempts", "backoff_base", "backoff_max", "jitter"}));
  HF_CHECK(ReadInt(r, "attempts", "api.retry", &api.retry.attempts, 1, 100));
  HF_CHECK(ReadDuration(r, "backoff_base", "api.retry", &api.retry.backoff.base));
  HF_CHECK(ReadDuration(r, "backoff_max", "api.retry", &api.retry.backoff.max));
  if (api.retry.backoff.max < api.retry.backoff.base) {
    return Bad("api.retry.backoff_max", "must not be less than backoff_base");
  }
  if (auto j = HF_TRY(Text(r, "jitter", "api.retry"))) {
    double d = -1;
    auto [p, ec] = std::from_chars(j->data(), j->data() + j->size(), d);
    if (ec != std::errc{} || p != j->data() + j->size() || d < 0 || d > 1) {
      return Bad("api.retry.jitter", "'" + *j + "' is not a fraction from 0 to 1");
    }
    api.retry.backoff.jitter = d;
  }
  return {};
}

Result<void> ReadBroker(const YAML::Node& n, BrokerSection& b) {
  if (!n) return {};
  HF_CHECK(
      Closed(n, "broker",
             {"type", "topic", "subscription", "parallelism", "pubsub_project", "rabbitmq_url"}));
  HF_CHECK(ReadString(n, "type", "broker", &b.type));
  if (!b.type.empty() && b.type != "memory" && b.type != "googlepubsub" && b.type != "rabbitmq") {
    return Bad("broker.type", "'" + b.type + "' is not one of memory, googlepubsub, rabbitmq");
  }
  if (n["topic"]) {
    HF_CHECK(ReadString(n, "topic", "broker", &b.topic));
    if (b.topic.empty()) return Bad("broker.topic", "must not be empty");
  }
  HF_CHECK(ReadString(n, "subscription", "broker", &b.subscription));
  HF_CHECK(ReadInt(n, "parallelism", "broker", &b.parallelism, 1, 256));
  HF_CHECK(ReadString(n, "pubsub_project", "broker", &b.pubsub_project));
  return ReadString(n, "rabbitmq_url", "broker", &b.rabbitmq_url);
}

Result<void> ReadPreconditions(const YAML::Node& n, std::vector<Precondition>& out) {
  if (!n || n.IsNull()) return {};
  if (!n.IsSequence()) return Bad("preconditions", "must be a list of {field, operator, value}");
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string path = "preconditions[" + std::to_string(i) + "]";
    HF_CHECK(Closed(n[i], path, {"field", "operator", "value", "value_from"}));
    auto field = HF_TRY(Text(n[i], "field", path));
    auto op = HF_TRY(Text(n[i], "operator", path));
    if (!field) return Bad(path + ".field", "is required");
    if (!op) return Bad(path + ".operator", "is required");
    nlohmann::json value;
    const YAML::Node v = n[i]["value"];
    if (v && v.IsScalar()) {
      value = v.Scalar();
    } else if (v && v.IsSequence()) {
      value = nlohmann::json::array();
      for (const auto& item : v) {
        if (!item.IsScalar()) return Bad(path + ".value", "list items must be single values");
        value.push_back(item.Scalar());
      }
    } else if (v && v.IsMap()) {
      return Bad(path + ".value", "must be a single value or a list");
    }
    auto value_from = HF_TRY(Text(n[i], "value_from", path));
    auto made = MakePrecondition(*field, *op, std::move(value), value_from.value_or(""));
    if (!made) return Bad(path, made.error().message);
    out.push_back(std::move(*made));
  }
  return {};
}

// job.kubernetes: the Kubernetes runner's pod settings and connection.
Result<void> ReadKubernetes(const YAML::Node& n, const std::string& base_dir,
                            jobs::KubernetesJobRunnerOptions& k) {
  const std::string path = "job.kubernetes";
  if (!n || n.IsNull()) return Bad(path, "is required with runner: kubernetes");
  HF_CHECK(Closed(n, path,
                  {"namespace", "image", "command", "args", "service_account", "resources",
                   "backoff_limit", "ttl_seconds_after_finished", "kubeconfig"}));
  HF_CHECK(ReadString(n, "namespace", path, &k.namespace_name));
  if (!k.namespace_name.empty() && !jobs::kube::IsDns1123Label(k.namespace_name)) {
    return Bad(path + ".namespace", "'" + k.namespace_name + "' is not a valid namespace name");
  }
  HF_CHECK(ReadString(n, "image", path, &k.pod.image));
  if (k.pod.image.empty()) return Bad(path + ".image", "is required");
  if (n["command"] && n["command"].IsScalar()) {
    k.pod.command = {n["command"].Scalar()};
  } else {
    HF_CHECK(ReadStringList(n, "command", path, &k.pod.command));
  }
  if (k.pod.command.empty() || k.pod.command[0].empty()) {
    return Bad(path + ".command", "is required (the container's command, e.g. [/bin/job.sh])");
  }
  HF_CHECK(ReadStringList(n, "args", path, &k.pod.args));
  HF_CHECK(ReadString(n, "service_account", path, &k.pod.service_account));
  if (const YAML::Node r = n["resources"]; r && !r.IsNull()) {
    HF_CHECK(Closed(r, path + ".resources", {"requests", "limits"}));
    for (auto [key, target] : {std::pair{"requests", &k.pod.requests}, {"limits", &k.pod.limits}}) {
      const YAML::Node m = r[key];
      if (!m || m.IsNull()) continue;
      const std::string at = path + ".resources." + key;
      if (!m.IsMap()) return Bad(at, "must be a mapping like {cpu: 50m, memory: 32Mi}");
      for (const auto& item : m) {
        const std::string name = item.first.as<std::string>();
        if (!item.second.IsScalar() || item.second.Scalar().empty()) {
          return Bad(at + "." + name, "must be a quantity like 50m or 32Mi");
        }
        (*target)[name] = item.second.Scalar();
      }
    }
  }
  HF_CHECK(ReadInt(n, "backoff_limit", path, &k.pod.backoff_limit, 0, 100));
  if (n["ttl_seconds_after_finished"] && !n["ttl_seconds_after_finished"].IsNull()) {
    int ttl = 0;
    HF_CHECK(ReadInt(n, "ttl_seconds_after_finished", path, &ttl, 0, 1 << 30));
    k.pod.ttl_seconds_after_finished = ttl;
  }
  HF_CHECK(ReadString(n, "kubeconfig", path, &k.kubeconfig));
  k.kubeconfig = Resolve(base_dir, k.kubeconfig);
  return {};
}

Result<void> ReadJob(const YAML::Node& n, const std::string& base_dir,
                     const model::ResourceKind& kind, JobConfig& job) {
  if (!n) return Bad("job", "is required");
  HF_CHECK(Closed(n, "job",
                  {"runner", "name_template", "command", "args", "env", "timeout", "workdir",
                   "state_dir", "kubernetes"}));
  std::string& backend = job.runner.backend;
  HF_CHECK(ReadString(n, "runner", "job", &backend));
  if (backend != jobs::kLocalBackend && backend != jobs::kKubernetesBackend) {
    return Bad("job.runner", "'" + backend + "' is not one of local, kubernetes");
  }
  // The name must tell jobs of different resources and generations apart.
  const std::string key(kind.id_variable);
  std::string name_template = "{{adapter}}-{{" + key + "}}-{{generation}}";
  HF_CHECK(ReadString(n, "name_template", "job", &name_template));
  std::vector<std::string> variables = {"adapter", key, "generation"};
  if (kind.HasParent()) variables.emplace_back(model::FindKind(kind.parent)->id_variable);
  auto tmpl = NameTemplate::Parse(name_template, variables, {key, "generation"});
  if (!tmpl) return Bad("job.name_template", tmpl.error().message);
  job.name_template = std::move(*tmpl);

  if (const YAML::Node env = n["env"]; env && !env.IsNull()) {
    if (!env.IsMap()) return Bad("job.env", "must be a mapping of NAME: value");
    for (const auto& item : env) {
      const std::string key = item.first.as<std::string>();
      if (!item.second.IsScalar()) return Bad("job.env." + key, "must be a single value");
      job.env[key] = item.second.Scalar();
    }
  }
  HF_CHECK(ReadDuration(n, "timeout", "job", &job.timeout));

  if (backend == jobs::kKubernetesBackend) {
    for (std::string key : {"command", "args"}) {
      if (n[key]) return Bad("job." + key, "is for runner: local (use job.kubernetes." + key + ")");
    }
    if (n["workdir"]) return Bad("job.workdir", "is for runner: local");
    HF_CHECK(ReadString(n, "state_dir", "job", &job.runner.local.state_dir));  // accepted, unused
    return ReadKubernetes(n["kubernetes"], base_dir, job.runner.kubernetes);
  }
  if (n["kubernetes"]) return Bad("job.kubernetes", "is only used with runner: kubernetes");

  auto command = HF_TRY(Text(n, "command", "job"));
  if (!command || command->empty()) return Bad("job.command", "is required");
  std::string cmd = *command;
  if (cmd.find('/') != std::string::npos) {
    cmd = Resolve(base_dir, cmd);
    if (!fs::exists(cmd)) return Bad("job.command", "'" + *command + "' not found at " + cmd);
    if (::access(cmd.c_str(), X_OK) != 0) {
      return Bad("job.command", "'" + cmd + "' is not executable");
    }
  }
  job.argv = {cmd};
  HF_CHECK(ReadStringList(n, "args", "job", &job.argv));
  job.workdir = base_dir;
  HF_CHECK(ReadString(n, "workdir", "job", &job.workdir));
  job.workdir = Resolve(base_dir, job.workdir);
  if (!fs::is_directory(job.workdir)) {
    return Bad("job.workdir", "'" + job.workdir + "' is not a directory");
  }
  std::string& state_dir = job.runner.local.state_dir;
  HF_CHECK(ReadString(n, "state_dir", "job", &state_dir));
  state_dir = Resolve(base_dir, state_dir);
  return {};
}

Result<void> ReadStatus(const YAML::Node& n, StatusReasons& r) {
  if (!n) return {};
  HF_CHECK(Closed(n, "status", {"reasons"}));
  const YAML::Node reasons = n["reasons"];
  if (!reasons) return {};
  const std::string path = "status.reasons";
  HF_CHECK(
      Closed(reasons, path,
             {"launched", "running", "succeeded", "failed", "preconditions_not_met", "finalized"}));
  for (auto [key, target] : {std::pair{"launched", &r.launched},
                             {"running", &r.running},
                             {"succeeded", &r.succeeded},
                             {"failed", &r.failed},
                             {"preconditions_not_met", &r.preconditions_not_met},
                             {"finalized", &r.finalized}}) {
    HF_CHECK(ReadString(reasons, key, path, target));
    if (target->empty()) return Bad(Join(path, key), "must not be empty");
  }
  return {};
}

Result<AdapterConfig> Parse(const YAML::Node& root, const std::string& base_dir) {
  HF_CHECK(
      Closed(root, "", {"name", "resource", "api", "broker", "preconditions", "job", "status"}));
  AdapterConfig c;
  HF_CHECK(ReadString(root, "name", "", &c.name));
  if (c.name.empty()) return Bad("name", "is required");
  if (!model::IsAdapterName(c.name)) {
    return Bad("name", "'" + c.name + "' must be lower-case letters, digits and '-' (" +
                           std::string(model::kAdapterNamePattern) + ")");
  }
  HF_CHECK(ReadApi(root["api"], c.api));
  std::string resource(model::kCluster.plural);
  HF_CHECK(ReadString(root, "resource", "", &resource));
  c.kind = model::FindKindByPlural(resource);
  if (c.kind == nullptr) {
    return Bad("resource", "'" + resource + "' is not one of " + model::KindPluralsText());
  }
  HF_CHECK(ReadBroker(root["broker"], c.broker));
  if (c.broker.topic.empty()) c.broker.topic = c.kind->default_topic;
  if (c.broker.subscription.empty()) {
    c.broker.subscription = c.kind->HasParent() ? c.name + "-" + resource : c.name;
  }
  HF_CHECK(ReadPreconditions(root["preconditions"], c.preconditions));
  HF_CHECK(ReadJob(root["job"], base_dir, *c.kind, c.job));
  HF_CHECK(ReadStatus(root["status"], c.reasons));
  return c;
}

}  // namespace

Result<AdapterConfig> ParseAdapterConfig(std::string_view yaml, const std::string& base_dir,
                                         const std::string& source) {
  Result<AdapterConfig> parsed = Fail(ErrorCode::kInternal, "unparsed");
  try {
    parsed = Parse(YAML::Load(std::string(yaml)), base_dir);
  } catch (const YAML::Exception& e) {
    return Fail(ErrorCode::kInvalidArgument, source + ": invalid YAML at line " +
                                                 std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!parsed) return Fail(ErrorCode::kInvalidArgument, source + ": " + parsed.error().message);
  return parsed;
}

Result<AdapterConfig> LoadAdapterConfig(const std::string& path) {
  const auto text = ReadFile(path);
  if (!text) return Fail(ErrorCode::kInvalidArgument, "cannot read adapter config '" + path + "'");
  std::string dir = fs::absolute(path).parent_path().lexically_normal().string();
  return ParseAdapterConfig(*text, dir, path);
}

}  // namespace hf::adapter
