// Adapter config parsing: defaults, closed keys, clear errors naming the key path.
#include "adapter/adapter_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "testing/env.hpp"

namespace hf::adapter {
namespace {

class AdapterConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = hf::testing::MakeTempDir("hf-adapter-config");
    std::filesystem::create_directories(dir_ + "/jobs");
    std::ofstream(dir_ + "/jobs/run.sh") << "#!/bin/sh\nexit 0\n";
    std::filesystem::permissions(dir_ + "/jobs/run.sh", std::filesystem::perms::owner_all);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<AdapterConfig> Parse(const std::string& yaml) {
    return ParseAdapterConfig(yaml, dir_, "test.yaml");
  }
  // The error message of a config that must fail.
  std::string Error(const std::string& yaml) {
    auto c = Parse(yaml);
    EXPECT_FALSE(c) << "accepted:\n" << yaml;
    return c ? "" : c.error().message;
  }

  std::string dir_;
};

constexpr const char* kMinimal = "name: dns\njob:\n  command: jobs/run.sh\n";

TEST_F(AdapterConfigTest, MinimalConfigGetsDefaults) {
  auto c = Parse(kMinimal);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->name, "dns");
  EXPECT_EQ(c->broker.subscription, "dns");
  EXPECT_EQ(c->broker.topic, "hyperfleet.clusters.changed.v1");
  EXPECT_EQ(c->broker.parallelism, 4);
  EXPECT_FALSE(c->broker.status_changes_from);
  EXPECT_EQ(c->api.retry.attempts, 3);
  EXPECT_EQ(c->job->argv, std::vector<std::string>{dir_ + "/jobs/run.sh"});
  EXPECT_EQ(c->job->workdir, dir_);
  EXPECT_EQ(c->job->name_template.text(), "{{adapter}}-{{cluster_id}}-{{generation}}");
  EXPECT_EQ(c->reasons.preconditions_not_met, "PreconditionsNotMet");
  EXPECT_TRUE(c->preconditions.empty());
}

TEST_F(AdapterConfigTest, FullConfig) {
  auto c = Parse(R"(
name: placement
api:
  base_url: http://api:8000/
  timeout: 3s
  retry: {attempts: 5, backoff_base: 100ms, backoff_max: 2s, jitter: 0.5}
broker: {type: googlepubsub, topic: t1, subscription: s1, parallelism: 2, pubsub_project: p,
         status_changes_from: [dns, dns-2]}
preconditions:
  - field: status.conditions[type=DnsSuccessful].status
    operator: equals
    value: "True"
  - {field: spec.region, operator: in, value: [eu, us]}
  - {field: labels.skip, operator: notExists}
job:
  name_template: "place-{{cluster_id}}-{{generation}}"
  command: sh
  args: [-c, "exit 0"]
  env: {JOB_DURATION: 0.1, FAIL: "0"}
  timeout: 30s
  workdir: jobs
  state_dir: state
status:
  reasons: {succeeded: Placed}
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->api.base_url, "http://api:8000");
  EXPECT_EQ(c->api.retry.attempts, 5);
  EXPECT_DOUBLE_EQ(c->api.retry.backoff.jitter, 0.5);
  EXPECT_EQ(c->broker.type, "googlepubsub");
  EXPECT_EQ(c->broker.subscription, "s1");
  EXPECT_EQ(c->broker.status_changes_from, (std::vector<std::string>{"dns", "dns-2"}));
  EXPECT_EQ(c->preconditions.size(), 3u);
  EXPECT_EQ(c->job->argv, (std::vector<std::string>{"sh", "-c", "exit 0"}));
  EXPECT_EQ(c->job->env.at("JOB_DURATION").text(), "0.1");
  EXPECT_EQ(c->job->timeout, std::chrono::seconds(30));
  EXPECT_EQ(c->job->workdir, dir_ + "/jobs");
  EXPECT_EQ(c->job->runner.local.state_dir, dir_ + "/state");
  EXPECT_EQ(c->reasons.succeeded, "Placed");
  EXPECT_EQ(c->reasons.failed, "JobFailed");
}

