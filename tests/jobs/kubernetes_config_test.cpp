// Kubernetes connection config: kubeconfig parsing (token, client certificate, CA), in-cluster
// config, and how ResolveConnection picks one.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "jobs/kubernetes/kube_config.hpp"
#include "testing/env.hpp"

namespace hf::jobs::kube {
namespace {

// base64 of "CA-PEM", "CERT-PEM", "KEY-PEM".
constexpr const char* kCaB64 = "Q0EtUEVN";
constexpr const char* kCertB64 = "Q0VSVC1QRU0=";
constexpr const char* kKeyB64 = "S0VZLVBFTQ==";

// Sets environment variables for one test and restores them afterwards.
class ScopedEnv {
 public:
  void Set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

class KubeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = hf::testing::MakeTempDir("hf-kubeconfig"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(KubeConfigTest, TokenUserAndContextNamespace) {
  auto c = ParseKubeconfig(R"(
apiVersion: v1
kind: Config
current-context: dev
clusters:
  - name: other
    cluster: {server: https://wrong:6443}
  - name: kind
    cluster:
      server: https://127.0.0.1:6443/
      certificate-authority-data: )" +
                               std::string(kCaB64) + R"(
contexts:
  - name: prod
    context: {cluster: other, user: admin}
  - name: dev
    context: {cluster: kind, user: dev-user, namespace: team-a}
users:
  - name: dev-user
    user: {token: abc.def}
)",
                           dir_, "kc.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->default_namespace, "team-a");
  EXPECT_EQ(c->token, "abc.def");
  EXPECT_EQ(c->ca_data, "CA-PEM");
  EXPECT_TRUE(c->ca_file.empty());
  EXPECT_FALSE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->source, "kc.yaml (context dev)");
}

TEST_F(KubeConfigTest, ClientCertificateDataAndFiles) {
  auto c = ParseKubeconfig(R"(
current-context: ctx
clusters: [{name: k, cluster: {server: "https://k:443", insecure-skip-tls-verify: true}}]
contexts: [{name: ctx, context: {cluster: k, user: u}}]
users:
  - name: u
    user:
      client-certificate-data: )" +
                               std::string(kCertB64) + R"(
      client-key-data: )" + std::string(kKeyB64) +
                               R"(
)",
                           dir_, "kc.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->client_cert_data, "CERT-PEM");
  EXPECT_EQ(c->client_key_data, "KEY-PEM");
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_TRUE(c->token.empty());

  Write("ca.crt", "ca");
  Write("client.crt", "cert");
  Write("client.key", "key");
  Write("token", "t");
  Write("kubeconfig", R"(
current-context: ctx
clusters: [{name: k, cluster: {server: "https://k:443", certificate-authority: ca.crt}}]
contexts: [{name: ctx, context: {cluster: k, user: u}}]
users:
  - name: u
    user: {client-certificate: client.crt, client-key: client.key, tokenFile: token}
)");
  auto f = LoadKubeconfig(dir_ + "/kubeconfig");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->ca_file, dir_ + "/ca.crt");
  EXPECT_EQ(f->client_cert_file, dir_ + "/client.crt");
  EXPECT_EQ(f->client_key_file, dir_ + "/client.key");
  EXPECT_EQ(f->token_file, dir_ + "/token");
}

