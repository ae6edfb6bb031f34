// deploy/k8s: renders every overlay with `kubectl kustomize` (offline) and checks the objects a
// cluster would get: complete containers, resolvable references, the binary's default ports,
// the broker wiring, and RBAC for the Kubernetes job runner.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/settings.hpp"
#include "deploy/repo_files.hpp"
#include "testing/env.hpp"
#include "testing/process.hpp"

namespace hf::deploy_test {
namespace {

namespace fs = std::filesystem;
using Labels = std::map<std::string, std::string>;

fs::path K8sDir() { return SourceDir() / "deploy" / "k8s"; }
fs::path AdapterConfigDir() { return SourceDir() / "deploy" / "adapters" / "kubernetes"; }

// The adapter config files (deploy/adapters/kubernetes/*.yaml), by file name.
std::vector<std::string> AdapterConfigFiles(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") {
      names.push_back(e.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

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

// One overlay to render: a directory under deploy/k8s, or (for a component) a kustomization the
// test writes that adds the component to an overlay.
struct Variant {
  std::string name;
  std::string overlay;             // deploy/k8s/overlays/<overlay>
  std::string component;           // deploy/k8s/components/<component>, or ""
  std::string broker;              // what HYPERFLEET_BROKER must be
  std::set<std::string> external;  // "Kind/name" the cluster must already have
};

const std::vector<Variant>& Variants() {
  static const std::vector<Variant> v = {
      {"dev", "dev", "", "rabbitmq", {}},
      {"production", "production", "", "googlepubsub", {"Secret/hyperfleet-db"}},
      {"production_servicemonitor",
       "production",
       "servicemonitor",
       "googlepubsub",
       {"Secret/hyperfleet-db"}},
  };
  return v;
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

// "secret:<name>/<key>" as EnvValue reports a reference to Secret `base`: a generated Secret has
// a content-hash suffix (hyperfleet-db-ck7hbm6hdh), an external one its own name.
std::string SecretRef(const Render& r, const std::string& base, const std::string& key) {
  for (const auto& s : r.OfKind("Secret")) {
    std::string name = Str(At(s, {"metadata", "name"}));
    if (name == base || (name.rfind(base + "-", 0) == 0 && name.size() == base.size() + 11)) {
      return "secret:" + name + "/" + key;
    }
  }
  return "secret:" + base + "/" + key;
}

class K8sManifests : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    std::string kubectl = FindOnPath("kubectl");
    if (kubectl.empty()) {
      if (::hf::testing::UnderTestServices()) {
        GTEST_FAIL() << "kubectl is not on PATH although this is `make test`: "
                     << "scripts/install-deps.sh installs it (package kubectl)";
      }
      GTEST_SKIP() << "kubectl is not on PATH (scripts/install-deps.sh installs it)";
    }
    const Variant& v = GetParam();
    fs::path dir = K8sDir() / "overlays" / v.overlay;
    std::string tmp = ::hf::testing::MakeTempDir("hf-kustomize");
    ASSERT_FALSE(tmp.empty());
    tmp_ = tmp;
    if (!v.component.empty()) {
      // What README.md says to do: list the component in an overlay (whose namespace then
      // applies to it). Bases and components must be relative paths.
      fs::path rel = fs::relative(K8sDir(), tmp_);
      std::ofstream k(tmp_ / "kustomization.yaml");
      k << "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        << "namespace: hyperfleet\n"
        << "resources:\n  - " << (rel / "overlays" / v.overlay).string() << "\n"
        << "components:\n  - " << (rel / "components" / v.component).string() << "\n";
      dir = tmp_;
    }
    fs::path out = tmp_ / "render.yaml";
    fs::path err = tmp_ / "render.err";
    auto run = ::hf::testing::Run({"/bin/sh", "-c",
                                   "exec " + ShellQuote(kubectl) + " kustomize " +
                                       ShellQuote(dir.string()) + " >" + ShellQuote(out.string()) +
                                       " 2>" + ShellQuote(err.string())});
    ASSERT_EQ(run.exit_code, 0) << "kubectl kustomize " << dir << " failed:\n"
                                << ReadFile(err) << run.output;
    try {
      for (auto& doc : YAML::LoadAllFromFile(out.string())) {
        if (doc && doc.IsMap()) render_.objects.push_back(doc);
      }
    } catch (const YAML::Exception& e) {
      FAIL() << "the render of " << dir << " is not YAML: " << e.what();
    }
    ASSERT_GT(render_.objects.size(), 10u) << ReadFile(out);
  }
  void TearDown() override {
    std::error_code ec;
    if (!tmp_.empty()) fs::remove_all(tmp_, ec);
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
    fs::path file(args[2]);
    std::string volume;
    for (const auto& m : c["volumeMounts"]) {
      if (Str(m["mountPath"]) == file.parent_path().string()) volume = Str(m["name"]);
    }
    std::string cm_name;
    for (const auto& vol : pod["volumes"]) {
      if (!volume.empty() && Str(vol["name"]) == volume) {
        cm_name = Str(At(vol, {"configMap", "name"}));
      }
    }
    auto data = At(render_.Find("ConfigMap", cm_name), {"data", file.filename().string()});
    if (!Present(data)) return YAML::Node();
    try {
      return YAML::Load(Str(data));
    } catch (const YAML::Exception&) {
      return YAML::Node();
    }
  }

  Render render_;
  fs::path tmp_;
};

TEST_P(K8sManifests, EveryContainerHasAnImageResourceRequestsAndProbes) {
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
          EXPECT_TRUE(At(pod, {"securityContext", "runAsNonRoot"}).as<bool>(false)) << where;
          EXPECT_FALSE(At(c, {"securityContext", "allowPrivilegeEscalation"}).as<bool>(true))
              << where;
        }
      }
    }
  }
}

