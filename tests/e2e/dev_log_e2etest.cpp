// What `hyperfleet dev` prints for a person watching: one readable line per resource transition
// and per job, not a JSON line per HTTP request (its own ticker and adapters make dozens); and
// the same lines as JSON with --log-format json.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/http_client.hpp"
#include "testing/env.hpp"
#include "testing/process.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// One `hyperfleet dev` on free ports, a fresh data dir and the shipped example adapters, with
// the ticker on short intervals.
class Dev {
 public:
  explicit Dev(std::vector<std::string> extra_args = {}) : dir_(MakeTempDir("hf-devlog")) {
    const int health = FreePort();
    std::vector<std::string> argv = {HyperfleetBinary(), "dev",
                                     "--data-dir",       dir_ + "/data",
                                     "--adapters-dir",   SourceDir() + "/deploy/adapters",
                                     "--port",           std::to_string(port_),
                                     "--health-port",    std::to_string(health),
                                     "--metrics-port",   std::to_string(FreePort()),
                                     "--poll-interval",  "300ms",
                                     "--debounce",       "0s"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_ =
        std::make_unique<Process>(argv, std::map<std::string, std::string>{}, dir_ + "/dev.log");
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    HttpRequest ready;
    ready.url = "http://127.0.0.1:" + std::to_string(health) + "/readyz";
    while (std::chrono::steady_clock::now() < deadline && process_->Running()) {
      auto res = http_.Send(ready);
      if (res && res->status == 200) {
        ready_ = true;
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  ~Dev() {
    process_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool ready() const { return ready_; }
  Process& process() { return *process_; }
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    std::istringstream in(process_->Log());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // One API call (path under /api/hyperfleet/v1); the parsed body gets `http_status`.
  json Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    HttpRequest req{
        .method = method,
        .url = "http://127.0.0.1:" + std::to_string(port_) + "/api/hyperfleet/v1" + path,
        .headers = {{"Content-Type", "application/json"}},
        .body = body.is_null() ? "" : body.dump()};
    auto res = http_.Send(req);
    if (!res) return {{"http_status", 0}, {"error", res.error().ToString()}};
    json out = json::parse(res->body, nullptr, false);
    if (!out.is_object()) out = json::object();
    out["http_status"] = res->status;
    return out;
  }
  // Waits until some log line contains `text`.
  bool WaitForLine(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (process_->Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

 private:
  std::string dir_;
  int port_ = FreePort();
  HttpClient http_;
  std::unique_ptr<Process> process_;
  bool ready_ = false;
};

// The lines containing every one of `parts`.
std::vector<std::string> Matching(const std::vector<std::string>& lines,
                                  const std::vector<std::string>& parts) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    if (std::all_of(parts.begin(), parts.end(),
                    [&](const std::string& p) { return line.find(p) != std::string::npos; })) {
      out.push_back(line);
    }
  }
  return out;
}

// Where the first line containing every one of `parts` is; lines.size() when none does.
size_t IndexOf(const std::vector<std::string>& lines, const std::vector<std::string>& parts) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!Matching({lines[i]}, parts).empty()) return i;
  }
  return lines.size();
}

std::string Dump(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

TEST(DevLogE2E, OneReadableLinePerTransitionAndJobNoRequestLines) {
  Dev dev;
  ASSERT_TRUE(dev.ready()) << dev.process().Log();
  const std::string name = "watched";
  const std::string what = "dev: Cluster " + name;
  auto created =
      dev.Call("POST", "/clusters", {{"kind", "Cluster"}, {"name", name}, {"spec", {{"size", 1}}}});
  ASSERT_EQ(created["http_status"], 201) << created.dump();
  const std::string id = created["id"];
  const std::string path = "/clusters/" + id;
  // Each step waits for its line, as a person would: Reconciled is read from the store, so a
  // state that lasts less than one read may not be shown.
  ASSERT_TRUE(dev.WaitForLine(what + " Reconciled True generation=1")) << dev.process().Log();

  // Generation 2 fails at dns (the example job fails on "fail_dns": true): Reconciled False.
  auto patched = dev.Call("PATCH", path, {{"spec", {{"size", 1}, {"fail_dns", true}}}});
  ASSERT_EQ(patched["http_status"], 200) << patched.dump();
  ASSERT_TRUE(dev.WaitForLine("job=dns-" + id + "-2 phase=failed")) << dev.process().Log();
  ASSERT_TRUE(dev.WaitForLine(what + " Reconciled False generation=2")) << dev.process().Log();

  // Generation 3 is fine again.
  patched = dev.Call("PATCH", path, {{"spec", {{"size", 3}}}});
  ASSERT_EQ(patched["http_status"], 200) << patched.dump();
  ASSERT_TRUE(dev.WaitForLine(what + " Reconciled True generation=3")) << dev.process().Log();

  ASSERT_EQ(dev.Call("DELETE", path)["http_status"], 202);
  ASSERT_TRUE(dev.WaitForLine(what + " deleted")) << dev.process().Log();
  EXPECT_EQ(dev.process().Stop(SIGINT), 0);

  const auto lines = dev.Lines();
  const std::string log = Dump(lines);
  // Readable, not JSON; and no access log (the API answered well over a hundred requests).
  for (const auto& line : lines) {
    EXPECT_FALSE(line.starts_with("{")) << "a JSON line in dev's text log: " << line;
    EXPECT_EQ(line.find("api: request"), std::string::npos) << "a request line: " << line;
  }
  // Each transition once, in order (a Reconciled False while the deletion is finalized may be
  // too short to be read).
  const std::vector<std::vector<std::string>> transitions = {
      {what + " created", "id=" + id, "generation=1"},
      {what + " Reconciled True", "generation=1"},
      {what + " changed", "generation=2"},
      {what + " Reconciled False", "generation=2", "reason=ReconciledMissingAdapters"},
      {what + " changed", "generation=3"},
      {what + " Reconciled True", "generation=3"},
      {what + " deleting", "generation=4"},
      {what + " deleted", "id=" + id},
  };
  size_t at = 0;
  for (const auto& parts : transitions) {
    const size_t found = IndexOf({lines.begin() + at, lines.end()}, parts);
    ASSERT_LT(at + found, lines.size()) << "missing after line " << at << ": " << parts[0] << "\n"
                                        << log;
    at += found + 1;
  }
  for (const auto& parts : transitions) {
    EXPECT_EQ(Matching(lines, parts).size(), 1u) << parts[0] << "\n" << log;
  }
  // One started and one finished line per job, with its result; placement waits for dns, so
  // generation 2 has no placement job.
  const std::vector<std::pair<std::string, std::string>> jobs = {
      {"validation-" + id + "-1", "succeeded"}, {"dns-" + id + "-1", "succeeded"},
      {"placement-" + id + "-1", "succeeded"},  {"validation-" + id + "-2", "succeeded"},
      {"dns-" + id + "-2", "failed"},           {"validation-" + id + "-3", "succeeded"},
      {"dns-" + id + "-3", "succeeded"},        {"placement-" + id + "-3", "succeeded"},
  };
  for (const auto& [job, phase] : jobs) {
    EXPECT_EQ(Matching(lines, {"INFO  jobs: job started", "job=" + job + " "}).size(), 1u)
        << job << "\n"
        << log;
    EXPECT_EQ(
        Matching(lines, {"INFO  jobs: job finished", "job=" + job + " ", "phase=" + phase}).size(),
        1u)
        << job << "\n"
        << log;
  }
  EXPECT_TRUE(Matching(lines, {"job started", "job=placement-" + id + "-2"}).empty()) << log;
}

TEST(DevLogE2E, LogFormatJsonGivesTheSameLinesAsJson) {
  Dev dev({"--log-format", "json"});
  ASSERT_TRUE(dev.ready()) << dev.process().Log();
  auto created = dev.Call("POST", "/clusters",
                          {{"kind", "Cluster"}, {"name", "as-json"}, {"spec", json::object()}});
  ASSERT_EQ(created["http_status"], 201) << created.dump();
  ASSERT_TRUE(dev.WaitForLine("Cluster as-json Reconciled True")) << dev.process().Log();
  EXPECT_EQ(dev.process().Stop(SIGTERM), 0);

  bool created_line = false;
  for (const auto& line : dev.Lines()) {
    if (!line.starts_with("{")) continue;  // the banner on stdout is text
    const json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_NE(j.value("msg", ""), "request") << "a request line: " << line;
    if (j.value("component", "") == "dev" && j.value("msg", "") == "Cluster as-json created") {
      created_line = j.value("id", "") == created["id"].get<std::string>();
    }
  }
  EXPECT_TRUE(created_line) << dev.process().Log();
}

}  // namespace
}  // namespace hf::testing
