#include "cli/event_wakeup.hpp"

#include "common/http_message.hpp"

namespace hf::cli {
namespace {

using Clock = std::chrono::steady_clock;
// Between a stream that ended and the next.
constexpr auto kReconnectDelay = std::chrono::seconds(1);

}  // namespace

EventWakeup::EventWakeup(const client::ApiClient& api, std::string id, Duration timeout)
    : open_(true), thread_([this, api, id = std::move(id), timeout] { Run(api, id, timeout); }) {}

EventWakeup::~EventWakeup() {
  stop_ = true;
  cv_.notify_all();
  thread_.join();
}

void EventWakeup::Wait(Duration streaming, Duration polling) {
  std::unique_lock lock(mu_);
  const auto until = Clock::now() + (open_ ? streaming : polling);
  cv_.wait_until(lock, until, [&] { return events_ != seen_ || stop_; });
  seen_ = events_;
}

void EventWakeup::Run(client::ApiClient api, std::string id, Duration timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string query = "?aggregate_id=" + http::UrlEncode(id);
  while (!stop_ && Clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    const auto left = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    auto streamed = api.StreamEvents(query,
                                     [this](const client::StreamEvent&) {
                                       {
                                         std::lock_guard lock(mu_);
                                         ++events_;
                                       }
                                       cv_.notify_all();
                                       return !stop_;
                                     },
                                     {.deadline = left, .cancel = &stop_});
    std::unique_lock lock(mu_);
    open_ = false;
    if (!streamed && streamed.error().code == ErrorCode::kNotFound) return;  // an older API
    cv_.wait_for(lock, kReconnectDelay, [&] { return stop_.load(); });
  }
}

}  // namespace hf::cli