TEST_P(K8sManifests, EveryReferencedConfigMapSecretAndServiceAccountExists) {
  const Variant& v = GetParam();
  std::set<std::string> external_used;
  auto check = [&](const std::string& kind, const std::string& name, const std::string& key,
                   const std::string& where) {
    std::string id = kind + "/" + name;
    if (v.external.contains(id)) {
      external_used.insert(id);
      EXPECT_FALSE(render_.Has(kind, name)) << id << " is listed as external but rendered";
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
    for (const auto& vol : pod["volumes"] ? pod["volumes"] : YAML::Node(YAML::NodeType::Sequence)) {
      if (vol["configMap"]) check("ConfigMap", Str(At(vol, {"configMap", "name"})), "", Id(w));
      if (vol["secret"]) check("Secret", Str(At(vol, {"secret", "secretName"})), "", Id(w));
      if (vol["projected"]) {
        for (const auto& s : At(vol, {"projected", "sources"})) {
          if (s["configMap"]) check("ConfigMap", Str(At(s, {"configMap", "name"})), "", Id(w));
          if (s["secret"]) check("Secret", Str(At(s, {"secret", "name"})), "", Id(w));
        }
      }
    }
  }
  // The Jobs the adapters create run as the service account their config names.
  for (const auto& cm : render_.OfKind("ConfigMap")) {
    if (Str(At(cm, {"metadata", "name"})).rfind("hyperfleet-adapters", 0) != 0) continue;
    for (const auto& kv : cm["data"]) {
      auto config = YAML::Load(Str(kv.second));
      auto k8s = At(config, {"job", "kubernetes"});
      ASSERT_TRUE(k8s.IsMap()) << Str(kv.first) << ": no job.kubernetes";
      EXPECT_EQ(Str(At(config, {"job", "runner"})), "kubernetes") << Str(kv.first);
      EXPECT_FALSE(Str(k8s["image"]).empty()) << Str(kv.first);
      check("ServiceAccount", Str(k8s["service_account"]), "",
            "adapter config " + kv.first.as<std::string>());
    }
  }
  EXPECT_EQ(external_used, v.external) << "every expected-external object is referenced";
}

TEST_P(K8sManifests, ServicesDisruptionBudgetsAndMonitorsSelectSomething) {
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
    bool covered = false;
    for (const auto& pdb : render_.OfKind("PodDisruptionBudget")) {
      covered |=
          LabelMap(At(pdb, {"spec", "selector", "matchLabels"}))["app.kubernetes.io/component"] ==
          component;
    }
    EXPECT_TRUE(covered) << "no PodDisruptionBudget for the " << component;
  }
  auto monitors = render_.OfKind("ServiceMonitor");
  EXPECT_EQ(monitors.size(), GetParam().component == "servicemonitor" ? 1u : 0u)
      << "the ServiceMonitor (a CRD) only comes with the servicemonitor component";
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
  }
}

