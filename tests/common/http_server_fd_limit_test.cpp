// At the descriptor limit accept(2) fails (EMFILE) for as long as connections wait in the
// backlog. The server must back off rather than spin: a spinning loop burns a core and writes a
// log line per failure (hundreds of thousands a second); it must also serve again once
// descriptors are free. Its own file because it lowers the process's RLIMIT_NOFILE and sends
// the process's log to a file.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/http_client.hpp"
#include "common/http_server.hpp"
#include "common/log.hpp"
#include "testing/env.hpp"
#include "testing/http_connection.hpp"

namespace hf::http {
namespace {

using namespace std::chrono_literals;

int OpenDescriptors() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

int CountLines(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

TEST(HttpServerFdLimit, TheAcceptLoopBacksOffAndRecovers) {
  const std::string log_file = testing::MakeTempDir("hf-fd-limit") + "/log.jsonl";
  log::SetOutputFile(log_file);
  ServerOptions options;
  options.host = "127.0.0.1";
  options.threads = 2;
  Server server(options, [](const Request& r) { return Response{200, "text/plain", r.path, {}}; });
  ASSERT_TRUE(server.Start());

  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(OpenDescriptors() + 12);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  // Clients until no descriptor is left: the server's accepts then fail with EMFILE while the
  // last connections wait in the backlog.
  std::vector<std::unique_ptr<testing::HttpConnection>> clients;
  for (int i = 0; i < 64; ++i) {
    auto c = std::make_unique<testing::HttpConnection>(server.port());
    if (!c->connected()) break;
    clients.push_back(std::move(c));
  }
  std::this_thread::sleep_for(1500ms);
  clients.clear();
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);

  const int failures = CountLines(log_file, "accept failed");
  EXPECT_GE(failures, 1) << "the limit was never hit; the test proves nothing";
  EXPECT_LE(failures, 3) << "one line a second at most";
  // Descriptors are free again: the server accepts and answers (within the 1 s backoff cap).
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/after";
  req.timeout = 10s;
  auto res = HttpClient().Send(req);
  ASSERT_TRUE(res) << res.error().ToString();
  EXPECT_EQ(res->body, "/after");
  server.Stop(100ms);
}

}  // namespace
}  // namespace hf::http
