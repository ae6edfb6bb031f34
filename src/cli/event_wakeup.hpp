#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "client/api_client.hpp"

namespace hf::cli {

// Follows GET /events/stream for one resource on a thread of its own, so `watch` looks again as
// soon as something happened to it instead of on a timer. A server without the stream (404,
// an older API) or a stream that is down leaves the caller polling. Thread-safe.
class EventWakeup {
 public:
  // Follows the events of the resource `id` for at most `timeout`.
  EventWakeup(const client::ApiClient& api, std::string id, Duration timeout);
  ~EventWakeup();  // ends the stream and the thread
  EventWakeup(const EventWakeup&) = delete;
  EventWakeup& operator=(const EventWakeup&) = delete;

  // Returns once an event arrived since the previous call, or after `streaming` while the
  // stream is open, or after `polling` when it is not.
  void Wait(Duration streaming, Duration polling);

 private:
  void Run(client::ApiClient api, std::string id, Duration timeout);

  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards the members below
  std::condition_variable cv_;
  uint64_t events_ = 0;  // events seen
  uint64_t seen_ = 0;    // events_ at the previous Wait
  bool open_ = false;    // a stream is (being) opened
  std::thread thread_;
};

}  // namespace hf::cli