TEST_P(K8sManifests, PortsAndProbesMatchTheBinaryDefaults) {
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
        EXPECT_EQ(NamedPort(c, "http"), defaults.port) << where;
      } else {
        EXPECT_FALSE(NamedPort(c, "http").has_value()) << where << " serves no API";
      }
      EXPECT_EQ(Str(At(c, {"livenessProbe", "httpGet", "path"})), "/healthz") << where;
      EXPECT_EQ(Str(At(c, {"readinessProbe", "httpGet", "path"})), "/readyz") << where;
      EXPECT_EQ(ResolvePort(c, At(c, {"livenessProbe", "httpGet", "port"})), defaults.health_port)
          << where;
      EXPECT_EQ(ResolvePort(c, At(c, {"readinessProbe", "httpGet", "port"})), defaults.health_port)
          << where;
      // Nothing moves the listeners off the defaults the ports above were checked against.
      for (const char* var : {"HYPERFLEET_PORT", "HYPERFLEET_HEALTH_PORT",
                              "HYPERFLEET_METRICS_PORT", "HYPERFLEET_HOST", "HYPERFLEET_CONFIG"}) {
        EXPECT_FALSE(EnvValue(render_, c, var).has_value()) << where << " sets " << var;
      }
      for (const auto& a : Args(c)) {
        EXPECT_TRUE(a.find("port") == std::string::npos) << where << " passes " << a;
      }
      // Components that call the API find it at the Service, on its port.
      if (sub == "ticker" || sub == "adapter") {
        EXPECT_EQ(EnvValue(render_, c, "HYPERFLEET_API_URL"),
                  "http://hyperfleet-api:" + std::to_string(defaults.port))
            << where;
      }
    }
  }
  EXPECT_GE(hyperfleet_containers, 8) << "api, outbox, 2 tickers, 4 adapters";
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

