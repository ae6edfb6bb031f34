#include "adapter/adapter_config.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <set>

#include "common/file.hpp"
#include "common/yaml_json.hpp"
#include "model/adapter_status.hpp"
#include "model/condition.hpp"

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

using Names = std::set<std::string, std::less<>>;

// Every free variable of an expression must be one the adapter defines where it is used.
Result<void> Known(const std::set<std::string>& used, const Names& known, const std::string& path) {
  for (const auto& name : used) {
    if (known.contains(name)) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    return Bad(path, "unknown variable '" + name + "' (known here: " + list + ")");
  }
  return {};
}

// `text` compiled as CEL, its variables among `known`; errors name `path`.
Result<expr::Program> CompileExpression(const std::string& text, const std::string& path,
                                        const Names& known) {
  auto program = expr::Program::Compile(text);
  if (!program) return Bad(path, program.error().message);
  HF_CHECK(Known(program->variables(), known, path));
  return std::move(*program);
}

// The CEL expression at map[key] (absent: nullopt), compiled, its variables among `known`.
Result<std::optional<expr::Program>> ReadExpression(const YAML::Node& map, std::string_view key,
                                                    const std::string& path, const Names& known) {
  auto text = HF_TRY(Text(map, key, path));
  if (!text) return std::optional<expr::Program>();
  return std::optional<expr::Program>(HF_TRY(CompileExpression(*text, Join(path, key), known)));
}