TEST_F(AdapterConfigTest, ErrorsNameTheKeyPath) {
  EXPECT_EQ(Error("name: dns\njob: {comand: x}\n"),
            "test.yaml: job.comand: unknown key (known here: runner, name_template, command, "
            "args, env, timeout, workdir, state_dir, kubernetes)");
  EXPECT_NE(Error(std::string(kMinimal) + "extra: 1\n").find("test.yaml: extra: unknown key"),
            std::string::npos);
  EXPECT_NE(Error("job: {command: sh}\n").find("name: is required"), std::string::npos);
  EXPECT_NE(Error("name: Bad_Name\njob: {command: sh}\n").find("name: 'Bad_Name'"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\n").find("job: is required (or resources)"), std::string::npos);
  EXPECT_NE(Error("name: dns\njob: {runner: nomad, command: sh}\n")
                .find("job.runner: 'nomad' is not one of local, kubernetes"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\njob: {command: jobs/nope.sh}\n")
                .find("job.command: 'jobs/nope.sh' not found"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\njob: {command: sh, name_template: 'x-{{cluster_id}}'}\n")
                .find("job.name_template: must include {{generation}}"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\njob: {command: sh, timeout: soon}\n").find("job.timeout: 'soon'"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\napi: {retry: {attempts: 0}}\njob: {command: sh}\n")
                .find("api.retry.attempts"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\napi: {base_url: ftp://x}\njob: {command: sh}\n").find("api.base_url"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\nbroker: {type: kafka}\njob: {command: sh}\n").find("broker.type"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\nbroker: {status_changes_from: [Val]}\njob: {command: sh}\n")
                .find("broker.status_changes_from: 'Val' is not an adapter name"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\nbroker: {status_changes_from: [a, dns]}\njob: {command: sh}\n")
                .find("broker.status_changes_from: 'dns' is this adapter"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\nbroker: {status_changes_from: x}\njob: {command: sh}\n")
                .find("broker.status_changes_from: must be a list"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\npreconditions:\n  - {field: a, operator: sameAs, value: x}\n"
                  "job: {command: sh}\n")
                .find("preconditions[0]: unknown operator 'sameAs'"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\npreconditions:\n  - {field: a, operator: in, value: x}\n"
                  "job: {command: sh}\n")
                .find("preconditions[0]: operator in needs a non-empty list value"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\npreconditions:\n  - {operator: exists}\njob: {command: sh}\n")
                .find("preconditions[0].field: is required"),
            std::string::npos);
  EXPECT_NE(Error("name: dns\nstatus: {reasons: {done: X}}\njob: {command: sh}\n")
                .find("status.reasons.done: unknown key"),
            std::string::npos);
  EXPECT_NE(Error("name: [dns\n").find("test.yaml: invalid YAML at line"), std::string::npos);
}

// The example configs in `dir` (deploy/adapters or deploy/adapters/kubernetes), by file stem.
std::set<std::string> ExampleNames(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") {
      names.insert(e.path().stem().string());
    }
  }
  return names;
}

const std::string kExamples = ::hf::testing::SourceDir() + "/deploy/adapters";

TEST_F(AdapterConfigTest, LoadsShippedExamples) {
  const auto names = ExampleNames(kExamples);
  // The chain the API requires of clusters by default, and its nodepool adapter.
  EXPECT_EQ(names,
            (std::set<std::string>{"validation", "dns", "placement", "nodepool-validation"}));
  for (const auto& name : names) {
    auto c = LoadAdapterConfig(kExamples + "/" + name + ".yaml");
    ASSERT_TRUE(c) << name << ": " << c.error().message;
    EXPECT_EQ(c->name, name);
    const std::string resource = name.starts_with("nodepool-") ? "nodepools" : "clusters";
    EXPECT_EQ(c->kind->plural, resource) << name;
    EXPECT_EQ(c->broker.topic, "hyperfleet." + resource + ".changed.v1") << name;
    EXPECT_EQ(c->broker.subscription, resource == "clusters" ? name : name + "-nodepools");
  }
  // dns and placement run only after their dependency succeeded at the current generation
  // (what that means is tested through the dry-run goldens, tests/e2e/testdata/dry_run/).
  for (const auto& [name, dependency] : std::map<std::string, std::string>{
           {"dns", "ValidationSuccessful"}, {"placement", "DnsSuccessful"}}) {
    for (const std::string& dir : {kExamples, kExamples + "/kubernetes"}) {
      auto c = LoadAdapterConfig(dir + "/" + name + ".yaml");
      ASSERT_TRUE(c) << c.error().message;
      ASSERT_EQ(c->preconditions.size(), 1u) << dir << "/" << name;
      ASSERT_TRUE(c->preconditions[0].expression);
      const std::string& source = c->preconditions[0].expression->source();
      EXPECT_NE(source.find("\"" + dependency + "\""), std::string::npos) << source;
      EXPECT_NE(source.find("c.observed_generation == generation"), std::string::npos) << source;
    }
  }
}

TEST_F(AdapterConfigTest, KubernetesRunner) {
  auto c = Parse(R"(
name: validation
job:
  runner: kubernetes
  name_template: "validation-{{cluster_id}}-{{generation}}"
  timeout: 2m
  env: {JOB_DURATION: "0.2"}
  kubernetes:
    namespace: hyperfleet-jobs
    image: hyperfleet:latest
    command: [/usr/share/hyperfleet/jobs/validation.sh]
    args: [--fast]
    service_account: hyperfleet-job
    resources: {requests: {cpu: 50m, memory: 32Mi}, limits: {cpu: 500m, memory: 128Mi}}
    backoff_limit: 2
    ttl_seconds_after_finished: 3600
    kubeconfig: kube/config
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->job->runner.backend, "kubernetes");
  EXPECT_EQ(c->job->timeout, std::chrono::minutes(2));
  EXPECT_EQ(c->job->env.at("JOB_DURATION").text(), "0.2");
  const auto& k = c->job->runner.kubernetes;
  EXPECT_EQ(k.namespace_name, "hyperfleet-jobs");
  EXPECT_EQ(k.pod.image, "hyperfleet:latest");
  EXPECT_EQ(k.pod.command, std::vector<std::string>{"/usr/share/hyperfleet/jobs/validation.sh"});
  EXPECT_EQ(k.pod.args, std::vector<std::string>{"--fast"});
  EXPECT_EQ(k.pod.service_account, "hyperfleet-job");
  EXPECT_EQ(k.pod.requests.at("cpu"), "50m");
  EXPECT_EQ(k.pod.limits.at("memory"), "128Mi");
  EXPECT_EQ(k.pod.backoff_limit, 2);
  EXPECT_EQ(k.pod.ttl_seconds_after_finished, 3600);
  EXPECT_EQ(k.kubeconfig, dir_ + "/kube/config");
  EXPECT_TRUE(c->job->argv.empty());

  auto minimal =
      Parse("name: dns\njob:\n  runner: kubernetes\n  kubernetes: {image: i, command: /j}\n");
  ASSERT_TRUE(minimal) << minimal.error().message;
  EXPECT_EQ(minimal->job->runner.kubernetes.pod.backoff_limit, 0);
  EXPECT_EQ(minimal->job->runner.kubernetes.pod.ttl_seconds_after_finished, 3600);
  EXPECT_EQ(minimal->job->runner.kubernetes.pod.image_pull_policy, "IfNotPresent");
  auto own_image = Parse("name: dns\njob:\n  runner: kubernetes\n  kubernetes: {command: /j}\n");
  ASSERT_TRUE(own_image) << "no image: the adapter's own ($HYPERFLEET_IMAGE)";
  EXPECT_EQ(own_image->job->runner.kubernetes.pod.image, "");
  EXPECT_TRUE(minimal->job->runner.kubernetes.namespace_name.empty());
  EXPECT_EQ(minimal->job->runner.kubernetes.pod.command, std::vector<std::string>{"/j"});
}

TEST_F(AdapterConfigTest, KubernetesRunnerErrorsNameTheKeyPath) {
  const std::string k8s = "name: dns\njob:\n  runner: kubernetes\n";
  EXPECT_EQ(Error(k8s), "test.yaml: job.kubernetes: is required with runner: kubernetes");
  EXPECT_EQ(Error(k8s + "  kubernetes: {command: [/j], image_pull_policy: Sometimes}\n"),
            "test.yaml: job.kubernetes.image_pull_policy: 'Sometimes' is not one of Always, "
            "IfNotPresent, Never");
  EXPECT_NE(Error(k8s + "  kubernetes: {image: i}\n").find("job.kubernetes.command: is required"),
            std::string::npos);
  EXPECT_EQ(Error(k8s + "  command: jobs/run.sh\n  kubernetes: {image: i, command: [/j]}\n"),
            "test.yaml: job.command: is for runner: local (use job.kubernetes.command)");
  EXPECT_NE(Error(k8s + "  kubernetes: {image: i, command: [/j], imagePullPolicy: Always}\n")
                .find("job.kubernetes.imagePullPolicy: unknown key"),
            std::string::npos);
  EXPECT_NE(Error(k8s + "  kubernetes: {image: i, command: [/j], namespace: Bad_NS}\n")
                .find("job.kubernetes.namespace: 'Bad_NS' is not a valid namespace name"),
            std::string::npos);
  EXPECT_NE(Error(k8s + "  kubernetes: {image: i, command: [/j], backoff_limit: -1}\n")
                .find("job.kubernetes.backoff_limit"),
            std::string::npos);
  EXPECT_NE(Error(k8s + "  kubernetes: {image: i, command: [/j], resources: {requests: [cpu]}}\n")
                .find("job.kubernetes.resources.requests: must be a mapping"),
            std::string::npos);
  EXPECT_NE(Error(k8s + "  kubernetes: {image: i, command: [/j], resources: {limit: {}}}\n")
                .find("job.kubernetes.resources.limit: unknown key"),
            std::string::npos);
  EXPECT_EQ(Error("name: dns\njob: {command: sh, kubernetes: {image: i}}\n"),
            "test.yaml: job.kubernetes: is only used with runner: kubernetes");
}

TEST_F(AdapterConfigTest, LoadsShippedKubernetesExamples) {
  // Every local example has its Kubernetes twin, and no twin lacks a local example.
  const auto names = ExampleNames(kExamples + "/kubernetes");
  EXPECT_EQ(names, ExampleNames(kExamples));
  for (const auto& name : names) {
    auto c = LoadAdapterConfig(kExamples + "/kubernetes/" + name + ".yaml");
    ASSERT_TRUE(c) << name << ": " << c.error().message;
    EXPECT_EQ(c->name, name);
    EXPECT_EQ(c->job->runner.backend, "kubernetes");
    EXPECT_EQ(c->job->runner.kubernetes.pod.image, "") << "the adapter's own image";
    EXPECT_EQ(c->job->runner.kubernetes.namespace_name, "hyperfleet-jobs");
    // The same adapter as the local example: resource, broker wiring, chain, job.
    auto local = LoadAdapterConfig(kExamples + "/" + name + ".yaml");
    ASSERT_TRUE(local) << local.error().message;
    EXPECT_EQ(c->kind, local->kind) << name;
    EXPECT_EQ(c->broker.topic, local->broker.topic) << name;
    EXPECT_EQ(c->broker.subscription, local->broker.subscription) << name;
    EXPECT_EQ(c->broker.status_changes_from, local->broker.status_changes_from) << name;
    // Params, preconditions, job templates and status: the same text.
    auto texts = [](const AdapterConfig& a) {
      std::vector<std::string> out;
      for (const auto& p : a.params) {
        out.push_back(p.name + "=" +
                      (p.program    ? p.program->source()
                       : p.api_path ? p.api_path->text()
                       : p.path     ? p.path->text()
                                    : p.value.dump()));
      }
      for (const auto& p : a.preconditions) {
        out.push_back(p.name + ":" + (p.expression ? p.expression->source() : p.field.text()));
      }
      for (const auto& [key, value] : a.job->env) out.push_back(key + "=" + value.text());
      for (const auto& t : a.status.conditions) {
        for (const auto* e : {&t.status, &t.reason, &t.message}) {
          out.push_back(t.type + ":" + (*e ? (*e)->source() : ""));
        }
      }
      out.push_back(a.status.data ? a.status.data->source() : "");
      return out;
    };
    EXPECT_EQ(texts(*c), texts(*local)) << name;
    EXPECT_EQ(c->job->name_template.text(), local->job->name_template.text());
    EXPECT_EQ(c->job->timeout, local->job->timeout);
    // The image's copy of the script the local example runs (Dockerfile: deploy/adapters/jobs/
    // to /usr/share/hyperfleet/jobs/).
    ASSERT_FALSE(local->job->argv.empty());
    EXPECT_EQ(
        c->job->runner.kubernetes.pod.command,
        std::vector<std::string>{"/usr/share/hyperfleet/jobs/" +
                                 std::filesystem::path(local->job->argv[0]).filename().string()})
        << name;
  }
}

constexpr const char* kResources = R"yaml(name: ns
kubernetes: {kubeconfig: kube/config, namespace: team}
resources:
  - name: namespace
    manifest:
      apiVersion: v1
      kind: Namespace
      metadata: {name: "cluster-{{ cluster_id }}"}
  - name: app
    manifest_file: manifests/deployment.yaml
    discovery:
      namespace: "cluster-{{ cluster_id }}"
      by_selector: {app: "agent-{{ cluster_id }}"}
)yaml";

TEST_F(AdapterConfigTest, ResourcesWithoutAJob) {
  std::filesystem::create_directories(dir_ + "/manifests");
  std::ofstream(dir_ + "/manifests/deployment.yaml")
      << "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: agent}\n"
         "spec: {replicas: '{{ generation }}'}\n";
  auto c = Parse(kResources);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c->job);
  EXPECT_EQ(c->kubernetes.kubeconfig, dir_ + "/kube/config");
  EXPECT_EQ(c->kubernetes.namespace_name, "team");
  ASSERT_EQ(c->resources.size(), 2u);
  EXPECT_EQ(c->resources[0].name, "namespace");
  EXPECT_EQ(c->resources[0].manifest.kind(), "Namespace");
  EXPECT_FALSE(c->resources[0].by_name);
  EXPECT_EQ(c->resources[1].manifest.api_version(), "apps/v1");
  EXPECT_EQ(c->resources[1].manifest.variables(), std::set<std::string>{"generation"});
  EXPECT_EQ(c->resources[1].by_selector.at("app").text(), "agent-{{ cluster_id }}");
  EXPECT_EQ(c->resources[1].namespace_name->text(), "cluster-{{ cluster_id }}");
}

TEST_F(AdapterConfigTest, ResourceErrorsNameTheKey) {
  const std::string head = "name: ns\nresources:\n";
  const std::string ns = "    manifest: {apiVersion: v1, kind: Namespace, metadata: {name: x}}\n";
  EXPECT_EQ(Error(head + "  - name: a\n" + ns + "  - name: a\n" + ns),
            "test.yaml: resources[1].name: 'a' is listed twice");
  EXPECT_EQ(Error(head + "  - name: a-b\n" + ns),
            "test.yaml: resources[0].name: 'a-b' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
  EXPECT_EQ(Error(head + "  - {name: a}\n"),
            "test.yaml: resources.a: needs exactly one of manifest (inline) and manifest_file");
  EXPECT_EQ(Error(head + "  - {name: a, manifest_file: nope.yaml}\n"),
            "test.yaml: resources.a.manifest_file: cannot read '" + dir_ + "/nope.yaml'");
  EXPECT_EQ(Error(head + "  - name: a\n    manifest: {kind: Namespace, metadata: {name: x}}\n"),
            "test.yaml: resources.a.manifest: apiVersion: is required");
  EXPECT_EQ(
      Error(head + "  - name: a\n    manifest: {apiVersion: v1, kind: '{{ event.kind }}'}\n"),
      "test.yaml: resources.a.manifest: kind: must be literal (no {{ }}): '{{ event.kind }}'");
  EXPECT_EQ(
      Error(head + "  - name: a\n    manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: "
                   "x}, data: {k: '{{ nope }}'}}\n"),
      "test.yaml: resources.a.manifest: unknown variable 'nope' (known here: adapter, "
      "cluster_id, event, generation, resource)");
  EXPECT_NE(
      Error(head + "  - name: a\n    manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: "
                   "'{{ 1 + }}'}}\n")
          .find("test.yaml: resources.a.manifest: metadata.name: column"),
      std::string::npos);
  EXPECT_EQ(
      Error(head + "  - name: a\n" + ns + "    discovery: {by_name: x, by_selector: {a: b}}\n"),
      "test.yaml: resources.a.discovery: by_name and by_selector exclude each other");
  EXPECT_EQ(Error(head + "  - name: a\n" + ns + "    discovery: {by_label: x}\n"),
            "test.yaml: resources.a.discovery.by_label: unknown key (known here: by_name, "
            "by_selector, namespace)");
  EXPECT_EQ(Error(head + "  - name: a\n" + ns + "kubernetes: {namespace: Bad_NS}\n"),
            "test.yaml: kubernetes.namespace: 'Bad_NS' is not a valid namespace name");
  EXPECT_EQ(Error("name: ns\nkubernetes: {}\njob: {command: sh}\n"),
            "test.yaml: kubernetes: is the connection for resources (a job's is job.kubernetes)");
  EXPECT_EQ(Error("name: ns\nparams: [{name: resources, value: 1}]\njob: {command: sh}\n")
                    .find("'resources' is already a variable") != std::string::npos,
            true);
}

}  // namespace
}  // namespace hf::adapter
