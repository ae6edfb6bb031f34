// deploy/helm/hyperfleet: lints the chart (`helm lint --strict`), renders it with `helm template`
// for its default, dev, production and minimal values and checks the objects a cluster would
// get: complete containers under the pod security the chart promises, resolvable references,
// the binary's default ports and the listen addresses probes and scrapes need, the broker
// wiring, one ticker per resource type, each adapter with its config, RBAC and token audience,
// RBAC for the Kubernetes job runner, the optional HPA, PDBs, ServiceMonitor, PrometheusRule
// and NetworkPolicies, and authentication: HTTPS, the service-account issuer, projected tokens,
// and secrets only as files. A misspelt value must fail the render (values.schema.json).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/settings.hpp"
#include "auth/issuer_config.hpp"
#include "deploy/repo_files.hpp"
#include "testing/env.hpp"
#include "testing/process.hpp"

namespace hf::deploy_test {
namespace {

namespace fs = std::filesystem;
using Labels = std::map<std::string, std::string>;

fs::path ChartDir() { return SourceDir() / "deploy" / "helm" / "hyperfleet"; }
fs::path AdapterConfigDir() { return SourceDir() / "deploy" / "adapters" / "kubernetes"; }

// `n` at `path` (map keys), or a null node when any step is missing; never throws.
YAML::Node At(const YAML::Node& n, const std::vector<std::string>& path) {
  // Node's operator= writes through to the tree; reset() only rebinds the handle.
  YAML::Node cur;
  cur.reset(n);
  for (const auto& key : path) {
    if (!cur.IsDefined() || !cur.IsMap()) return YAML::Node();
    const YAML::Node next = static_cast<const YAML::Node&>(cur)[key];
    if (!next.IsDefined()) return YAML::Node();
    cur.reset(next);
  }
  return cur;
}

bool Present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

std::string Str(const YAML::Node& n) {
  return n && n.IsScalar() ? n.as<std::string>() : std::string();
}

Labels LabelMap(const YAML::Node& n) {
  Labels out;
  if (n && n.IsMap()) {
    for (const auto& kv : n) out[kv.first.as<std::string>()] = Str(kv.second);
  }
  return out;
}

bool Selects(const Labels& selector, const Labels& labels) {
  if (selector.empty()) return false;
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

// One values file to render the chart with, and what its render must show.
struct Variant {
  std::string name;
  std::string values;              // deploy/helm/hyperfleet/<values>, or "" for values.yaml alone
  std::string broker;              // what HYPERFLEET_BROKER must be
  std::set<std::string> external;  // "Kind/name" the cluster must already have
  std::set<std::string> adapters;  // the adapters deployed
  int api_replicas = 2;            // replicas, or the HPA's minimum
  bool optional = false;           // ServiceMonitor, PrometheusRule, NetworkPolicy, HPA rendered
  bool disruption_budgets = true;  // PDBs for the API and the outbox
  bool topology_spread = true;
};

const std::set<std::string> kAllAdapters = {"validation", "dns", "placement",
                                            "nodepool-validation"};

// kube-root-ca.crt: the cluster's CA, which Kubernetes puts in every namespace.
const std::vector<Variant>& Variants() {
  static const std::vector<Variant> v = {
      {"default",
       "",
       "rabbitmq",
       {"Secret/hyperfleet-db", "Secret/hyperfleet-rabbitmq", "Secret/hyperfleet-api-tls",
        "ConfigMap/kube-root-ca.crt"},
       kAllAdapters},
      {"dev", "ci/dev-values.yaml", "rabbitmq", {"ConfigMap/kube-root-ca.crt"}, kAllAdapters},
      {"production",
       "ci/production-values.yaml",
       "googlepubsub",
       {"Secret/hyperfleet-db", "Secret/hyperfleet-api-tls"},
       kAllAdapters,
       2,
       true},
      {"minimal",
       "ci/minimal-values.yaml",
       "rabbitmq",
       {"Secret/hyperfleet-db", "Secret/hyperfleet-rabbitmq", "Secret/hyperfleet-api-tls",
        "ConfigMap/kube-root-ca.crt"},
       {"validation"},
       1,
       false,
       false,
       false},
  };
  return v;
}

// The path of helm, or "" when it is not on PATH: a failure under `make test`
// (scripts/install-deps.sh installs it), else the caller skips.
std::string Helm() {
  std::string helm = FindOnPath("helm");
  if (helm.empty() && ::hf::testing::UnderTestServices()) {
    ADD_FAILURE() << "helm is not on PATH although this is `make test`: "
                  << "scripts/install-deps.sh installs it";
  }
  return helm;
}

// Runs `helm ARGS` with its standard output to file `out`; the result's output is what helm
// wrote to its standard error (it notes there that the chart's files/ link into deploy/).
::hf::testing::RunResult RunHelm(const std::string& helm, const std::vector<std::string>& args,
                                 const fs::path& out) {
  const fs::path err = out.string() + ".err";
  std::string command = "exec " + ShellQuote(helm);
  for (const auto& a : args) command += " " + ShellQuote(a);
  command += " >" + ShellQuote(out.string()) + " 2>" + ShellQuote(err.string());
  auto run = ::hf::testing::Run({"/bin/sh", "-c", command});
  run.output += ReadFile(err);
  return run;
}

// The rendered objects of one variant, and lookups over them.
class Render {
 public:
  std::vector<YAML::Node> objects;

  std::vector<YAML::Node> OfKind(const std::string& kind) const {
    std::vector<YAML::Node> out;
    for (const auto& o : objects) {
      if (Str(o["kind"]) == kind) out.push_back(o);
    }
    return out;
  }
  YAML::Node Find(const std::string& kind, const std::string& name) const {
    for (const auto& o : objects) {
      if (Str(o["kind"]) == kind && Str(At(o, {"metadata", "name"})) == name) return o;
    }
    return YAML::Node();
  }
  bool Has(const std::string& kind, const std::string& name) const {
    return Present(Find(kind, name));
  }
  // The cert-manager Certificate that writes Secret `name` (spec.secretName), or a null node.
  YAML::Node CertificateFor(const std::string& name) const {
    for (const auto& c : OfKind("Certificate")) {
      if (Str(At(c, {"spec", "secretName"})) == name) return c;
    }
    return YAML::Node();
  }
  // Workloads (Deployment, StatefulSet, DaemonSet, Job) with their pod template.
  std::vector<YAML::Node> Workloads() const {
    std::vector<YAML::Node> out;
    for (const auto& o : objects) {
      std::string kind = Str(o["kind"]);
      if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "Job") {
        out.push_back(o);
      }
    }
    return out;
  }
};

std::string Id(const YAML::Node& o) {
  return Str(o["kind"]) + "/" + Str(At(o, {"metadata", "name"}));
}

YAML::Node PodSpec(const YAML::Node& workload) {
  return At(workload, {"spec", "template", "spec"});
}

std::vector<YAML::Node> Containers(const YAML::Node& pod, const char* field = "containers") {
  std::vector<YAML::Node> out;
  if (pod[field]) {
    for (const auto& c : pod[field]) out.push_back(c);
  }
  return out;
}

bool IsHyperfleet(const YAML::Node& container) {
  return Str(container["image"]).find("hyperfleet") != std::string::npos;
}

std::string Subcommand(const YAML::Node& container) {
  return container["args"] && container["args"].size() > 0 ? Str(container["args"][0]) : "";
}

std::vector<std::string> Args(const YAML::Node& container) {
  std::vector<std::string> out;
  if (container["args"]) {
    for (const auto& a : container["args"]) out.push_back(Str(a));
  }
  return out;
}

// The port number `port` (a number or a container port name) stands for in `container`.
std::optional<int> ResolvePort(const YAML::Node& container, const YAML::Node& port) {
  std::string p = Str(port);
  if (!p.empty() && std::all_of(p.begin(), p.end(), ::isdigit)) return std::stoi(p);
  if (container["ports"]) {
    for (const auto& cp : container["ports"]) {
      if (Str(cp["name"]) == p) return cp["containerPort"].as<int>();
    }
  }
  return std::nullopt;
}

std::optional<int> NamedPort(const YAML::Node& container, const std::string& name) {
  return ResolvePort(container, YAML::Node(name));
}

// The value of env variable `name` of `container`: its literal value, or from a ConfigMap
// named in envFrom. std::nullopt when unset; "secret:<name>/<key>" when from a Secret.
std::optional<std::string> EnvValue(const Render& r, const YAML::Node& container,
                                    const std::string& name) {
  if (container["env"]) {
    for (const auto& e : container["env"]) {
      if (Str(e["name"]) != name) continue;
      if (e["value"]) return Str(e["value"]);
      if (auto s = At(e, {"valueFrom", "secretKeyRef"}); Present(s)) {
        return "secret:" + Str(s["name"]) + "/" + Str(s["key"]);
      }
      return std::string("?");
    }
  }
  if (container["envFrom"]) {
    for (const auto& f : container["envFrom"]) {
      if (auto ref = f["configMapRef"]) {
        auto cm = r.Find("ConfigMap", Str(ref["name"]));
        if (Present(At(cm, {"data", name}))) return Str(At(cm, {"data", name}));
      }
    }
  }
  return std::nullopt;
}

// What a container finds at a file path: the volume source that provides it, through the
// container's volumeMounts and the pod's volumes (configMap, secret, projected).
struct MountedFile {
  std::string kind;  // "ConfigMap", "Secret", "ServiceAccountToken"; "" when nothing provides it
  std::string name;  // the ConfigMap or Secret, as rendered
  std::string key;   // its data key
  YAML::Node token;  // for a ServiceAccountToken: the projected source (audience, …)
};

// The data key a configMap/secret volume source shows at `rel` inside the volume (its `items`,
// or without them every key under its own name), or "" when none.
std::string KeyAt(const YAML::Node& source, const std::string& rel) {
  if (!source["items"]) return rel.find('/') == std::string::npos ? rel : std::string();
  for (const auto& item : source["items"]) {
    if (Str(item["path"]) == rel) return Str(item["key"]);
  }
  return "";
}

MountedFile FileAt(const YAML::Node& pod, const YAML::Node& container, const std::string& path) {
  for (const auto& m : container["volumeMounts"]) {
    std::string mount = Str(m["mountPath"]);
    std::string rel;
    if (Present(m["subPath"])) {
      if (path != mount) continue;
      rel = Str(m["subPath"]);
    } else if (path.size() > mount.size() + 1 && path.rfind(mount + "/", 0) == 0) {
      rel = path.substr(mount.size() + 1);
    } else {
      continue;
    }
    for (const auto& vol : pod["volumes"]) {
      if (Str(vol["name"]) != Str(m["name"])) continue;
      MountedFile f;
      auto from = [&](const char* kind, const YAML::Node& source, const char* name_field) {
        f.kind = kind;
        f.name = Str(source[name_field]);
        f.key = KeyAt(source, rel);
        return !f.key.empty();
      };
      if (vol["configMap"] && from("ConfigMap", vol["configMap"], "name")) return f;
      if (vol["secret"] && from("Secret", vol["secret"], "secretName")) return f;
      for (const auto& s : At(vol, {"projected", "sources"})) {
        if (s["configMap"] && from("ConfigMap", s["configMap"], "name")) return f;
        if (s["secret"] && from("Secret", s["secret"], "name")) return f;
        if (s["serviceAccountToken"] && Str(At(s, {"serviceAccountToken", "path"})) == rel) {
          f.kind = "ServiceAccountToken";
          f.key = rel;
          f.token = s["serviceAccountToken"];
          return f;
        }
      }
    }
  }
  return MountedFile();
}

// The file the environment variable `name` of `container` names, as FileAt finds it; kind is ""
// when the variable is unset or nothing mounted provides the file.
MountedFile FileOfEnv(const Render& r, const YAML::Node& pod, const YAML::Node& container,
                      const std::string& name) {
  auto path = EnvValue(r, container, name);
  return path ? FileAt(pod, container, *path) : MountedFile();
}

// The YAML text of a ConfigMap file, parsed; a null node when it is not one or does not parse.
YAML::Node ConfigMapYaml(const Render& r, const MountedFile& f) {
  if (f.kind != "ConfigMap") return YAML::Node();
  auto data = At(r.Find("ConfigMap", f.name), {"data", f.key});
  if (!Present(data)) return YAML::Node();
  try {
    return YAML::Load(Str(data));
  } catch (const YAML::Exception&) {
    return YAML::Node();
  }
}

class HelmChart : public ::testing::TestWithParam<Variant> {
 protected:
  // Renders the variant once for all its tests (the objects are only read).
  void SetUp() override {
    static std::map<std::string, std::vector<YAML::Node>> renders;
    const Variant& v = GetParam();
    if (auto it = renders.find(v.name); it != renders.end()) {
      render_.objects = it->second;
      return;
    }
    const std::string helm = Helm();
    if (helm.empty()) GTEST_SKIP() << "helm is not on PATH (scripts/install-deps.sh installs it)";
    const fs::path tmp = ::hf::testing::MakeTempDir("hf-helm");
    ASSERT_FALSE(tmp.empty());
    std::vector<std::string> args = {"template", "hyperfleet", ChartDir().string(), "--namespace",
                                     "hyperfleet"};
    if (!v.values.empty()) {
      args.push_back("--values");
      args.push_back((ChartDir() / v.values).string());
    }
    const fs::path out = tmp / "render.yaml";
    auto run = RunHelm(helm, args, out);
    const std::string text = ReadFile(out);
    fs::remove_all(tmp);
    ASSERT_EQ(run.exit_code, 0) << "helm template failed:\n" << run.output;
    try {
      for (auto& doc : YAML::LoadAll(text)) {
        if (doc && doc.IsMap()) render_.objects.push_back(doc);
      }
    } catch (const YAML::Exception& e) {
      FAIL() << "the render of " << v.name << " is not YAML: " << e.what();
    }
    ASSERT_GT(render_.objects.size(), 10u) << text;
    renders[v.name] = render_.objects;
  }

