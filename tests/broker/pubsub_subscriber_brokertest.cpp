// PubSubSubscriber's puller against the Pub/Sub emulator ($HF_TEST_PUBSUB_EMULATOR_HOST).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "broker/pubsub/pubsub_client.hpp"
#include "broker/pubsub/pubsub_subscriber.hpp"
#include "testing/env.hpp"
#include "testing/loopback.hpp"

namespace hf::broker::detail {
namespace {

using namespace std::chrono_literals;

// Relays each client connection (on a thread of its own) to the emulator and keeps the bodies of
// the requests whose request line contains `marker` (e.g. ":acknowledge").
class RequestRecorder {
 public:
  RequestRecorder(int backend_port, std::string marker)
      : backend_port_(backend_port), marker_(std::move(marker)) {
    listen_fd_ = testing::ListenOnLoopback(&port_);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~RequestRecorder() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    for (auto& t : relays_) t.join();
    ::close(listen_fd_);
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> Bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  void Accept() {
    while (!stopping_) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) relays_.emplace_back([this, fd] { Relay(fd); });
    }
  }
  void Relay(int client) {
    const int backend = testing::ConnectToLoopback(backend_port_);
    std::string pending;  // client bytes not yet parsed into whole requests
    char buf[16 * 1024];
    bool open = backend >= 0;
    while (open && !stopping_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {backend, POLLIN, 0}};
      if (::poll(fds, 2, 200) <= 0) continue;
      for (int i = 0; i < 2 && open; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
        open = n > 0 && ::send(fds[1 - i].fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL) == n;
        if (open && i == 0) Parse(pending.append(buf, static_cast<size_t>(n)));
      }
    }
    ::close(client);
    if (backend >= 0) ::close(backend);
  }
  void Parse(std::string& pending) {
    while (true) {
      const size_t head_end = pending.find("\r\n\r\n");
      if (head_end == std::string::npos) return;
      const std::string head = pending.substr(0, head_end);
      size_t length = 0;
      if (const size_t at = head.find("Content-Length: "); at != std::string::npos) {
        length = std::stoul(head.substr(at + 16));
      }
      if (pending.size() < head_end + 4 + length) return;
      if (head.substr(0, head.find("\r\n")).find(marker_) != std::string::npos) {
        std::lock_guard lock(mu_);
        bodies_.push_back(pending.substr(head_end + 4, length));
      }
      pending.erase(0, head_end + 4 + length);
    }
  }

  int backend_port_;
  std::string marker_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::vector<std::thread> relays_;  // only touched by the acceptor, then the destructor
  mutable std::mutex mu_;            // guards bodies_
  std::vector<std::string> bodies_;
};

// The puller asks for one batch more than its free handler slots, so the next messages are
// already here when a handler finishes (a pull is a round trip of its own). With one slot, busy
// on the first message, the second is leased to the subscriber too: another client pulling the
// subscription finds nothing. Pulling only for free slots left it in the subscription.
TEST(PubSubSubscriber, PullsOneBatchAheadOfItsHandlers) {
  HF_REQUIRE_ENV(host, "HF_TEST_PUBSUB_EMULATOR_HOST");
  PubSubSettings settings;
  settings.project = "hf-pull-ahead-" + std::to_string(::getpid());
  settings.emulator_host = host;
  auto client = std::make_shared<PubSubClient>(settings);
  const std::string topic = "pull-ahead", subscription = "pull-ahead-sub";
  ASSERT_TRUE(client->EnsureTopic(topic));
  ASSERT_TRUE(client->EnsureSubscription(subscription, topic, {{"ackDeadlineSeconds", 60}}));
  ASSERT_TRUE(client->Publish(topic, {{"first", "{}", {}}, {"second", "{}", {}}}));

  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  bool release = false;
  PubSubSubscriber subscriber(client, std::make_shared<Counters>());
  SubscribeOptions options;
  options.parallelism = 1;
  auto subscribed = subscriber.Subscribe(
      topic, subscription,
      [&](const Delivery&) {
        std::unique_lock lock(mu);
        ++started;
        cv.notify_all();
        cv.wait_for(lock, 30s, [&] { return release; });  // bound for a hung test only
        return HandlerResult::kAck;
      },
      options);
  ASSERT_TRUE(subscribed) << subscribed.error().ToString();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return started == 1; }));
  }
  // The emulator holds an empty pull open; ours gives up after 2 s (an error or nothing).
  auto other = client->Pull(subscription, 10, 2s, nullptr);
  EXPECT_TRUE(!other || other->empty()) << "the second message was still in the subscription";
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_TRUE(subscriber.Stop(10s));
}

// Acks share requests: twenty acks spread over ~200 ms go out in one request per 100 ms of that
// spread, plus the one Stop sends for those still waiting (before: 18 requests, about one per
// ack). The bound follows the measured spread, so a slow machine does not fail it.
TEST(PubSubSubscriber, SendsAcksInBatchesAndTheRestOnStop) {
  HF_REQUIRE_ENV(host, "HF_TEST_PUBSUB_EMULATOR_HOST");
  RequestRecorder recorder(std::stoi(host.substr(host.rfind(':') + 1)), ":acknowledge");
  PubSubSettings settings;
  settings.project = "hf-ack-batches-" + std::to_string(::getpid());
  settings.emulator_host = recorder.host();
  auto client = std::make_shared<PubSubClient>(settings);
  const std::string topic = "acks", subscription = "acks-sub";
  ASSERT_TRUE(client->EnsureTopic(topic));
  ASSERT_TRUE(client->EnsureSubscription(subscription, topic, {{"ackDeadlineSeconds", 60}}));
  constexpr int kMessages = 20;
  std::vector<Message> messages;
  for (int i = 0; i < kMessages; ++i) messages.push_back({std::to_string(i), "{}", {}});
  ASSERT_TRUE(client->Publish(topic, messages));

  std::mutex mu;
  std::condition_variable cv;
  int handled = 0;
  std::chrono::steady_clock::time_point first_ack, last_ack;
  PubSubSubscriber subscriber(client, std::make_shared<Counters>());
  SubscribeOptions options;
  options.parallelism = kMessages;
  auto subscribed = subscriber.Subscribe(
      topic, subscription,
      [&](const Delivery& d) {
        std::this_thread::sleep_for(std::stoi(d.message.id) * 10ms);  // one ack every 10 ms
        std::lock_guard lock(mu);
        last_ack = std::chrono::steady_clock::now();
        if (handled++ == 0) first_ack = last_ack;
        cv.notify_all();
        return HandlerResult::kAck;
      },
      options);
  ASSERT_TRUE(subscribed) << subscribed.error().ToString();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return handled == kMessages; }));
  }
  ASSERT_TRUE(subscriber.Stop(10s));

  size_t acked = 0;
  const auto bodies = recorder.Bodies();
  for (const auto& body : bodies) acked += nlohmann::json::parse(body).at("ackIds").size();
  EXPECT_EQ(acked, static_cast<size_t>(kMessages));
  const auto spread = std::chrono::duration_cast<std::chrono::milliseconds>(last_ack - first_ack);
  EXPECT_LE(bodies.size(), static_cast<size_t>(spread / 100ms) + 2) << spread.count() << " ms";
  EXPECT_LT(bodies.size(), static_cast<size_t>(kMessages / 2));
}

}  // namespace
}  // namespace hf::broker::detail
