// The Kubernetes client and runner over HTTPS, as against a real API server: FakeKubeApi behind
// a TLS front (tests/testing/tls_proxy.hpp) with certificates made at test time. Checks server
// verification by CA file and by kubeconfig certificate-authority-data, client-certificate
// authentication (file and -data forms), insecure-skip-tls-verify, and a watch stream over TLS.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/base64.hpp"
#include "jobs/kubernetes/kube_client.hpp"
#include "jobs/kubernetes/kube_config.hpp"
#include "jobs/kubernetes/kubernetes_job_runner.hpp"
#include "testing/fake_kube_api.hpp"
#include "testing/test_certs.hpp"
#include "testing/tls_proxy.hpp"

namespace hf::jobs {
namespace {

using namespace std::chrono_literals;
using hf::testing::CertUse;
using hf::testing::Pem;

constexpr const char* kNs = "hf-tls";
constexpr const char* kJobsPath = "/apis/batch/v1/namespaces/hf-tls/jobs";

std::string WriteFile(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/kube-tls-" + name;
  std::ofstream(path) << content;
  return path;
}

class KubernetesTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new Pem(hf::testing::MakeCa("hf-test-ca"));
    server_ = new Pem(hf::testing::IssueCert(*ca_, "kube-apiserver", CertUse::kServer));
    client_ = new Pem(hf::testing::IssueCert(*ca_, "hyperfleet-adapter", CertUse::kClient));
    other_ca_ = new Pem(hf::testing::MakeCa("someone-else"));
  }
  static void TearDownTestSuite() {
    for (Pem* p : {ca_, server_, client_, other_ca_}) delete p;
  }

  kube::KubeConnection Connection(const hf::testing::TlsProxy& proxy) const {
    kube::KubeConnection c;
    c.server = proxy.url();
    c.token = "test-token";
    c.ca_file = WriteFile("ca.pem", ca_->cert);
    return c;
  }
  static Result<kube::KubeResponse> List(kube::KubeConnection c) {
    kube::KubeClient client(std::move(c));
    return client.Send("GET", kJobsPath);
  }

  static Pem* ca_;
  static Pem* server_;
  static Pem* client_;
  static Pem* other_ca_;
  hf::testing::FakeKubeApi api_;
};

Pem* KubernetesTlsTest::ca_ = nullptr;
Pem* KubernetesTlsTest::server_ = nullptr;
Pem* KubernetesTlsTest::client_ = nullptr;
Pem* KubernetesTlsTest::other_ca_ = nullptr;

TEST_F(KubernetesTlsTest, VerifiesTheServerAgainstTheConfiguredCa) {
  hf::testing::TlsProxy proxy(api_.port(), *server_);
  auto ok = List(Connection(proxy));
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body["kind"], "JobList");

  // A server whose certificate the CA did not sign is refused before any request is sent.
  const size_t requests = api_.Requests().size();
  auto c = Connection(proxy);
  c.ca_file = WriteFile("other-ca.pem", other_ca_->cert);
  auto refused = List(c);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << refused.error().ToString();
  EXPECT_NE(refused.error().ToString().find("certificate"), std::string::npos)
      << refused.error().ToString();
  EXPECT_EQ(api_.Requests().size(), requests);

  // insecure-skip-tls-verify accepts it (kubeconfigs of throwaway clusters use it).
  c.insecure_skip_tls_verify = true;
  auto insecure = List(c);
  ASSERT_TRUE(insecure) << insecure.error().ToString();
  EXPECT_EQ(insecure->status, 200);
}

TEST_F(KubernetesTlsTest, PresentsAClientCertificateFromFilesOrKubeconfigData) {
  hf::testing::TlsProxy proxy(api_.port(), *server_, ca_->cert);
  // Without one, the server ends the handshake.
  auto anonymous = List(Connection(proxy));
  ASSERT_FALSE(anonymous);
  // (The client may see the alert before the server's handshake call returns.)
  for (int i = 0; i < 500 && proxy.handshakes_failed() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(proxy.handshakes_failed(), 1);

  auto c = Connection(proxy);
  c.token.clear();
  c.client_cert_file = WriteFile("client.pem", client_->cert);
  c.client_key_file = WriteFile("client-key.pem", client_->key);
  auto by_file = List(c);
  ASSERT_TRUE(by_file) << by_file.error().ToString();
  EXPECT_EQ(proxy.last_client_cn(), "hyperfleet-adapter");

  // The same from a kubeconfig holding everything inline as base64 *-data fields.
  const std::string kubeconfig =
      "apiVersion: v1\nkind: Config\ncurrent-context: tls\n"
      "clusters:\n- name: c\n  cluster:\n    server: " +
      proxy.url() + "\n    certificate-authority-data: " + Base64Encode(ca_->cert) +
      "\ncontexts:\n- name: tls\n  context:\n    cluster: c\n"
      "    user: u\n    namespace: hf-tls\n"
      "users:\n- name: u\n  user:\n    token: test-token\n"
      "    client-certificate-data: " +
      Base64Encode(client_->cert) + "\n    client-key-data: " + Base64Encode(client_->key) + "\n";
  auto parsed = kube::ParseKubeconfig(kubeconfig, "/", "test kubeconfig");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  auto by_data = List(*parsed);
  ASSERT_TRUE(by_data) << by_data.error().ToString();
  EXPECT_EQ(by_data->status, 200);
  EXPECT_EQ(proxy.handshakes_failed(), 1);
}

TEST_F(KubernetesTlsTest, RunnerCreatesAndWatchesJobsOverTls) {
  hf::testing::TlsProxy proxy(api_.port(), *server_);
  KubernetesJobRunnerOptions o;
  o.adapter = "validation";
  o.namespace_name = kNs;
  o.pod.image = "hyperfleet:latest";
  o.pod.command = {"/usr/share/hyperfleet/jobs/validation.sh"};
  o.connection = Connection(proxy);
  o.backoff = {.base = 20ms, .max = 200ms};
  auto runner = KubernetesJobRunner::Open(std::move(o));
  ASSERT_TRUE(runner) << runner.error().ToString();
  std::mutex mu;
  std::vector<JobState> finished;
  (*runner)->OnFinished([&](const JobState& s) {
    std::lock_guard lock(mu);
    finished.push_back(s);
  });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(*runner)->Watching() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE((*runner)->Watching());

  JobSpec spec;
  spec.name = "validation-c1-1";
  spec.resource_id = "c1";
  spec.generation = 1;
  spec.resource_json = R"({"id":"c1"})";
  spec.argv = {"ignored"};
  spec.timeout = 60s;
  auto created = (*runner)->CreateIfAbsent(spec);
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_TRUE(created->created);
  ASSERT_TRUE(
      api_.MarkComplete(kNs, "validation-c1-1", R"({"status":"success","reason":"ClusterValid"})"));
  bool done = false;
  for (int i = 0; i < 1000 && !done; ++i) {
    std::this_thread::sleep_for(10ms);
    std::lock_guard lock(mu);
    done = !finished.empty();
  }
  ASSERT_TRUE(done) << "the watch over TLS did not report the finished job";
  std::lock_guard lock(mu);
  EXPECT_EQ(finished[0].phase, JobPhase::kSucceeded);
  EXPECT_EQ(finished[0].reason, "ClusterValid");
}

}  // namespace
}  // namespace hf::jobs
