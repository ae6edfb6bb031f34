#include "api/event_stream.hpp"

#include <charconv>

#include "api/presenters.hpp"

namespace hf::api {

Result<std::optional<int64_t>> DecodeResumeId(const http::Request& req) {
  std::string text = req.Header("last-event-id");
  const char* source = "Last-Event-ID";
  if (text.empty()) {
    auto after = req.Query("after");
    if (!after) return std::nullopt;
    text = *after;
    source = "after";
  }
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 0) {
    return Fail(
        ErrorCode::kInvalidArgument,
        std::string(source) + " must be an event id (a non-negative integer), got '" + text + "'");
  }
  return id;
}

std::string SseEvent(const model::OutboxEvent& e) {
  return "id: " + std::to_string(e.id) + "\nevent: " + e.reason + "\ndata: " +
         PresentOutboxEvent(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n\n";
}

std::string SseReset(int64_t last_id) {
  const nlohmann::json data = {
      {"last_id", last_id},
      {"detail", "the events after the id resumed from are no longer retained; re-list"}};
  return "id: " + std::to_string(last_id) + "\nevent: reset\ndata: " + data.dump() + "\n\n";
}

std::string SseHeartbeat() { return ": heartbeat\n\n"; }

}  // namespace hf::api