  // The Deployments running `hyperfleet <sub>`.
  std::vector<YAML::Node> Running(const std::string& sub) const {
    std::vector<YAML::Node> out;
    for (const auto& w : render_.Workloads()) {
      for (const auto& c : Containers(PodSpec(w))) {
        if (IsHyperfleet(c) && Subcommand(c) == sub) out.push_back(w);
      }
    }
    return out;
  }

  // The adapter config workload `w` runs (`hyperfleet adapter --config DIR/FILE`): FILE's entry
  // in the ConfigMap mounted at DIR, parsed. A null node when any link is missing.
  YAML::Node AdapterConfigOf(const YAML::Node& w) const {
    auto pod = PodSpec(w);
    auto c = pod["containers"][0];
    auto args = Args(c);
    if (args.size() != 3 || args[1] != "--config") return YAML::Node();
    return ConfigMapYaml(render_, FileAt(pod, c, args[2]));
  }

  // The HyperFleet containers (init containers too) with their pod spec and a name for messages.
  struct HyperfleetContainer {
    std::string where;
    YAML::Node pod;
    YAML::Node container;
  };
  std::vector<HyperfleetContainer> HyperfleetContainers() const {
    std::vector<HyperfleetContainer> out;
    for (const auto& w : render_.Workloads()) {
      for (const char* field : {"initContainers", "containers"}) {
        for (const auto& c : Containers(PodSpec(w), field)) {
          if (IsHyperfleet(c)) out.push_back({Id(w) + "/" + Str(c["name"]), PodSpec(w), c});
        }
      }
    }
    return out;
  }

  // Expects the file variable `var` of `c` to name key `key` of Secret `secret` (by its base
  // name), mounted so that Kubernetes updates it.
  void ExpectSecretFile(const std::string& where, const YAML::Node& pod, const YAML::Node& c,
                        const std::string& var, const std::string& secret,
                        const std::string& key) const {
    auto f = FileOfEnv(render_, pod, c, var);
    EXPECT_EQ(f.kind, "Secret") << where << ": " << var << " names no file of a mounted Secret";
    EXPECT_EQ(f.name, secret) << where << ": " << var;
    EXPECT_EQ(f.key, key) << where << ": " << var;
  }