// A `{{ CEL }}` text template at `path`, its variables among `known`.
Result<TextTemplate> ReadTemplate(const std::string& text, const std::string& path,
                                  const Names& known) {
  auto t = TextTemplate::Parse(text);
  if (!t) return Bad(path, t.error().message);
  HF_CHECK(Known(t->variables(), known, path));
  return std::move(*t);
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
  HF_CHECK(Closed(n, "broker",
                  {"type", "topic", "subscription", "parallelism", "pubsub_project", "rabbitmq_url",
                   "status_changes_from"}));
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
  HF_CHECK(ReadString(n, "rabbitmq_url", "broker", &b.rabbitmq_url));
  if (n["status_changes_from"]) {
    b.status_changes_from.emplace();
    HF_CHECK(ReadStringList(n, "status_changes_from", "broker", &b.status_changes_from.value()));
    for (const auto& name : *b.status_changes_from) {
      if (!model::IsAdapterName(name)) {
        return Bad("broker.status_changes_from", "'" + name + "' is not an adapter name (" +
                                                     std::string(model::kAdapterNamePattern) + ")");
      }
    }
  }
  return {};
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::ranges::all_of(
      s, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

Result<void> ReadParams(const YAML::Node& n, const std::string& base_dir, Names& known,
                        std::vector<Param>& out) {
  if (!n || n.IsNull()) return {};
  if (!n.IsSequence()) return Bad("params", "must be a list of {name, <source>}");
  constexpr std::array<std::pair<std::string_view, ParamSource>, 7> kSources = {{
      {"event", ParamSource::kEvent},
      {"resource", ParamSource::kResource},
      {"env", ParamSource::kEnv},
      {"file", ParamSource::kFile},
      {"api", ParamSource::kApi},
      {"expression", ParamSource::kExpression},
      {"value", ParamSource::kValue},
  }};
  for (size_t i = 0; i < n.size(); ++i) {
    std::string path = "params[" + std::to_string(i) + "]";
    HF_CHECK(Closed(n[i], path,
                    {"name", "event", "resource", "env", "file", "api", "expression", "value",
                     "type", "default", "required", "description"}));
    Param p;
    HF_CHECK(ReadString(n[i], "name", path, &p.name));
    if (p.name.empty()) return Bad(path + ".name", "is required");
    if (!IsIdentifier(p.name)) {
      return Bad(path + ".name", "'" + p.name + "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
    }
    if (known.contains(p.name) ||
        std::ranges::find(kReservedVariables, p.name) != std::end(kReservedVariables)) {
      return Bad(path + ".name", "'" + p.name + "' is already a variable (params and " +
                                     "adapter, resource, event, generation, cluster_id, " +
                                     "nodepool_id, job, preconditions, defaults, resources are "
                                     "taken)");
    }
    path = "params." + p.name;
    int sources = 0;
    for (const auto& [key, source] : kSources) {
      if (!n[i][std::string(key)]) continue;
      ++sources;
      p.source = source;
    }
    if (sources != 1) {
      return Bad(path,
                 "needs exactly one source: event, resource, env, file, api, expression or value");
    }
    switch (p.source) {
      case ParamSource::kEvent:
      case ParamSource::kResource: {
        const char* key = p.source == ParamSource::kEvent ? "event" : "resource";
        std::string field;
        HF_CHECK(ReadString(n[i], key, path, &field));
        auto parsed = FieldPath::Parse(field);
        if (!parsed) return Bad(Join(path, key), parsed.error().message);
        p.path = std::move(*parsed);
        break;
      }
      case ParamSource::kEnv:
        HF_CHECK(ReadString(n[i], "env", path, &p.text));
        if (p.text.empty()) return Bad(path + ".env", "must name a variable");
        break;
      case ParamSource::kFile:
        HF_CHECK(ReadString(n[i], "file", path, &p.text));
        if (p.text.empty()) return Bad(path + ".file", "must name a file");
        p.text = Resolve(base_dir, p.text);
        break;
      case ParamSource::kApi: {
        std::string text;
        HF_CHECK(ReadString(n[i], "api", path, &text));
        if (!text.starts_with('/')) {
          return Bad(path + ".api",
                     "'" + text +
                         "' must be a path under the API, like /clusters/{{cluster_id}}/statuses");
        }
        p.api_path = HF_TRY(ReadTemplate(text, path + ".api", known));
        break;
      }
      case ParamSource::kExpression: {
        std::string text;
        HF_CHECK(ReadString(n[i], "expression", path, &text));
        p.program.emplace(HF_TRY(CompileExpression(text, path + ".expression", known)));
        break;
      }
      case ParamSource::kValue:
        p.value = YamlToJson(n[i]["value"]);
        break;
    }
    if (auto type = HF_TRY(Text(n[i], "type", path))) {
      if (p.source != ParamSource::kEnv && p.source != ParamSource::kFile) {
        return Bad(path + ".type", "applies to env and file params only");
      }
      constexpr std::array<std::pair<std::string_view, ParamType>, 5> kTypes = {{
          {"string", ParamType::kString},
          {"int", ParamType::kInt},
          {"double", ParamType::kDouble},
          {"bool", ParamType::kBool},
          {"json", ParamType::kJson},
      }};
      const auto it =
          std::ranges::find(kTypes, *type, &std::pair<std::string_view, ParamType>::first);
      if (it == kTypes.end()) {
        return Bad(path + ".type", "'" + *type + "' is not one of string, int, double, bool, json");
      }
      p.type = it->second;
    }
    if (const YAML::Node d = n[i]["default"]; d) p.default_value = YamlToJson(d);
    if (auto required = HF_TRY(Text(n[i], "required", path))) {
      if (*required != "true" && *required != "false") {
        return Bad(path + ".required", "must be true or false");
      }
      p.required = *required == "true";
    }
    known.insert(p.name);
    out.push_back(std::move(p));
  }
  return {};
}

Result<void> ReadPreconditions(const YAML::Node& n, const Names& known,
                               std::vector<Precondition>& out) {
  if (!n || n.IsNull()) return {};
  if (!n.IsSequence()) {
    return Bad("preconditions", "must be a list of {name, expression} or {field, operator, value}");
  }
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string path = "preconditions[" + std::to_string(i) + "]";
    HF_CHECK(
        Closed(n[i], path, {"name", "expression", "field", "operator", "value", "value_from"}));
    std::string name;
    HF_CHECK(ReadString(n[i], "name", path, &name));
    if (n[i]["expression"]) {
      for (const char* key : {"field", "operator", "value", "value_from"}) {
        if (n[i][key]) return Bad(Join(path, key), "does not go with expression");
      }
      if (name.empty()) return Bad(path + ".name", "is required with expression");
      Precondition p;
      p.name = name;
      p.expression = HF_TRY(ReadExpression(n[i], "expression", path, known));
      out.push_back(std::move(p));
      continue;
    }
    auto field = HF_TRY(Text(n[i], "field", path));
    auto op = HF_TRY(Text(n[i], "operator", path));
    if (!field) return Bad(path + ".field", "is required (or an expression)");
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
    made->name = name;
    out.push_back(std::move(*made));
  }
  return {};
}

// job.kubernetes: the Kubernetes runner's pod settings and connection.
Result<void> ReadKubernetes(const YAML::Node& n, const std::string& base_dir,
                            jobs::KubernetesJobRunnerOptions& k) {
  const std::string path = "job.kubernetes";
  if (!n || n.IsNull()) return Bad(path, "is required with runner: kubernetes");
  HF_CHECK(Closed(
      n, path,
      {"namespace", "image", "image_pull_policy", "command", "args", "service_account", "resources",
       "backoff_limit", "ttl_seconds_after_finished", "start_timeout", "kubeconfig"}));
  HF_CHECK(ReadString(n, "namespace", path, &k.namespace_name));
  if (!k.namespace_name.empty() && !jobs::kube::IsDns1123Label(k.namespace_name)) {
    return Bad(path + ".namespace", "'" + k.namespace_name + "' is not a valid namespace name");
  }
  HF_CHECK(ReadString(n, "image", path, &k.pod.image));  // empty: $HYPERFLEET_IMAGE
  HF_CHECK(ReadString(n, "image_pull_policy", path, &k.pod.image_pull_policy));
  const std::string& pull = k.pod.image_pull_policy;
  if (pull != "Always" && pull != "IfNotPresent" && pull != "Never") {
    return Bad(path + ".image_pull_policy",
               "'" + pull + "' is not one of Always, IfNotPresent, Never");
  }
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
  HF_CHECK(ReadInt(n, "ttl_seconds_after_finished", path, &k.pod.ttl_seconds_after_finished, 0,
                   1 << 30));
  HF_CHECK(ReadDuration(n, "start_timeout", path, &k.pod.start_timeout));
  HF_CHECK(ReadString(n, "kubeconfig", path, &k.kubeconfig));
  k.kubeconfig = Resolve(base_dir, k.kubeconfig);
  return {};
}

Result<void> ReadJob(const YAML::Node& n, const std::string& base_dir,
                     const model::ResourceKind& kind, const Names& known, JobConfig& job) {
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
  job.name_template = HF_TRY(ReadTemplate(name_template, "job.name_template", known));
  for (const std::string& required : {key, std::string("generation")}) {
    if (!job.name_template.variables().contains(required)) {
      return Bad("job.name_template", "must include {{" + required + "}}");
    }
  }

  if (const YAML::Node env = n["env"]; env && !env.IsNull()) {
    if (!env.IsMap()) return Bad("job.env", "must be a mapping of NAME: value");
    for (const auto& item : env) {
      const std::string name = item.first.as<std::string>();
      if (!item.second.IsScalar()) return Bad("job.env." + name, "must be a single value");
      job.env[name] = HF_TRY(ReadTemplate(item.second.Scalar(), "job.env." + name, known));
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

// The top-level kubernetes section: the connection the resources are applied over.
Result<void> ReadKubernetesSection(const YAML::Node& n, const std::string& base_dir,
                                   KubernetesSection& k) {
  if (!n || n.IsNull()) return {};
  HF_CHECK(Closed(n, "kubernetes", {"kubeconfig", "namespace"}));
  HF_CHECK(ReadString(n, "kubeconfig", "kubernetes", &k.kubeconfig));
  k.kubeconfig = Resolve(base_dir, k.kubeconfig);
  HF_CHECK(ReadString(n, "namespace", "kubernetes", &k.namespace_name));
  if (!k.namespace_name.empty() && !jobs::kube::IsDns1123Label(k.namespace_name)) {
    return Bad("kubernetes.namespace", "'" + k.namespace_name + "' is not a valid namespace name");
  }
  return {};
}

// A resource's manifest: inline (manifest) or from a file (manifest_file).
Result<ManifestTemplate> ReadManifest(const YAML::Node& n, const std::string& base_dir,
                                      const std::string& path, const Names& known) {
  const bool inline_manifest = n["manifest"] && !n["manifest"].IsNull();
  auto file = HF_TRY(Text(n, "manifest_file", path));
  if (inline_manifest == file.has_value()) {
    return Bad(path, "needs exactly one of manifest (inline) and manifest_file");
  }
  std::string at = path + ".manifest";
  nlohmann::json manifest;
  if (inline_manifest) {
    if (!n["manifest"].IsMap()) return Bad(at, "must be a mapping (a Kubernetes object)");
    manifest = YamlToJson(n["manifest"]);
  } else {
    at = path + ".manifest_file";
    const std::string resolved = Resolve(base_dir, *file);
    const auto text = ReadFile(resolved);
    if (!text) return Bad(at, "cannot read '" + resolved + "'");
    try {
      manifest = YamlToJson(YAML::Load(*text));
    } catch (const YAML::Exception& e) {
      return Bad(at, "'" + resolved + "': invalid YAML at line " + std::to_string(e.mark.line + 1) +
                         ": " + e.msg);
    }
  }
  auto parsed = ManifestTemplate::Parse(std::move(manifest));
  if (!parsed) return Bad(at, parsed.error().message);
  HF_CHECK(Known(parsed->variables(), known, at));
  return std::move(*parsed);
}

Result<void> ReadResources(const YAML::Node& n, const std::string& base_dir, const Names& known,
                           std::vector<ResourceConfig>& out) {
  if (!n || n.IsNull()) return {};
  if (!n.IsSequence() || n.size() == 0) {
    return Bad("resources", "must be a list of {name, manifest | manifest_file, discovery}");
  }
  for (size_t i = 0; i < n.size(); ++i) {
    std::string path = "resources[" + std::to_string(i) + "]";
    HF_CHECK(Closed(n[i], path, {"name", "manifest", "manifest_file", "discovery"}));
    ResourceConfig r;
    HF_CHECK(ReadString(n[i], "name", path, &r.name));
    if (r.name.empty()) return Bad(path + ".name", "is required");
    if (!IsIdentifier(r.name)) {
      return Bad(path + ".name", "'" + r.name + "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
    }
    if (std::ranges::find(out, r.name, &ResourceConfig::name) != out.end()) {
      return Bad(path + ".name", "'" + r.name + "' is listed twice");
    }
    path = "resources." + r.name;
    r.manifest = HF_TRY(ReadManifest(n[i], base_dir, path, known));
    if (const YAML::Node d = n[i]["discovery"]; d && !d.IsNull()) {
      const std::string at = path + ".discovery";
      HF_CHECK(Closed(d, at, {"by_name", "by_selector", "namespace"}));
      if (d["by_name"] && d["by_selector"])
        return Bad(at, "by_name and by_selector exclude each other");
      if (auto name = HF_TRY(Text(d, "by_name", at))) {
        r.by_name = HF_TRY(ReadTemplate(*name, at + ".by_name", known));
      }
      if (auto ns = HF_TRY(Text(d, "namespace", at))) {
        r.namespace_name = HF_TRY(ReadTemplate(*ns, at + ".namespace", known));
      }
      if (const YAML::Node s = d["by_selector"]; s && !s.IsNull()) {
        if (!s.IsMap() || s.size() == 0) {
          return Bad(at + ".by_selector", "must be a mapping of label: value");
        }
        for (const auto& item : s) {
          const std::string label = item.first.as<std::string>();
          if (!item.second.IsScalar()) {
            return Bad(at + ".by_selector." + label, "must be a single value");
          }
          r.by_selector[label] =
              HF_TRY(ReadTemplate(item.second.Scalar(), at + ".by_selector." + label, known));
        }
      }
    }
    out.push_back(std::move(r));
  }
  return {};
}

Result<void> ReadReasons(const YAML::Node& reasons, StatusReasons& r) {
  if (!reasons) return {};
  const std::string path = "status.reasons";
  HF_CHECK(Closed(reasons, path,
                  {"launched", "running", "succeeded", "failed", "preconditions_not_met",
                   "finalized", "applied", "available", "not_found", "cleanup"}));
  for (auto [key, target] : {std::pair{"launched", &r.launched},
                             {"running", &r.running},
                             {"succeeded", &r.succeeded},
                             {"failed", &r.failed},
                             {"preconditions_not_met", &r.preconditions_not_met},
                             {"finalized", &r.finalized},
                             {"applied", &r.applied},
                             {"available", &r.available},
                             {"not_found", &r.not_found},
                             {"cleanup", &r.cleanup}}) {
    HF_CHECK(ReadString(reasons, key, path, target));
    if (target->empty()) return Bad(Join(path, key), "must not be empty");
  }
  return {};
}

Result<void> ReadStatus(const YAML::Node& n, Names known, StatusReasons& r, StatusTemplate& st) {
  if (!n) return {};
  HF_CHECK(Closed(n, "status", {"reasons", "conditions", "data"}));
  HF_CHECK(ReadReasons(n["reasons"], r));
  known.insert({"job", "preconditions", "defaults", "resources"});
  if (const YAML::Node list = n["conditions"]; list && !list.IsNull()) {
    if (!list.IsSequence()) {
      return Bad("status.conditions", "must be a list of {type, status, reason, message}");
    }
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = "status.conditions[" + std::to_string(i) + "]";
      HF_CHECK(Closed(list[i], path, {"type", "status", "reason", "message"}));
      ConditionTemplate t;
      HF_CHECK(ReadString(list[i], "type", path, &t.type));
      if (t.type.empty() || !std::isupper(static_cast<unsigned char>(t.type[0])) ||
          !IsIdentifier(t.type)) {
        return Bad(path + ".type", "is required: a condition type like Available or DnsReady");
      }
      if (std::ranges::find(st.conditions, t.type, &ConditionTemplate::type) !=
          st.conditions.end()) {
        return Bad(path + ".type", "'" + t.type + "' is listed twice");
      }
      t.status = HF_TRY(ReadExpression(list[i], "status", path, known));
      t.reason = HF_TRY(ReadExpression(list[i], "reason", path, known));
      t.message = HF_TRY(ReadExpression(list[i], "message", path, known));
      namespace ct = model::condition_type;
      const bool standard =
          t.type == ct::kApplied || t.type == ct::kAvailable || t.type == ct::kHealth;
      if (!standard && (!t.status || !t.reason || !t.message)) {
        return Bad(path,
                   "a condition of its own (" + t.type + ") needs status, reason and message");
      }
      st.conditions.push_back(std::move(t));
    }
  }
  st.data = HF_TRY(ReadExpression(n, "data", "status", known));
  return {};
}

Result<AdapterConfig> Parse(const YAML::Node& root, const std::string& base_dir) {
  HF_CHECK(Closed(root, "",
                  {"name", "resource", "api", "broker", "params", "preconditions", "job",
                   "kubernetes", "resources", "status"}));
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
  if (c.broker.status_changes_from && std::ranges::find(*c.broker.status_changes_from, c.name) !=
                                          c.broker.status_changes_from->end()) {
    return Bad("broker.status_changes_from",
               "'" + c.name + "' is this adapter: its own reports never re-evaluate it");
  }
  if (c.broker.topic.empty()) c.broker.topic = c.kind->default_topic;
  if (c.broker.subscription.empty()) {
    c.broker.subscription = c.kind->HasParent() ? c.name + "-" + resource : c.name;
  }
  Names known = {"adapter", "resource", "event", "generation", std::string(c.kind->id_variable)};
  if (c.kind->HasParent()) known.insert(std::string(model::FindKind(c.kind->parent)->id_variable));
  HF_CHECK(ReadParams(root["params"], base_dir, known, c.params));
  HF_CHECK(ReadPreconditions(root["preconditions"], known, c.preconditions));
  HF_CHECK(ReadResources(root["resources"], base_dir, known, c.resources));
  if (root["job"]) {
    c.job.emplace();
    HF_CHECK(ReadJob(root["job"], base_dir, *c.kind, known, *c.job));
  } else if (c.resources.empty()) {
    return Bad("job", "is required (or resources)");
  }
  if (root["kubernetes"] && c.resources.empty()) {
    return Bad("kubernetes", "is the connection for resources (a job's is job.kubernetes)");
  }
  HF_CHECK(ReadKubernetesSection(root["kubernetes"], base_dir, c.kubernetes));
  if (!c.job) c.reasons.finalized = "ResourcesDeleted";  // the default without jobs
  HF_CHECK(ReadStatus(root["status"], known, c.reasons, c.status));
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
