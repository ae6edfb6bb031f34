#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/http_message.hpp"
#include "common/result.hpp"
#include "service/outbox_feed.hpp"

namespace hf::api {

// GET /events/stream as Server-Sent Events (README: Watch API): one event per outbox row,
//   id: <outbox id>\nevent: <reason>\ndata: <the row as GET /events presents it>\n\n
// an `event: reset` (id: the newest id, data {"last_id", "detail"}) when the rows after the
// id resumed from are gone, and a `: heartbeat` comment when joined and after each idle
// heartbeat interval.

// The id to resume after: the Last-Event-ID header, else ?after=; nullopt for neither.
// InvalidArgument when the one given is not a non-negative integer.
[[nodiscard]] Result<std::optional<int64_t>> DecodeResumeId(const http::Request& req);

// The text of one event / reset / heartbeat.
[[nodiscard]] std::string SseEvent(const model::OutboxEvent& e);
[[nodiscard]] std::string SseReset(int64_t last_id);
[[nodiscard]] std::string SseHeartbeat();

// A feed subscriber writing to a streamed response body.
class SseSubscriber : public service::FeedSubscriber {
 public:
  explicit SseSubscriber(std::shared_ptr<http::BodyStream> out) : out_(std::move(out)) {}
  bool OnEvent(const model::OutboxEvent& e) override { return out_->Send(SseEvent(e)); }
  bool OnReset(int64_t last_id) override { return out_->Send(SseReset(last_id)); }
  bool OnIdle() override { return out_->Send(SseHeartbeat()); }
  bool Alive() const override { return !out_->closed(); }

 private:
  const std::shared_ptr<http::BodyStream> out_;
};

}  // namespace hf::api