  Render render_;
};

TEST_P(HelmChart, EveryContainerHasAnImageResourceRequestsAndProbes) {
  ASSERT_FALSE(render_.Workloads().empty());
  for (const auto& w : render_.Workloads()) {
    const auto pod = PodSpec(w);
    ASSERT_TRUE(pod) << Id(w) << " has no pod template";
    ASSERT_FALSE(Containers(pod).empty()) << Id(w);
    for (const char* field : {"initContainers", "containers"}) {
      for (const auto& c : Containers(pod, field)) {
        std::string where = Id(w) + " " + field + "/" + Str(c["name"]);
        EXPECT_FALSE(Str(c["image"]).empty()) << where << ": no image";
        EXPECT_FALSE(Str(At(c, {"resources", "requests", "cpu"})).empty())
            << where << ": no cpu request";
        EXPECT_FALSE(Str(At(c, {"resources", "requests", "memory"})).empty())
            << where << ": no memory request";
        EXPECT_FALSE(Str(At(c, {"resources", "limits", "memory"})).empty())
            << where << ": no memory limit";
        if (std::string(field) == "containers") {
          EXPECT_TRUE(At(c, {"livenessProbe"}).IsMap()) << where << ": no liveness probe";
          EXPECT_TRUE(At(c, {"readinessProbe"}).IsMap()) << where << ": no readiness probe";
        }
        if (IsHyperfleet(c)) {
          // Service links would set HYPERFLEET_METRICS_PORT=tcp://… (Service hyperfleet-metrics)
          // and the like, which the binary reads as settings.
          EXPECT_EQ(Str(At(pod, {"enableServiceLinks"})), "false") << where;
          // Pod security: what PodSecurity `restricted` asks, and a read-only root.
          EXPECT_TRUE(At(pod, {"securityContext", "runAsNonRoot"}).as<bool>(false)) << where;
          EXPECT_EQ(Str(At(pod, {"securityContext", "seccompProfile", "type"})), "RuntimeDefault")
              << where;
          EXPECT_FALSE(At(c, {"securityContext", "allowPrivilegeEscalation"}).as<bool>(true))
              << where;
          EXPECT_TRUE(At(c, {"securityContext", "readOnlyRootFilesystem"}).as<bool>(false))
              << where;
          std::vector<std::string> dropped;
          for (const auto& cap : At(c, {"securityContext", "capabilities", "drop"})) {
            dropped.push_back(Str(cap));
          }
          EXPECT_EQ(dropped, std::vector<std::string>{"ALL"}) << where;
          EXPECT_FALSE(Present(At(c, {"securityContext", "capabilities", "add"}))) << where;
        }
      }
    }
  }
}

// Every HyperFleet Deployment spreads its replicas over nodes (unless the values turn it off),
// selecting exactly its own pods.
TEST_P(HelmChart, ReplicasSpreadOverNodes) {
  for (const auto& w : render_.Workloads()) {
    if (!IsHyperfleet(PodSpec(w)["containers"][0])) continue;
    const auto spread = At(PodSpec(w), {"topologySpreadConstraints"});
    if (!GetParam().topology_spread) {
      EXPECT_FALSE(Present(spread)) << Id(w);
      continue;
    }
    ASSERT_TRUE(spread.IsSequence() && spread.size() == 1) << Id(w);
    EXPECT_EQ(Str(spread[0]["topologyKey"]), "kubernetes.io/hostname") << Id(w);
    EXPECT_EQ(LabelMap(At(spread[0], {"labelSelector", "matchLabels"})),
              LabelMap(At(w, {"spec", "selector", "matchLabels"})))
        << Id(w) << " spreads other pods than its own";
  }
}

TEST_P(HelmChart, EveryReferencedConfigMapSecretAndServiceAccountExists) {
  const Variant& v = GetParam();
  std::set<std::string> external_used;
  auto check = [&](const std::string& kind, const std::string& name, const std::string& key,
                   const std::string& where) {
    std::string id = kind + "/" + name;
    if (v.external.contains(id)) {
      external_used.insert(id);
      EXPECT_FALSE(render_.Has(kind, name)) << id << " is listed as external but rendered";
      EXPECT_FALSE(Present(render_.CertificateFor(name)))
          << id << " is listed as external but a rendered Certificate writes it";
      return;
    }
    if (kind == "Secret" && Present(render_.CertificateFor(name))) {
      // cert-manager writes these keys (ca.crt: the CA of the issuer that signed it).
      EXPECT_TRUE(key.empty() || key == "tls.crt" || key == "tls.key" || key == "ca.crt")
          << where << " refers to key '" << key << "' that cert-manager does not write to " << id;
      return;
    }
    auto obj = render_.Find(kind, name);
    ASSERT_TRUE(Present(obj)) << where << " refers to missing " << id;
    if (!key.empty()) {
      EXPECT_TRUE(Present(At(obj, {"data", key})) || Present(At(obj, {"stringData", key})))
          << where << " refers to key '" << key << "' missing from " << id;
    }
  };
  for (const auto& w : render_.Workloads()) {
    const auto pod = PodSpec(w);
    if (pod["serviceAccountName"]) {
      check("ServiceAccount", Str(pod["serviceAccountName"]), "", Id(w));
    }
    for (const char* field : {"initContainers", "containers"}) {
      for (const auto& c : Containers(pod, field)) {
        std::string where = Id(w) + "/" + Str(c["name"]);
        for (const auto& e : c["env"] ? c["env"] : YAML::Node(YAML::NodeType::Sequence)) {
          if (auto s = At(e, {"valueFrom", "secretKeyRef"}); Present(s)) {
            check("Secret", Str(s["name"]), Str(s["key"]), where);
          }
          if (auto s = At(e, {"valueFrom", "configMapKeyRef"}); Present(s)) {
            check("ConfigMap", Str(s["name"]), Str(s["key"]), where);
          }
        }
        for (const auto& f : c["envFrom"] ? c["envFrom"] : YAML::Node(YAML::NodeType::Sequence)) {
          if (f["configMapRef"])
            check("ConfigMap", Str(At(f, {"configMapRef", "name"})), "", where);
          if (f["secretRef"]) check("Secret", Str(At(f, {"secretRef", "name"})), "", where);
        }
      }
    }
    // A volume source and each key it selects (`items`).
    auto check_source = [&](const std::string& kind, const YAML::Node& source,
                            const char* name_field) {
      std::string name = Str(source[name_field]);
      check(kind, name, "", Id(w));
      for (const auto& item : source["items"]) check(kind, name, Str(item["key"]), Id(w));
    };
    for (const auto& vol : pod["volumes"] ? pod["volumes"] : YAML::Node(YAML::NodeType::Sequence)) {
      if (vol["configMap"]) check_source("ConfigMap", vol["configMap"], "name");
      if (vol["secret"]) check_source("Secret", vol["secret"], "secretName");
      for (const auto& s : At(vol, {"projected", "sources"})) {
        if (s["configMap"]) check_source("ConfigMap", s["configMap"], "name");
        if (s["secret"]) check_source("Secret", s["secret"], "name");
      }
    }
  }
  // The Jobs the adapters create run as the service account their config names.
  for (const auto& cm : render_.OfKind("ConfigMap")) {
    if (Str(At(cm, {"metadata", "name"})).rfind("hyperfleet-adapter-", 0) != 0) continue;
    for (const auto& kv : cm["data"]) {
      auto config = YAML::Load(Str(kv.second));
      auto k8s = At(config, {"job", "kubernetes"});
      ASSERT_TRUE(k8s.IsMap()) << Str(kv.first) << ": no job.kubernetes";
      EXPECT_EQ(Str(At(config, {"job", "runner"})), "kubernetes") << Str(kv.first);
      check("ServiceAccount", Str(k8s["service_account"]), "",
            "adapter config " + kv.first.as<std::string>());
    }
  }
  // cert-manager: every Certificate's issuer is rendered, and a CA Issuer's Secret is written by
  // a Certificate.
  for (const auto& cert : render_.OfKind("Certificate")) {
    EXPECT_EQ(Str(At(cert, {"spec", "issuerRef", "kind"})), "Issuer") << Id(cert);
    EXPECT_TRUE(render_.Has("Issuer", Str(At(cert, {"spec", "issuerRef", "name"}))))
        << Id(cert) << " names a missing Issuer";
  }
  for (const auto& issuer : render_.OfKind("Issuer")) {
    if (auto ca = At(issuer, {"spec", "ca", "secretName"}); Present(ca)) {
      EXPECT_TRUE(Present(render_.CertificateFor(Str(ca))))
          << Id(issuer) << ": no Certificate writes its CA Secret " << Str(ca);
    }
  }
  EXPECT_EQ(external_used, v.external) << "every expected-external object is referenced";
}

TEST_P(HelmChart, ServicesDisruptionBudgetsAndMonitorsSelectSomething) {
  std::vector<std::pair<Labels, YAML::Node>> pods;  // template labels, container list
  for (const auto& w : render_.Workloads()) {
    pods.emplace_back(LabelMap(At(w, {"spec", "template", "metadata", "labels"})),
                      PodSpec(w)["containers"]);
    // A workload's own selector must match its template.
    EXPECT_TRUE(Selects(LabelMap(At(w, {"spec", "selector", "matchLabels"})), pods.back().first))
        << Id(w);
  }
  for (const auto& svc : render_.OfKind("Service")) {
    Labels sel = LabelMap(At(svc, {"spec", "selector"}));
    bool any = false;
    for (const auto& [labels, containers] : pods) {
      if (!Selects(sel, labels)) continue;
      any = true;
      for (const auto& port : At(svc, {"spec", "ports"})) {
        std::optional<int> target;
        for (const auto& c : containers) {
          if (!target)
            target = ResolvePort(c, port["targetPort"] ? port["targetPort"] : port["port"]);
        }
        EXPECT_TRUE(target.has_value())
            << Id(svc) << " port " << Str(port["name"]) << " has no matching container port";
      }
    }
    EXPECT_TRUE(any) << Id(svc) << " selects no pod";
  }
  for (const auto& pdb : render_.OfKind("PodDisruptionBudget")) {
    Labels sel = LabelMap(At(pdb, {"spec", "selector", "matchLabels"}));
    EXPECT_TRUE(
        std::any_of(pods.begin(), pods.end(), [&](const auto& p) { return Selects(sel, p.first); }))
        << Id(pdb) << " selects no pod";
  }
  for (const char* component : {"api", "outbox"}) {
    if (!GetParam().disruption_budgets) break;
    bool covered = false;
    for (const auto& pdb : render_.OfKind("PodDisruptionBudget")) {
      covered |=
          LabelMap(At(pdb, {"spec", "selector", "matchLabels"}))["app.kubernetes.io/component"] ==
          component;
    }
    EXPECT_TRUE(covered) << "no PodDisruptionBudget for the " << component;
  }
  auto monitors = render_.OfKind("ServiceMonitor");
  EXPECT_EQ(render_.OfKind("PodDisruptionBudget").size(), GetParam().disruption_budgets ? 2u : 0u);
  EXPECT_EQ(monitors.size(), GetParam().optional ? 1u : 0u)
      << "the ServiceMonitor (a CRD) comes only with serviceMonitor.enabled";
  for (const auto& sm : monitors) {
    Labels sel = LabelMap(At(sm, {"spec", "selector", "matchLabels"}));
    bool any = false;
    for (const auto& svc : render_.OfKind("Service")) {
      if (!Selects(sel, LabelMap(At(svc, {"metadata", "labels"})))) continue;
      any = true;
      for (const auto& ep : At(sm, {"spec", "endpoints"})) {
        bool named = false;
        for (const auto& port : At(svc, {"spec", "ports"}))
          named |= Str(port["name"]) == Str(ep["port"]);
        EXPECT_TRUE(named) << Id(sm) << " scrapes port " << Str(ep["port"]) << " missing from "
                           << Id(svc);
      }
    }
    EXPECT_TRUE(any) << Id(sm) << " selects no Service";
    // Every HyperFleet pod is scraped, with its component on its series (the alert rules read
    // up{app_kubernetes_io_component="api"}).
    for (const auto& svc : render_.OfKind("Service")) {
      if (!Selects(sel, LabelMap(At(svc, {"metadata", "labels"})))) continue;
      for (const auto& w : render_.Workloads()) {
        if (!IsHyperfleet(PodSpec(w)["containers"][0])) continue;
        EXPECT_TRUE(Selects(LabelMap(At(svc, {"spec", "selector"})),
                            LabelMap(At(w, {"spec", "template", "metadata", "labels"}))))
            << Id(svc) << " does not select the pods of " << Id(w);
      }
    }
    std::set<std::string> target_labels;
    for (const auto& l : At(sm, {"spec", "podTargetLabels"})) target_labels.insert(Str(l));
    EXPECT_TRUE(target_labels.contains("app.kubernetes.io/component")) << Id(sm);
  }
}

TEST_P(HelmChart, PortsAndProbesMatchTheBinaryDefaults) {
  const app::Settings defaults;
  int hyperfleet_containers = 0;
  for (const auto& w : render_.Workloads()) {
    for (const auto& c : Containers(PodSpec(w))) {
      if (!IsHyperfleet(c)) continue;
      ++hyperfleet_containers;
      std::string where = Id(w);
      std::string sub = Subcommand(c);
      EXPECT_EQ(NamedPort(c, "health"), defaults.health_port) << where;
      EXPECT_EQ(NamedPort(c, "metrics"), defaults.metrics_port) << where;
      if (sub == "api") {
        EXPECT_EQ(NamedPort(c, "https"), defaults.port) << where;
      } else {
        EXPECT_FALSE(NamedPort(c, "https").has_value()) << where << " serves no API";
      }
      EXPECT_EQ(Str(At(c, {"livenessProbe", "httpGet", "path"})), "/healthz") << where;
      EXPECT_EQ(Str(At(c, {"readinessProbe", "httpGet", "path"})), "/readyz") << where;
      EXPECT_EQ(ResolvePort(c, At(c, {"livenessProbe", "httpGet", "port"})), defaults.health_port)
          << where;
      EXPECT_EQ(ResolvePort(c, At(c, {"readinessProbe", "httpGet", "port"})), defaults.health_port)
          << where;
      // The health and metrics ports bind loopback by default; probes and Prometheus reach
      // the pod from outside, so every component binds them on every address.
      EXPECT_EQ(EnvValue(render_, c, "HYPERFLEET_HEALTH_HOST"), "0.0.0.0") << where;
      EXPECT_EQ(EnvValue(render_, c, "HYPERFLEET_METRICS_HOST"), "0.0.0.0") << where;
      // Nothing moves the listeners off the defaults the ports above were checked against: no
      // variable, and a config file (the API's) holds only authentication settings.
      for (const char* var : {"HYPERFLEET_PORT", "HYPERFLEET_HEALTH_PORT",
                              "HYPERFLEET_METRICS_PORT", "HYPERFLEET_HOST"}) {
        EXPECT_FALSE(EnvValue(render_, c, var).has_value()) << where << " sets " << var;
      }
      if (EnvValue(render_, c, "HYPERFLEET_CONFIG")) {
        auto config =
            ConfigMapYaml(render_, FileOfEnv(render_, PodSpec(w), c, "HYPERFLEET_CONFIG"));
        ASSERT_TRUE(config.IsMap()) << where << ": HYPERFLEET_CONFIG is no mounted ConfigMap file";
        for (const auto& kv : config) {
          EXPECT_EQ(Str(kv.first), "auth") << where << ": its config file sets " << Str(kv.first);
        }
      }
      for (const auto& a : Args(c)) {
        EXPECT_TRUE(a.find("port") == std::string::npos) << where << " passes " << a;
      }
      // Components that call the API find it at the Service, on its port, over HTTPS.
      if (sub == "ticker" || sub == "adapter") {
        EXPECT_EQ(EnvValue(render_, c, "HYPERFLEET_API_URL"),
                  "https://hyperfleet-api:" + std::to_string(defaults.port))
            << where;
      }
    }
  }
  EXPECT_EQ(hyperfleet_containers, 4 + static_cast<int>(GetParam().adapters.size()))
      << "api, outbox, 2 tickers and the adapters";
  auto svc = render_.Find("Service", "hyperfleet-api");
  ASSERT_TRUE(svc.IsMap()) << "no Service hyperfleet-api";
  ASSERT_EQ(At(svc, {"spec", "ports"}).size(), 1u);
  EXPECT_EQ(At(svc, {"spec", "ports"})[0]["port"].as<int>(), defaults.port);
  auto api = Running("api");
  ASSERT_EQ(api.size(), 1u);
  EXPECT_EQ(
      ResolvePort(PodSpec(api[0])["containers"][0], At(svc, {"spec", "ports"})[0]["targetPort"]),
      defaults.port);
}

TEST_P(HelmChart, EveryComponentRunsWithItsSettings) {
  const Variant& v = GetParam();
  // API: its replicas, or an HPA on CPU from that many up, never both; migrations in an init
  // container, so the server skips them.
  auto api = Running("api");
  ASSERT_EQ(api.size(), 1u);
  const auto hpas = render_.OfKind("HorizontalPodAutoscaler");
  if (v.optional) {
    ASSERT_EQ(hpas.size(), 1u);
    EXPECT_EQ(Str(At(hpas[0], {"spec", "scaleTargetRef", "kind"})), "Deployment");
    EXPECT_EQ(Str(At(hpas[0], {"spec", "scaleTargetRef", "name"})),
              Str(At(api[0], {"metadata", "name"})));
    EXPECT_EQ(At(hpas[0], {"spec", "minReplicas"}).as<int>(), v.api_replicas);
    EXPECT_GT(At(hpas[0], {"spec", "maxReplicas"}).as<int>(), v.api_replicas);
    EXPECT_EQ(Str(At(hpas[0], {"spec", "metrics"})[0]["resource"]["name"]), "cpu");
    EXPECT_FALSE(Present(At(api[0], {"spec", "replicas"})))
        << "the HPA owns the replica count; a fixed one would fight it on every upgrade";
  } else {
    EXPECT_TRUE(hpas.empty());
    EXPECT_EQ(At(api[0], {"spec", "replicas"}).as<int>(), v.api_replicas);
  }
  auto init = Containers(PodSpec(api[0]), "initContainers");
  ASSERT_EQ(init.size(), 1u);
  EXPECT_EQ(Args(init[0]), std::vector<std::string>{"migrate"});
  ExpectSecretFile(Id(api[0]) + " migrate", PodSpec(api[0]), init[0], "HYPERFLEET_DB_FILE",
                   "hyperfleet-db", "url");
  auto api_container = PodSpec(api[0])["containers"][0];
  ExpectSecretFile(Id(api[0]), PodSpec(api[0]), api_container, "HYPERFLEET_DB_FILE",
                   "hyperfleet-db", "url");
  EXPECT_EQ(EnvValue(render_, api_container, "HYPERFLEET_SKIP_MIGRATIONS"), "true");
  EXPECT_FALSE(EnvValue(render_, api_container, "HYPERFLEET_WITH_OUTBOX").has_value());

  // Outbox: 2 replicas on the database and the broker.
  auto outbox = Running("outbox");
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(At(outbox[0], {"spec", "replicas"}).as<int>(), v.api_replicas);
  ExpectSecretFile(Id(outbox[0]), PodSpec(outbox[0]), PodSpec(outbox[0])["containers"][0],
                   "HYPERFLEET_DB_FILE", "hyperfleet-db", "url");

  // One ticker per resource type.
  std::multiset<std::string> ticker_types;
  for (const auto& w : Running("ticker")) {
    auto args = Args(PodSpec(w)["containers"][0]);
    auto it = std::find(args.begin(), args.end(), "--resource-type");
    ASSERT_NE(it, args.end()) << Id(w);
    ASSERT_NE(it + 1, args.end()) << Id(w);
    ticker_types.insert(*(it + 1));
  }
  EXPECT_EQ(ticker_types, (std::multiset<std::string>{"clusters", "nodepools"}));

  // One Deployment per adapter of the values, each reading its own config file,
  // deploy/adapters/kubernetes/NAME.yaml as it is, from its own mounted ConfigMap.
  std::set<std::string> served;
  for (const auto& w : Running("adapter")) {
    auto pod = PodSpec(w);
    auto c = pod["containers"][0];
    auto args = Args(c);
    ASSERT_EQ(args.size(), 3u) << Id(w);
    ASSERT_EQ(args[1], "--config") << Id(w);
    fs::path file(args[2]);
    auto mounted = FileAt(pod, c, file.string());
    ASSERT_EQ(mounted.kind, "ConfigMap") << Id(w) << " mounts no ConfigMap file at " << file;
    auto data = At(render_.Find("ConfigMap", mounted.name), {"data", mounted.key});
    ASSERT_TRUE(Present(data)) << Id(w) << ": " << mounted.name << " has no " << mounted.key;
    EXPECT_EQ(Str(data), ReadFile(AdapterConfigDir() / file.filename()))
        << Id(w) << " does not get deploy/adapters/kubernetes/" << file.filename().string();
    EXPECT_EQ(Str(YAML::Load(Str(data))["name"]), file.stem().string());
    EXPECT_EQ(mounted.name, "hyperfleet-adapter-" + file.stem().string()) << Id(w);
    EXPECT_TRUE(served.insert(file.stem().string()).second) << file << " served twice";
  }
  EXPECT_EQ(served, v.adapters);

  // The broker: the outbox publishes, the adapters subscribe; both on the values' broker.
  std::vector<YAML::Node> clients = Running("outbox");
  for (const auto& w : Running("adapter")) clients.push_back(w);
  for (const auto& w : clients) {
    auto c = PodSpec(w)["containers"][0];
    EXPECT_EQ(EnvValue(render_, c, "HYPERFLEET_BROKER"), v.broker) << Id(w);
    if (v.broker == "rabbitmq") {
      ExpectSecretFile(Id(w), PodSpec(w), c, "HYPERFLEET_RABBITMQ_URL_FILE", "hyperfleet-rabbitmq",
                       "url");
    } else {
      EXPECT_FALSE(EnvValue(render_, c, "HYPERFLEET_PUBSUB_PROJECT").value_or("").empty()) << Id(w);
      EXPECT_FALSE(EnvValue(render_, c, "PUBSUB_EMULATOR_HOST").has_value()) << Id(w);
      // Workload Identity: the pod's Kubernetes service account acts as a Google one.
      auto sa = render_.Find("ServiceAccount", Str(PodSpec(w)["serviceAccountName"]));
      ASSERT_TRUE(sa.IsMap()) << Id(w);
      EXPECT_FALSE(
          Str(At(sa, {"metadata", "annotations", "iam.gke.io/gcp-service-account"})).empty())
          << Id(w) << " uses " << Id(sa) << " without a Workload Identity annotation";
    }
  }
  // Every namespaced object lands in the release's namespace (`helm install --namespace
  // hyperfleet --create-namespace`) or the jobs namespace, which the chart creates.
  const std::set<std::string> cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding"};
  std::set<std::string> namespaces;
  for (const auto& o : render_.objects) {
    if (!cluster_scoped.contains(Str(o["kind"]))) {
      namespaces.insert(Str(At(o, {"metadata", "namespace"})));
    }
  }
  EXPECT_EQ(namespaces, (std::set<std::string>{"hyperfleet", "hyperfleet-jobs"}));
  EXPECT_TRUE(render_.Has("Namespace", "hyperfleet-jobs"));
}

// The API serves HTTPS with the certificate of Secret hyperfleet-api-tls and trusts the cluster's
// service-account issuer for the tickers' and adapters' tokens (role adapter, identity `sub`).
TEST_P(HelmChart, TheApiServesHttpsAndTrustsTheServiceAccountIssuer) {
  auto api = Running("api");
  ASSERT_EQ(api.size(), 1u);
  const auto pod = PodSpec(api[0]);
  const auto c = pod["containers"][0];
  const std::string where = Id(api[0]);
  ExpectSecretFile(where, pod, c, "HYPERFLEET_TLS_CERT_FILE", "hyperfleet-api-tls", "tls.crt");
  ExpectSecretFile(where, pod, c, "HYPERFLEET_TLS_KEY_FILE", "hyperfleet-api-tls", "tls.key");
  EXPECT_NE(EnvValue(render_, c, "HYPERFLEET_AUTH_ENABLED"), "false") << where;

  // The issuers, parsed as the binary parses them.
  auto config = ConfigMapYaml(render_, FileOfEnv(render_, pod, c, "HYPERFLEET_CONFIG"));
  ASSERT_TRUE(config.IsMap()) << where << ": HYPERFLEET_CONFIG names no mounted ConfigMap file";
  EXPECT_FALSE(Present(At(config, {"auth", "enabled"})) &&
               !At(config, {"auth", "enabled"}).as<bool>(true))
      << where << " turns authentication off";
  auto issuers = auth::ParseIssuers(At(config, {"auth", "issuers"}));
  ASSERT_TRUE(issuers.has_value()) << where << ": " << issuers.error().message;
  int service_account_issuers = 0;
  // The ClusterRoleBinding that opens the apiserver's discovery endpoints, or a null node.
  YAML::Node binding;
  int bindings = 0;
  for (const auto& b : render_.OfKind("ClusterRoleBinding")) {
    if (Str(At(b, {"roleRef", "name"})) == "system:service-account-issuer-discovery") {
      binding = b;
      ++bindings;
    }
  }
  bool apiserver_jwks = false;
  for (const auto& issuer : *issuers) {
    // Every file an issuer names is mounted: the cluster's CA from kube-root-ca.crt.
    if (!issuer.ca_file.empty()) {
      auto ca = FileAt(pod, c, issuer.ca_file);
      EXPECT_EQ(ca.kind + "/" + ca.name + "/" + ca.key, "ConfigMap/kube-root-ca.crt/ca.crt")
          << issuer.issuer_url << ": ca_file " << issuer.ca_file;
    }
    if (!issuer.jwks_file.empty()) {
      EXPECT_FALSE(FileAt(pod, c, issuer.jwks_file).kind.empty())
          << issuer.issuer_url << ": jwks_file " << issuer.jwks_file << " is not mounted";
    }
    // The apiserver serves its keys to the API, which has no token, once the discovery role is
    // granted to unauthenticated callers.
    if (issuer.jwks_url.rfind("https://kubernetes.default.svc/", 0) == 0) {
      apiserver_jwks = true;
      ASSERT_TRUE(Present(binding)) << "no binding opens " << issuer.jwks_url;
      bool unauthenticated = false;
      for (const auto& s : binding["subjects"]) {
        unauthenticated |= Str(s["kind"]) == "Group" && Str(s["name"]) == "system:unauthenticated";
      }
      EXPECT_TRUE(unauthenticated) << issuer.issuer_url << ": the API cannot fetch "
                                   << issuer.jwks_url << " without credentials";
    }
    if (issuer.identity_claim != "sub") continue;
    // A service-account issuer: tokens as the tickers' and adapters' projected ones.
    ++service_account_issuers;
    EXPECT_EQ(issuer.audience, "hyperfleet") << issuer.issuer_url;
    EXPECT_EQ(auth::ToString(issuer.role), "adapter") << issuer.issuer_url;
    // role_map raises named service accounts; each must exist in this namespace.
    for (const auto& [sub, role] : issuer.role_map) {
      const std::string prefix = "system:serviceaccount:hyperfleet:";
      EXPECT_EQ(sub.rfind(prefix, 0), 0u) << issuer.issuer_url << ": role_map " << sub;
      EXPECT_TRUE(render_.Has("ServiceAccount", sub.substr(std::min(sub.size(), prefix.size()))))
          << issuer.issuer_url << ": role_map names a missing service account " << sub;
    }
    // Each adapter's token names its adapter, as the API reads it (adapter_name_claim `sub`, cut
    // by adapter_name_pattern): it may report only as that adapter. The tickers' names none.
    EXPECT_EQ(issuer.adapter_name_claim, "sub") << issuer.issuer_url;
    auto pattern = auth::CompileAdapterNamePattern(issuer.adapter_name_pattern);
    ASSERT_TRUE(pattern.has_value()) << issuer.issuer_url << ": " << pattern.error().message;
    auto subject = [](const YAML::Node& w) {
      return "system:serviceaccount:" + Str(At(w, {"metadata", "namespace"})) + ":" +
             Str(PodSpec(w)["serviceAccountName"]);
    };
    std::set<std::string> adapter_subjects;
    for (const auto& w : Running("adapter")) {
      const auto args = Args(PodSpec(w)["containers"][0]);
      ASSERT_EQ(args.size(), 3u) << Id(w);
      const std::string adapter = fs::path(args[2]).stem().string();  // the config's name
      EXPECT_EQ(auth::AdapterNameFrom(subject(w), &*pattern), adapter)
          << Id(w) << " runs as " << subject(w) << ", whose tokens do not name adapter " << adapter;
      EXPECT_TRUE(adapter_subjects.insert(subject(w)).second)
          << Id(w) << " shares its service account with another adapter";
    }
    for (const auto& w : Running("ticker")) {
      EXPECT_EQ(auth::AdapterNameFrom(subject(w), &*pattern), "")
          << Id(w) << " runs as " << subject(w) << ", whose tokens may report statuses";
    }
  }
  EXPECT_EQ(service_account_issuers, 1) << where << " trusts no (or more than one) cluster issuer";
  EXPECT_EQ(bindings, apiserver_jwks ? 1 : 0)
      << "the apiserver's discovery endpoints are opened to unauthenticated callers only when the "
         "API fetches its keys there";
}

// The tickers and the adapters call the API over HTTPS with a projected service-account token for
// audience hyperfleet, and check its certificate against ca.crt of hyperfleet-api-tls (mounted
// alone: no client pod sees the API's private key).
TEST_P(HelmChart, TickersAndAdaptersSendProjectedTokensAndTrustTheApiCa) {
  std::vector<YAML::Node> clients = Running("ticker");
  for (const auto& w : Running("adapter")) clients.push_back(w);
  ASSERT_EQ(clients.size(), 2 + GetParam().adapters.size()) << "2 tickers and the adapters";
  for (const auto& w : clients) {
    const auto pod = PodSpec(w);
    const auto c = pod["containers"][0];
    auto token = FileOfEnv(render_, pod, c, "HYPERFLEET_TOKEN_FILE");
    ASSERT_EQ(token.kind, "ServiceAccountToken")
        << Id(w) << ": HYPERFLEET_TOKEN_FILE names no projected service-account token";
    EXPECT_EQ(Str(token.token["audience"]), "hyperfleet") << Id(w);
    EXPECT_LE(token.token["expirationSeconds"].as<int>(3600), 3600) << Id(w);
    ExpectSecretFile(Id(w), pod, c, "HYPERFLEET_CA_FILE", "hyperfleet-api-tls", "ca.crt");
    for (const auto& vol : pod["volumes"]) {
      std::vector<YAML::Node> sources;
      if (vol["secret"]) sources.push_back(vol["secret"]);
      for (const auto& s : At(vol, {"projected", "sources"})) {
        if (s["secret"]) sources.push_back(s["secret"]);
      }
      for (const auto& s : sources) {
        std::string name = Str(s["secretName"]).empty() ? Str(s["name"]) : Str(s["secretName"]);
        if (name != "hyperfleet-api-tls") continue;
        ASSERT_TRUE(s["items"]) << Id(w) << " mounts every key of hyperfleet-api-tls";
        for (const auto& item : s["items"]) EXPECT_EQ(Str(item["key"]), "ca.crt") << Id(w);
      }
    }
  }
}

// Database and RabbitMQ URLs carry credentials: they reach the containers only as files of
// mounted Secrets, never as variables (which `kubectl describe` and crash dumps show). Every
// mount is a whole volume, since Kubernetes never updates a subPath mount when a rotated token,
// certificate or Secret changes.
TEST_P(HelmChart, SecretsReachContainersOnlyAsUpdatableFiles) {
  auto containers = HyperfleetContainers();
  ASSERT_EQ(containers.size(), 5 + GetParam().adapters.size())
      << "api (and migrate), outbox, 2 tickers and the adapters";
  for (const auto& [where, pod, c] : containers) {
    for (const char* var : {"HYPERFLEET_DB", "HYPERFLEET_RABBITMQ_URL"}) {
      EXPECT_FALSE(EnvValue(render_, c, var).has_value()) << where << " sets " << var;
    }
    for (const auto& e : c["env"] ? c["env"] : YAML::Node(YAML::NodeType::Sequence)) {
      EXPECT_FALSE(Present(At(e, {"valueFrom", "secretKeyRef"})))
          << where << ": " << Str(e["name"]) << " is a Secret in a variable";
      std::string value = Str(e["value"]);
      EXPECT_TRUE(value.find("postgres") != 0 && value.find("amqp") != 0)
          << where << ": " << Str(e["name"]) << " is a URL in a variable";
    }
    for (const auto& f : c["envFrom"] ? c["envFrom"] : YAML::Node(YAML::NodeType::Sequence)) {
      EXPECT_FALSE(Present(f["secretRef"])) << where << ": a Secret as variables";
      for (const auto& kv :
           At(render_.Find("ConfigMap", Str(At(f, {"configMapRef", "name"}))), {"data"})) {
        std::string value = Str(kv.second);
        EXPECT_TRUE(value.find("postgres") != 0 && value.find("amqp") != 0)
            << where << ": " << Str(kv.first) << " is a URL in a ConfigMap";
      }
    }
    for (const auto& m : c["volumeMounts"]) {
      EXPECT_FALSE(Present(m["subPath"]))
          << where << " mounts " << Str(m["mountPath"]) << " with subPath, which is never updated";
    }
  }
}

// The API marks a resource Ready once every adapter it requires for that kind has succeeded
// (HYPERFLEET_CLUSTER_ADAPTERS / HYPERFLEET_NODEPOOL_ADAPTERS, else the built-in defaults), so
// each required adapter must be deployed and reconcile that kind, and nothing deployed is
// left out of the requirement.
TEST_P(HelmChart, TheApiRequiresExactlyTheDeployedAdapters) {
  std::map<std::string, std::set<std::string>> deployed;  // resource -> adapter names
  auto adapters = Running("adapter");
  ASSERT_FALSE(adapters.empty());
  for (const auto& w : adapters) {
    auto config = AdapterConfigOf(w);
    ASSERT_TRUE(config.IsMap()) << Id(w) << ": its adapter config is not in a rendered ConfigMap";
    std::string resource = Present(config["resource"]) ? Str(config["resource"]) : "clusters";
    EXPECT_TRUE(deployed[resource].insert(Str(config["name"])).second)
        << Id(w) << ": adapter " << Str(config["name"]) << " deployed twice";
  }
  const app::Settings defaults;
  auto api = Running("api");
  ASSERT_EQ(api.size(), 1u);
  auto c = PodSpec(api[0])["containers"][0];
  auto required = [&](const char* var, const std::vector<std::string>& fallback) {
    auto value = EnvValue(render_, c, var);
    std::vector<std::string> names = fallback;
    if (value) {
      names.clear();
      std::stringstream in(*value);
      for (std::string item; std::getline(in, item, ',');) {
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) names.push_back(item);
      }
    }
    return std::set<std::string>(names.begin(), names.end());
  };
  EXPECT_EQ(required("HYPERFLEET_CLUSTER_ADAPTERS", defaults.cluster_adapters),
            deployed["clusters"])
      << "the API's required cluster adapters differ from the deployed cluster adapters";
  EXPECT_EQ(required("HYPERFLEET_NODEPOOL_ADAPTERS", defaults.nodepool_adapters),
            deployed["nodepools"])
      << "the API's required nodepool adapters differ from the deployed nodepool adapters";
  for (const auto& [resource, names] : deployed) {
    EXPECT_TRUE(resource == "clusters" || resource == "nodepools")
        << "adapters of unknown resource '" << resource << "'";
  }
}

// The verbs the Roles bound to service account `sa` (of namespace `sa_ns`) grant in namespace
// `ns`, by (API group, resource).
std::map<std::pair<std::string, std::string>, std::set<std::string>> Granted(
    const Render& r, const std::string& sa, const std::string& sa_ns, const std::string& ns) {
  std::map<std::pair<std::string, std::string>, std::set<std::string>> granted;
  for (const auto& rb : r.OfKind("RoleBinding")) {
    if (Str(At(rb, {"metadata", "namespace"})) != ns) continue;
    bool bound = false;
    for (const auto& s : rb["subjects"]) {
      bound |= Str(s["kind"]) == "ServiceAccount" && Str(s["name"]) == sa &&
               Str(s["namespace"]) == sa_ns;
    }
    if (!bound || Str(At(rb, {"roleRef", "kind"})) != "Role") continue;
    for (const auto& role : r.OfKind("Role")) {
      if (Str(At(role, {"metadata", "name"})) != Str(At(rb, {"roleRef", "name"})) ||
          Str(At(role, {"metadata", "namespace"})) != ns) {
        continue;
      }
      for (const auto& rule : role["rules"]) {
        for (const auto& group : rule["apiGroups"]) {
          for (const auto& res : rule["resources"]) {
            for (const auto& verb : rule["verbs"])
              granted[{Str(group), Str(res)}].insert(Str(verb));
          }
        }
      }
    }
  }
  return granted;
}

TEST_P(HelmChart, AdaptersMayManageJobsInTheJobsNamespaceOnly) {
  auto adapters = Running("adapter");
  ASSERT_FALSE(adapters.empty());
  for (const auto& w : adapters) {
    std::string sa = Str(PodSpec(w)["serviceAccountName"]);
    std::string ns = Str(At(w, {"metadata", "namespace"}));
    ASSERT_FALSE(sa.empty()) << Id(w) << " runs as the default service account";
    EXPECT_NE(Str(At(PodSpec(w), {"automountServiceAccountToken"})), "false")
        << Id(w) << " needs its token for the Kubernetes API";
    auto config = AdapterConfigOf(w);
    const std::string jobs_ns = Str(At(config, {"job", "kubernetes", "namespace"}));
    ASSERT_FALSE(jobs_ns.empty()) << Id(w) << ": its Jobs would run beside the control plane";
    EXPECT_NE(jobs_ns, ns) << Id(w) << ": its Jobs would run beside the control plane";
    auto granted = Granted(render_, sa, ns, jobs_ns);
    for (const char* verb : {"create", "get", "list", "watch", "patch", "delete"}) {
      EXPECT_TRUE(granted[std::make_pair(std::string("batch"), std::string("jobs"))].contains(verb))
          << sa << " may not " << verb << " batch/jobs in " << jobs_ns;
    }
    for (const char* verb : {"get", "list"}) {
      EXPECT_TRUE(granted[std::make_pair(std::string(), std::string("pods"))].contains(verb))
          << sa << " may not " << verb << " pods";
    }
    for (const char* verb : {"create", "get"}) {
      EXPECT_TRUE(granted[std::make_pair(std::string(), std::string("configmaps"))].contains(verb))
          << sa << " may not " << verb << " the Jobs' ConfigMaps";
    }
    EXPECT_TRUE(Granted(render_, sa, ns, ns).empty())
        << sa << " needs no Kubernetes rights in its own namespace";
  }
  // Nothing else gets Kubernetes API access.
  for (const auto& w : render_.Workloads()) {
    auto c = PodSpec(w)["containers"][0];
    if (IsHyperfleet(c) && Subcommand(c) != "adapter") {
      auto sa = render_.Find("ServiceAccount", Str(PodSpec(w)["serviceAccountName"]));
      std::string pod_value = Str(At(PodSpec(w), {"automountServiceAccountToken"}));
      std::string sa_value = Str(At(sa, {"automountServiceAccountToken"}));
      EXPECT_EQ(pod_value.empty() ? sa_value : pod_value, "false") << Id(w);
    }
  }
}

// The Jobs run in a namespace of their own under PodSecurity `restricted`, as a service account
// without rights or token, with the adapter's own image: the chart's image (image.repository,
// image.tag) reaches them.
TEST_P(HelmChart, JobsRunRestrictedApartWithTheReleasedImage) {
  std::string released;  // the image the values set
  for (const auto& w : Running("api")) released = Str(PodSpec(w)["containers"][0]["image"]);
  ASSERT_FALSE(released.empty());
  if (GetParam().name == "production") {
    EXPECT_EQ(released, "registry.example.com/hyperfleet/hyperfleet:0.1.0");
  }
  for (const auto& w : Running("adapter")) {
    auto config = AdapterConfigOf(w);
    const auto k8s = At(config, {"job", "kubernetes"});
    ASSERT_TRUE(k8s.IsMap()) << Id(w);
    const std::string jobs_ns = Str(k8s["namespace"]);
    // The image: unset in the config, so the runner takes $HYPERFLEET_IMAGE, the adapter's own.
    const auto c = PodSpec(w)["containers"][0];
    std::string image = Str(k8s["image"]);
    if (image.empty()) image = EnvValue(render_, c, "HYPERFLEET_IMAGE").value_or("");
    EXPECT_EQ(image, released) << Id(w) << ": its Jobs would pull another image";
    EXPECT_EQ(Str(c["image"]), released) << Id(w);
    const std::string pull = Str(k8s["image_pull_policy"]);
    EXPECT_TRUE(pull.empty() || pull == "IfNotPresent") << Id(w) << ": " << pull;

    YAML::Node ns;
    for (const auto& n : render_.OfKind("Namespace")) {
      if (Str(At(n, {"metadata", "name"})) == jobs_ns) ns = n;
    }
    ASSERT_TRUE(Present(ns)) << "the jobs namespace " << jobs_ns << " is not rendered";
    const Labels labels = LabelMap(At(ns, {"metadata", "labels"}));
    EXPECT_EQ(labels.count("pod-security.kubernetes.io/enforce")
                  ? labels.at("pod-security.kubernetes.io/enforce")
                  : "",
              "restricted");

    const std::string job_sa = Str(k8s["service_account"]);
    YAML::Node sa;
    for (const auto& s : render_.OfKind("ServiceAccount")) {
      if (Str(At(s, {"metadata", "name"})) == job_sa &&
          Str(At(s, {"metadata", "namespace"})) == jobs_ns) {
        sa = s;
      }
    }
    ASSERT_TRUE(Present(sa)) << "ServiceAccount " << job_sa << " is not in " << jobs_ns;
    EXPECT_EQ(Str(sa["automountServiceAccountToken"]), "false");
    EXPECT_TRUE(Granted(render_, job_sa, jobs_ns, jobs_ns).empty()) << job_sa << " has rights";
  }
  // Nothing of the control plane's lives in the jobs namespace.
  for (const auto& o : render_.objects) {
    const std::string ns = Str(At(o, {"metadata", "namespace"}));
    if (ns != "hyperfleet-jobs") continue;
    const std::string kind = Str(o["kind"]);
    EXPECT_TRUE(kind == "ServiceAccount" || kind == "Role" || kind == "RoleBinding" ||
                kind == "NetworkPolicy")
        << Id(o) << " is in the jobs namespace";
  }
}

// Same content, whatever the order of map keys (helm's toYaml sorts them).
bool SameYaml(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (a.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameYaml(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size()) return false;
    for (const auto& kv : a) {
      const YAML::Node other = b[Str(kv.first)];
      if (!other.IsDefined() || !SameYaml(kv.second, other)) return false;
    }
    return true;
  }
  return true;  // both null
}

// The Prometheus Operator objects and the NetworkPolicies come only when enabled; the
// PrometheusRule is deploy/alerts/hyperfleet.rules.yaml as it is, and the policies let in exactly
// the API port (to the API) and the metrics port (to every HyperFleet pod), and nothing into the
// Jobs' namespace.
TEST_P(HelmChart, OptionalObjectsComeOnlyWhenEnabledAndAreRight) {
  const Variant& v = GetParam();
  const size_t expected = v.optional ? 1 : 0;
  EXPECT_EQ(render_.OfKind("PrometheusRule").size(), expected);
  EXPECT_EQ(render_.OfKind("NetworkPolicy").size(), 3 * expected);
  for (const auto& rule : render_.OfKind("PrometheusRule")) {
    const auto file =
        YAML::LoadFile((SourceDir() / "deploy/alerts/hyperfleet.rules.yaml").string());
    EXPECT_TRUE(SameYaml(rule["spec"], file))
        << "the PrometheusRule differs from deploy/alerts/hyperfleet.rules.yaml";
    EXPECT_GE(At(rule, {"spec", "groups"})[0]["rules"].size(), 10u);
  }
  // The dashboards' ConfigMap, for Grafana's sidecar: deploy/dashboards/*.json as they are.
  const auto dashboards = render_.Find("ConfigMap", "hyperfleet-dashboards");
  EXPECT_EQ(Present(dashboards), v.optional);
  if (Present(dashboards)) {
    EXPECT_EQ(LabelMap(At(dashboards, {"metadata", "labels"}))["grafana_dashboard"], "1");
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(SourceDir() / "deploy/dashboards")) {
      ++files;
      std::string text = ReadFile(e.path());
      while (!text.empty() && text.back() == '\n') text.pop_back();
      EXPECT_EQ(Str(At(dashboards, {"data", e.path().filename().string()})), text) << e.path();
    }
    EXPECT_EQ(At(dashboards, {"data"}).size(), files);
  }
  if (!v.optional) return;
  const auto policy = [&](const std::string& name, const std::string& ns) {
    for (const auto& p : render_.OfKind("NetworkPolicy")) {
      if (Str(At(p, {"metadata", "name"})) == name && Str(At(p, {"metadata", "namespace"})) == ns) {
        return p;
      }
    }
    return YAML::Node();
  };
  // The ports a policy lets in, over all its ingress rules.
  const auto ports = [](const YAML::Node& p) {
    std::set<int> out;
    for (const auto& rule : At(p, {"spec", "ingress"})) {
      for (const auto& port : rule["ports"]) out.insert(port["port"].as<int>());
    }
    return out;
  };
  const app::Settings defaults;
  const auto api_policy = policy("hyperfleet-api", "hyperfleet");
  ASSERT_TRUE(Present(api_policy));
  EXPECT_EQ(ports(api_policy), std::set<int>{defaults.port});
  const auto metrics_policy = policy("hyperfleet-metrics", "hyperfleet");
  ASSERT_TRUE(Present(metrics_policy));
  EXPECT_EQ(ports(metrics_policy), std::set<int>{defaults.metrics_port});
  for (const auto& w : render_.Workloads()) {
    if (!IsHyperfleet(PodSpec(w)["containers"][0])) continue;
    const Labels labels = LabelMap(At(w, {"spec", "template", "metadata", "labels"}));
    EXPECT_TRUE(
        Selects(LabelMap(At(metrics_policy, {"spec", "podSelector", "matchLabels"})), labels))
        << Id(w) << " cannot be scraped";
    const bool is_api = Subcommand(PodSpec(w)["containers"][0]) == "api";
    EXPECT_EQ(Selects(LabelMap(At(api_policy, {"spec", "podSelector", "matchLabels"})), labels),
              is_api)
        << Id(w);
  }
  const auto jobs_policy = policy("hyperfleet-jobs-deny-ingress", "hyperfleet-jobs");
  ASSERT_TRUE(Present(jobs_policy));
  EXPECT_EQ(At(jobs_policy, {"spec", "podSelector"}).size(), 0u) << "selects every Job pod";
  EXPECT_FALSE(Present(At(jobs_policy, {"spec", "ingress"}))) << "lets something in";
}