TEST_P(K8sManifests, EveryComponentRunsWithItsSettings) {
  const Variant& v = GetParam();
  // API: 2 replicas; migrations in an init container, so the server skips them.
  auto api = Running("api");
  ASSERT_EQ(api.size(), 1u);
  EXPECT_EQ(At(api[0], {"spec", "replicas"}).as<int>(), 2);
  auto init = Containers(PodSpec(api[0]), "initContainers");
  ASSERT_EQ(init.size(), 1u);
  EXPECT_EQ(Args(init[0]), std::vector<std::string>{"migrate"});
  EXPECT_EQ(EnvValue(render_, init[0], "HYPERFLEET_DB"),
            SecretRef(render_, "hyperfleet-db", "url"));
  auto api_container = PodSpec(api[0])["containers"][0];
  EXPECT_EQ(EnvValue(render_, api_container, "HYPERFLEET_DB"),
            SecretRef(render_, "hyperfleet-db", "url"));
  EXPECT_EQ(EnvValue(render_, api_container, "HYPERFLEET_SKIP_MIGRATIONS"), "true");
  EXPECT_FALSE(EnvValue(render_, api_container, "HYPERFLEET_WITH_OUTBOX").has_value());

  // Outbox: 2 replicas on the database and the broker.
  auto outbox = Running("outbox");
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(At(outbox[0], {"spec", "replicas"}).as<int>(), 2);

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

  // One adapter per config file, each reading its own file from the mounted ConfigMap.
  auto files = AdapterConfigFiles(AdapterConfigDir());
  ASSERT_FALSE(files.empty()) << "no adapter configs in " << AdapterConfigDir();
  std::set<std::string> served;
  for (const auto& w : Running("adapter")) {
    auto pod = PodSpec(w);
    auto c = pod["containers"][0];
    auto args = Args(c);
    ASSERT_EQ(args.size(), 3u) << Id(w);
    ASSERT_EQ(args[1], "--config") << Id(w);
    fs::path file(args[2]);
    std::string volume;
    for (const auto& m : c["volumeMounts"]) {
      if (Str(m["mountPath"]) == file.parent_path().string()) volume = Str(m["name"]);
    }
    ASSERT_FALSE(volume.empty()) << Id(w) << " mounts nothing at " << file.parent_path();
    std::string cm_name;
    for (const auto& vol : pod["volumes"]) {
      if (Str(vol["name"]) == volume) cm_name = Str(At(vol, {"configMap", "name"}));
    }
    auto cm = render_.Find("ConfigMap", cm_name);
    ASSERT_TRUE(cm.IsMap()) << Id(w) << " volume " << volume << " is not a rendered ConfigMap";
    auto data = At(cm, {"data", file.filename().string()});
    ASSERT_TRUE(Present(data)) << Id(w) << ": " << cm_name << " has no " << file.filename();
    EXPECT_EQ(Str(data), ReadFile(AdapterConfigDir() / file.filename()))
        << Id(w) << " does not get deploy/adapters/kubernetes/" << file.filename().string();
    EXPECT_EQ(Str(YAML::Load(Str(data))["name"]), file.stem().string());
    EXPECT_TRUE(served.insert(file.filename().string()).second) << file << " served twice";
  }
  EXPECT_EQ(served, std::set<std::string>(files.begin(), files.end()));

  // The broker: the outbox publishes, the adapters subscribe; both on the overlay's broker.
  std::vector<YAML::Node> clients = Running("outbox");
  for (const auto& w : Running("adapter")) clients.push_back(w);
  for (const auto& w : clients) {
    auto c = PodSpec(w)["containers"][0];
    EXPECT_EQ(EnvValue(render_, c, "HYPERFLEET_BROKER"), v.broker) << Id(w);
    if (v.broker == "rabbitmq") {
      auto url = EnvValue(render_, c, "HYPERFLEET_RABBITMQ_URL");
      ASSERT_TRUE(url.has_value()) << Id(w);
      EXPECT_EQ(url->rfind("secret:", 0), 0u) << Id(w) << ": credentials belong in a Secret";
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
  // Every namespaced object lands in one namespace that the render creates (or, in production,
  // expects).
  std::set<std::string> namespaces;
  for (const auto& o : render_.objects) {
    if (Str(o["kind"]) != "Namespace") namespaces.insert(Str(At(o, {"metadata", "namespace"})));
  }
  EXPECT_EQ(namespaces, std::set<std::string>{"hyperfleet"});
  EXPECT_TRUE(render_.Has("Namespace", "hyperfleet"));
}

// The API marks a resource Ready once every adapter it requires for that kind has succeeded
// (HYPERFLEET_CLUSTER_ADAPTERS / HYPERFLEET_NODEPOOL_ADAPTERS, else the built-in defaults), so
// each required adapter must be deployed and reconcile that kind, and nothing deployed is
// left out of the requirement.
TEST_P(K8sManifests, TheApiRequiresExactlyTheDeployedAdapters) {
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

TEST_P(K8sManifests, AdaptersMayManageJobsAndReadPods) {
  auto adapters = Running("adapter");
  ASSERT_FALSE(adapters.empty());
  for (const auto& w : adapters) {
    std::string sa = Str(PodSpec(w)["serviceAccountName"]);
    std::string ns = Str(At(w, {"metadata", "namespace"}));
    ASSERT_FALSE(sa.empty()) << Id(w) << " runs as the default service account";
    EXPECT_NE(Str(At(PodSpec(w), {"automountServiceAccountToken"})), "false")
        << Id(w) << " needs its token for the Kubernetes API";
    std::map<std::pair<std::string, std::string>, std::set<std::string>> granted;
    for (const auto& rb : render_.OfKind("RoleBinding")) {
      bool bound = false;
      for (const auto& s : rb["subjects"]) {
        bound |=
            Str(s["kind"]) == "ServiceAccount" && Str(s["name"]) == sa && Str(s["namespace"]) == ns;
      }
      if (!bound) continue;
      ASSERT_EQ(Str(At(rb, {"roleRef", "kind"})), "Role") << Id(rb);
      auto role = render_.Find("Role", Str(At(rb, {"roleRef", "name"})));
      ASSERT_TRUE(role.IsMap()) << Id(rb) << " refers to a missing Role";
      EXPECT_EQ(Str(At(role, {"metadata", "namespace"})), ns);
      for (const auto& rule : role["rules"]) {
        for (const auto& group : rule["apiGroups"]) {
          for (const auto& res : rule["resources"]) {
            for (const auto& verb : rule["verbs"]) {
              granted[{Str(group), Str(res)}].insert(Str(verb));
            }
          }
        }
      }
    }
    for (const char* verb : {"create", "get", "list", "watch", "delete"}) {
      EXPECT_TRUE(granted[std::make_pair(std::string("batch"), std::string("jobs"))].contains(verb))
          << sa << " may not " << verb << " batch/jobs in " << ns;
    }
    for (const char* verb : {"get", "list"}) {
      EXPECT_TRUE(granted[std::make_pair(std::string(), std::string("pods"))].contains(verb))
          << sa << " may not " << verb << " pods";
    }
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

INSTANTIATE_TEST_SUITE_P(Overlays, K8sManifests, ::testing::ValuesIn(Variants()),
                         [](const auto& info) { return info.param.name; });

// kustomize reads no file outside its root, so the ConfigMap is generated from copies of the
// adapter configs; they must not drift from deploy/adapters/kubernetes.
TEST(K8sAdapterConfigs, TheConfigMapSourcesAreCopiesOfDeployAdapters) {
  auto originals = AdapterConfigFiles(AdapterConfigDir());
  auto copies = AdapterConfigFiles(K8sDir() / "base" / "adapters");
  ASSERT_FALSE(originals.empty()) << "no adapter configs in " << AdapterConfigDir();
  EXPECT_EQ(copies, originals);
  for (const auto& f : originals) {
    EXPECT_EQ(ReadFile(K8sDir() / "base" / "adapters" / f), ReadFile(AdapterConfigDir() / f))
        << "deploy/k8s/base/adapters/" << f << " differs from deploy/adapters/kubernetes/" << f
        << ": cp deploy/adapters/kubernetes/*.yaml deploy/k8s/base/adapters/";
  }
}

}  // namespace
}  // namespace hf::deploy_test