TEST_F(KubeConfigTest, ClearErrors) {
  auto error = [&](const std::string& yaml) {
    auto c = ParseKubeconfig(yaml, dir_, "kc.yaml");
    EXPECT_FALSE(c) << yaml;
    return c ? std::string() : c.error().message;
  };
  const std::string cluster = "clusters: [{name: k, cluster: {server: 'https://k'}}]\n";
  EXPECT_EQ(error("clusters: []\n"), "kc.yaml: current-context is not set");
  EXPECT_EQ(error("current-context: x\n" + cluster), "kc.yaml: context 'x' is not in contexts");
  EXPECT_EQ(error("current-context: x\ncontexts: [{name: x, context: {cluster: nope}}]\n"),
            "kc.yaml: cluster 'nope' of context 'x' is not in clusters");
  EXPECT_NE(error("current-context: x\n" + cluster +
                  "contexts: [{name: x, context: {cluster: k, user: u}}]\n"
                  "users: [{name: u, user: {exec: {command: gke-gcloud-auth-plugin}}}]\n")
                .find("exec and auth-provider credential plugins are not supported"),
            std::string::npos);
  EXPECT_NE(error("current-context: x\n" + cluster +
                  "contexts: [{name: x, context: {cluster: k, user: u}}]\n"
                  "users: [{name: u, user: {client-certificate-data: " +
                  std::string(kCertB64) + "}}]\n")
                .find("client-certificate and client-key go together"),
            std::string::npos);
  EXPECT_NE(error("current-context: x\n" + cluster +
                  "contexts: [{name: x, context: {cluster: k, user: u}}]\n"
                  "users: [{name: u, user: {client-key-data: '***'}}]\n")
                .find("client-key-data is not valid base64"),
            std::string::npos);
  EXPECT_NE(error("current-context: x\n"
                  "clusters: [{name: k, cluster: {server: 'https://k', certificate-authority: "
                  "missing.crt}}]\ncontexts: [{name: x, context: {cluster: k}}]\n")
                .find("certificate-authority '" + dir_ + "/missing.crt' does not exist"),
            std::string::npos);
  EXPECT_NE(error("current-context: [unclosed\n").find("invalid YAML"), std::string::npos);
  EXPECT_NE(LoadKubeconfig(dir_ + "/nope").error().message.find("cannot read kubeconfig"),
            std::string::npos);
}

TEST_F(KubeConfigTest, InClusterConfig) {
  InClusterPaths paths{.token_file = dir_ + "/token",
                       .ca_file = dir_ + "/ca.crt",
                       .namespace_file = dir_ + "/namespace"};
  ScopedEnv env;
  env.Set("KUBERNETES_SERVICE_HOST", nullptr);
  env.Set("KUBERNETES_SERVICE_PORT", nullptr);
  auto missing = LoadInCluster(paths);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("KUBERNETES_SERVICE_HOST"), std::string::npos);

  env.Set("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  env.Set("KUBERNETES_SERVICE_PORT", "443");
  auto no_token = LoadInCluster(paths);
  ASSERT_FALSE(no_token);
  EXPECT_NE(no_token.error().message.find("token file '" + dir_ + "/token' does not exist"),
            std::string::npos);

  Write("token", "sa-token");
  Write("ca.crt", "ca");
  Write("namespace", "hyperfleet-jobs\n");
  auto c = LoadInCluster(paths);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server, "https://10.96.0.1:443");
  EXPECT_EQ(c->token_file, dir_ + "/token");
  EXPECT_EQ(c->ca_file, dir_ + "/ca.crt");
  EXPECT_EQ(c->default_namespace, "hyperfleet-jobs");
  EXPECT_EQ(c->source, "in-cluster");

  env.Set("KUBERNETES_SERVICE_HOST", "fd00::1");
  EXPECT_EQ(LoadInCluster(paths)->server, "https://[fd00::1]:443");
}

TEST_F(KubeConfigTest, ResolvePrefersExplicitThenInClusterThenKubeconfigEnv) {
  Write("token", "sa-token");
  Write("a.yaml",
        "current-context: a\nclusters: [{name: k, cluster: {server: 'https://a:1'}}]\n"
        "contexts: [{name: a, context: {cluster: k}}]\n");
  Write("b.yaml",
        "current-context: b\nclusters: [{name: k, cluster: {server: 'https://b:1'}}]\n"
        "contexts: [{name: b, context: {cluster: k}}]\n");
  InClusterPaths paths{
      .token_file = dir_ + "/token", .ca_file = dir_ + "/none", .namespace_file = dir_ + "/none"};
  ScopedEnv env;
  env.Set("KUBERNETES_SERVICE_HOST", "10.0.0.1");
  env.Set("KUBERNETES_SERVICE_PORT", "6443");
  env.Set("KUBECONFIG", (dir_ + "/b.yaml:" + dir_ + "/a.yaml").c_str());
  EXPECT_EQ(ResolveConnection(dir_ + "/a.yaml", paths)->server, "https://a:1");
  EXPECT_EQ(ResolveConnection("", paths)->server, "https://10.0.0.1:6443");
  env.Set("KUBERNETES_SERVICE_HOST", nullptr);
  EXPECT_EQ(ResolveConnection("", paths)->server, "https://b:1");
  env.Set("KUBECONFIG", nullptr);
  env.Set("HOME", dir_.c_str());
  auto none = ResolveConnection("", paths);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find(dir_ + "/.kube/config"), std::string::npos);
}

}  // namespace
}  // namespace hf::jobs::kube