INSTANTIATE_TEST_SUITE_P(Values, HelmChart, ::testing::ValuesIn(Variants()),
                         [](const auto& info) { return info.param.name; });

TEST(HelmChartLint, PassesStrictlyWithEveryValuesFile) {
  const std::string helm = Helm();
  if (helm.empty()) return;
  const std::string tmp = ::hf::testing::MakeTempDir("hf-helm-lint");
  for (const auto& v : Variants()) {
    std::vector<std::string> args = {"lint", "--strict", ChartDir().string(), "--namespace",
                                     "hyperfleet"};
    if (!v.values.empty()) {
      args.push_back("--values");
      args.push_back((ChartDir() / v.values).string());
    }
    const auto run = RunHelm(helm, args, fs::path(tmp) / "lint.out");
    EXPECT_EQ(run.exit_code, 0) << v.name << ":\n" << run.output;
  }
  fs::remove_all(tmp);
}

// values.schema.json closes every map and checks the values' types, so a typo or a bad value
// fails `helm install` (and `helm template`) with a message naming it, before anything is
// applied; the same values spelt right render.
TEST(HelmChartSchema, AMisspeltOrInvalidValueFailsTheRender) {
  const std::string helm = Helm();
  if (helm.empty()) return;
  const fs::path tmp = ::hf::testing::MakeTempDir("hf-helm-schema");
  const auto render = [&](const std::string& values) {
    std::ofstream(tmp / "values.yaml") << values;
    return RunHelm(helm,
                   {"template", "hyperfleet", ChartDir().string(), "--namespace", "hyperfleet",
                    "--values", (tmp / "values.yaml").string()},
                   tmp / "render.yaml");
  };
  struct Case {
    std::string wrong;  // must fail, naming `named`
    std::string named;
    std::string right;  // the same intent, spelt right: must render
  };
  const std::vector<Case> cases = {
      {"api:\n  replica: 3\n", "replica", "api:\n  replicas: 3\n"},
      {"serviceMonitor:\n  enabled: true\n  intervall: 15s\n", "intervall",
       "serviceMonitor:\n  enabled: true\n  interval: 15s\n"},
      {"adapters:\n  - nmae: validation\n", "nmae", "adapters:\n  - name: validation\n"},
      {"broker:\n  type: kafka\n", "type", "broker:\n  type: rabbitmq\n"},
      {"podSecurityContext:\n  runAsNonRoot: false\n  seccompProfile: {type: RuntimeDefault}\n",
       "runAsNonRoot",
       "podSecurityContext:\n  runAsNonRoot: true\n  seccompProfile: {type: RuntimeDefault}\n"},
      {"api:\n  resources:\n    requests: {cpu: 1, memroy: 1Gi}\n", "memroy",
       "api:\n  resources:\n    requests: {cpu: 1, memory: 1Gi}\n"},
      {"ticker:\n  resourceTypes: [clusters, nodepool]\n", "nodepool",
       "ticker:\n  resourceTypes: [clusters, nodepools]\n"},
  };
  for (const auto& c : cases) {
    auto wrong = render(c.wrong);
    EXPECT_NE(wrong.exit_code, 0) << c.wrong << " rendered";
    EXPECT_NE(wrong.output.find("schema"), std::string::npos) << c.wrong << wrong.output;
    EXPECT_NE(wrong.output.find(c.named), std::string::npos) << c.wrong << wrong.output;
    auto right = render(c.right);
    EXPECT_EQ(right.exit_code, 0) << c.right << right.output;
  }
  // An adapter without a config in the chart, and Pub/Sub without a project, fail too.
  auto unknown = render("adapters:\n  - name: unknown\n");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("files/adapters/unknown.yaml"), std::string::npos)
      << unknown.output;
  auto pubsub = render("broker:\n  type: googlepubsub\n");
  EXPECT_NE(pubsub.exit_code, 0);
  EXPECT_NE(pubsub.output.find("broker.googlepubsub.project"), std::string::npos) << pubsub.output;
  fs::remove_all(tmp);
}

// One source: the chart reads the adapter configs, the alert rules and the dashboards from
// deploy/ through links (files/adapters, files/alerts, files/dashboards; helm follows them, and
// `helm package` stores what they point at), not from copies that could drift.
TEST(HelmChartFiles, AreTheRepositorysOwnThroughLinks) {
  for (const auto& [link, target] : {std::pair{"files/adapters", "deploy/adapters/kubernetes"},
                                     std::pair{"files/alerts", "deploy/alerts"},
                                     std::pair{"files/dashboards", "deploy/dashboards"}}) {
    const fs::path path = ChartDir() / link;
    EXPECT_TRUE(fs::is_symlink(path)) << path << " is a copy, not a link to " << target;
    std::error_code ec;
    EXPECT_TRUE(fs::equivalent(path, SourceDir() / target, ec)) << path << " → " << target;
  }
}

}  // namespace
}  // namespace hf::deploy_test
