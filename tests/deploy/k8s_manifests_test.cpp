// deploy/k8s: renders every overlay with `kubectl kustomize` (offline) and checks the objects a
// cluster would get: complete containers, resolvable references, the binary's default ports and
// the listen addresses probes and scrapes need, the broker wiring, RBAC for the Kubernetes job
// runner, and authentication: HTTPS, the service-account issuer, projected tokens, and secrets
// only as files.
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
#include "auth/issuer_config.hpp"
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

// kube-root-ca.crt: the cluster's CA, which Kubernetes puts in every namespace.
const std::vector<Variant>& Variants() {
  static const std::vector<Variant> v = {
      {"dev", "dev", "", "rabbitmq", {"ConfigMap/kube-root-ca.crt"}},
      {"production",
       "production",
       "",
       "googlepubsub",
       {"Secret/hyperfleet-db", "Secret/hyperfleet-api-tls", "ConfigMap/kube-root-ca.crt"}},
      {"production_servicemonitor",
       "production",
       "servicemonitor",
       "googlepubsub",
       {"Secret/hyperfleet-db", "Secret/hyperfleet-api-tls", "ConfigMap/kube-root-ca.crt"}},
      {"production_certmanager",
       "production",
       "cert-manager",
       "googlepubsub",
       {"Secret/hyperfleet-db", "ConfigMap/kube-root-ca.crt"}},
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
  // The name object `base` has in the render: a generated ConfigMap or Secret carries a
  // content-hash suffix (hyperfleet-db-ck7hbm6hdh); any other object, external ones included,
  // its own name.
  std::string NameOf(const std::string& kind, const std::string& base) const {
    for (const auto& o : OfKind(kind)) {
      std::string name = Str(At(o, {"metadata", "name"}));
      if (name == base || (name.rfind(base + "-", 0) == 0 && name.size() == base.size() + 11)) {
        return name;
      }
    }
    return base;
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
      // What README.md says to do: list the component in an overlay (whose namespace
      // transformer then applies to it). Bases and components must be relative paths.
      fs::path rel = fs::relative(K8sDir(), tmp_);
      std::ofstream k(tmp_ / "kustomization.yaml");
      k << "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        << "transformers:\n  - |-\n    apiVersion: builtin\n    kind: NamespaceTransformer\n"
        << "    metadata: {name: hyperfleet, namespace: hyperfleet}\n    unsetOnly: true\n"
        << "    setRoleBindingSubjects: allServiceAccounts\n"
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
    EXPECT_EQ(f.name, render_.NameOf("Secret", secret)) << where << ": " << var;
    EXPECT_EQ(f.key, key) << where << ": " << var;
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
    if (Str(At(cm, {"metadata", "name"})).rfind("hyperfleet-adapters", 0) != 0) continue;
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
  EXPECT_EQ(At(outbox[0], {"spec", "replicas"}).as<int>(), 2);
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
    auto mounted = FileAt(pod, c, file.string());
    ASSERT_EQ(mounted.kind, "ConfigMap") << Id(w) << " mounts no ConfigMap file at " << file;
    auto data = At(render_.Find("ConfigMap", mounted.name), {"data", mounted.key});
    ASSERT_TRUE(Present(data)) << Id(w) << ": " << mounted.name << " has no " << mounted.key;
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
  // Every namespaced object lands in a namespace that the render creates: the control plane's,
  // or the jobs namespace.
  const std::set<std::string> cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding"};
  std::set<std::string> namespaces;
  for (const auto& o : render_.objects) {
    if (!cluster_scoped.contains(Str(o["kind"]))) {
      namespaces.insert(Str(At(o, {"metadata", "namespace"})));
    }
  }
  EXPECT_EQ(namespaces, (std::set<std::string>{"hyperfleet", "hyperfleet-jobs"}));
  EXPECT_TRUE(render_.Has("Namespace", "hyperfleet"));
  EXPECT_TRUE(render_.Has("Namespace", "hyperfleet-jobs"));
}

// The API serves HTTPS with the certificate of Secret hyperfleet-api-tls and trusts the cluster's
// service-account issuer for the tickers' and adapters' tokens (role adapter, identity `sub`).
TEST_P(K8sManifests, TheApiServesHttpsAndTrustsTheServiceAccountIssuer) {
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
      auto binding =
          render_.Find("ClusterRoleBinding", "hyperfleet-service-account-issuer-discovery");
      EXPECT_EQ(Str(At(binding, {"roleRef", "name"})), "system:service-account-issuer-discovery");
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
}

// The tickers and the adapters call the API over HTTPS with a projected service-account token for
// audience hyperfleet, and check its certificate against ca.crt of hyperfleet-api-tls (mounted
// alone: no client pod sees the API's private key).
TEST_P(K8sManifests, TickersAndAdaptersSendProjectedTokensAndTrustTheApiCa) {
  std::vector<YAML::Node> clients = Running("ticker");
  for (const auto& w : Running("adapter")) clients.push_back(w);
  ASSERT_EQ(clients.size(), 6u) << "2 tickers, 4 adapters";
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
TEST_P(K8sManifests, SecretsReachContainersOnlyAsUpdatableFiles) {
  auto containers = HyperfleetContainers();
  ASSERT_GE(containers.size(), 9u) << "api (and migrate), outbox, 2 tickers, 4 adapters";
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

TEST_P(K8sManifests, AdaptersMayManageJobsInTheJobsNamespaceOnly) {
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
// without rights or token, with the adapter's own image: the overlay's `images:` reaches them.
TEST_P(K8sManifests, JobsRunRestrictedApartWithTheReleasedImage) {
  std::string released;  // the image the overlay sets
  for (const auto& w : Running("api")) released = Str(PodSpec(w)["containers"][0]["image"]);
  ASSERT_FALSE(released.empty());
  if (GetParam().overlay == "production") {
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
    EXPECT_TRUE(kind == "ServiceAccount" || kind == "Role" || kind == "RoleBinding")
        << Id(o) << " is in the jobs namespace";
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
