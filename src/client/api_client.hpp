#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/token_source.hpp"
#include "common/backoff.hpp"
#include "common/http_client.hpp"
#include "common/result.hpp"
#include "model/kinds.hpp"

namespace hf::client {

struct ClientOptions {
  std::string api_url = "http://localhost:8000";  // scheme://host:port; a trailing '/' is ignored
  std::string user_agent = "hyperfleet/" HF_VERSION;
  Duration timeout = std::chrono::seconds(10);  // deadline of one attempt
  // Tries of an idempotent call (GET, PUT, DELETE) that fails transiently (transport error, 408,
  // 429, 5xx), spaced by `backoff`. 1 = no retry. POST and PATCH are never retried.
  int attempts = 1;
  BackoffPolicy backoff{std::chrono::milliseconds(200), std::chrono::seconds(5), 0.2};
  const std::atomic<bool>* cancel = nullptr;  // when set, calls and retry waits end at once
  // The bearer token sent with every request (unset or "": none). Asked at each call, so a
  // token file re-read on change (TokenFromFile) or a minting source rotates without a restart;
  // its error fails the call.
  TokenSource token{};
  std::string ca_file{};  // CA bundle for an https api_url (empty: the system's trust store)
};

// Per call: the W3C trace context to send ("" for none) and a deadline for the whole call, its
// retries included (none: attempts × ClientOptions::timeout plus the waits between them).
struct CallOptions {
  std::string traceparent{};
  std::optional<Duration> deadline{};
  const std::atomic<bool>* cancel = nullptr;  // set: replaces ClientOptions::cancel
};

// One Server-Sent Event of GET /events/stream (event "message" when the stream names none).
struct StreamEvent {
  std::string id;
  std::string event;
  std::string data;
};

// A list request. Unset fields are not sent (the API's defaults apply).
struct ListQuery {
  std::string search{};
  std::string order{};
  std::optional<int> page{};
  std::optional<int> size{};
};

// What PUT …/statuses did with a report.
enum class StatusOutcome { kStored, kDiscarded };  // 201 / 204 (stale, not stored)
// What POST /events did.
enum class EventOutcome {
  kAccepted,  // a new outbox event was written
  kPending,   // an unpublished event at this generation already existed; nothing written
};

// The one client of the HyperFleet REST API, used by the adapter, the ticker and the CLI. It owns
// the base path (model::kApiBasePath), the request headers (Accept, Content-Type, User-Agent,
// traceparent, Authorization), the deadline and retries of each call, and the map from an answer to
// an Error:
//   - a non-2xx answer: ErrorFromResponse (code from hf::ErrorCodeForStatus, problem+json
//     detail kept in the one-line message);
//   - the API unreachable or too slow: kUnavailable / kDeadlineExceeded, message
//     "cannot reach the HyperFleet API at {api_url} ({reason})";
//   - a malformed api_url: kInvalidArgument "invalid API URL '…'";
//   - an https API whose certificate the CA file (or system store) does not verify, or an
//     unreadable CA file: kInvalidArgument with HttpClient's message (never retried);
//   - a 2xx answer that is not JSON: kMalformed.
// `parent_id` selects a nested route (/clusters/{parent_id}/nodepools/…) for a child kind; ""
// uses the flat one (/nodepools/…). Thread-safe; cheap to copy.
class ApiClient {
 public:
  explicit ApiClient(ClientOptions options);

  // GET one resource. kNotFound when it does not exist.
  [[nodiscard]] Result<nlohmann::json> Get(const model::ResourceKind& kind, std::string_view id,
                                           std::string_view parent_id = "",
                                           const CallOptions& call = {}) const;
  // GET one page of a collection: the list body ({kind, page, size, total, items}).
  [[nodiscard]] Result<nlohmann::json> List(const model::ResourceKind& kind, const ListQuery& query,
                                            std::string_view parent_id = "") const;
  // Every resource matching `search` ("" = all), in id order, by keyset paging: each page asks
  // for `page_size` items with `order=id asc` and `search=(<search>) and id > '<last id>'`, so
  // resources created or deleted during the walk cannot make it skip or repeat others, and a
  // page cut by the server's byte cap ("truncated": true) simply continues after its last item.
  // Any failed page fails the whole listing; an answer without an `items` array, or a page
  // that does not move past the last id, is kMalformed.
  [[nodiscard]] Result<std::vector<nlohmann::json>> ListAll(const model::ResourceKind& kind,
                                                            std::string_view search,
                                                            int page_size = 100) const;
  // POST a new resource (`body` as the API takes it); the created resource.
  [[nodiscard]] Result<nlohmann::json> Create(const model::ResourceKind& kind,
                                              const nlohmann::json& body,
                                              std::string_view parent_id = "") const;
  // PATCH spec and/or labels; the updated resource.
  [[nodiscard]] Result<nlohmann::json> Patch(const model::ResourceKind& kind, std::string_view id,
                                             const nlohmann::json& body,
                                             std::string_view parent_id = "") const;
  // DELETE (marks for deletion); the resource as marked.
  [[nodiscard]] Result<nlohmann::json> Delete(const model::ResourceKind& kind, std::string_view id,
                                              std::string_view parent_id = "") const;
  // POST …/force-delete with `reason`.
  [[nodiscard]] Result<nlohmann::json> ForceDelete(const model::ResourceKind& kind,
                                                   std::string_view id, std::string_view reason,
                                                   std::string_view parent_id = "") const;
  // GET …/statuses: the adapters' reports (a list body).
  [[nodiscard]] Result<nlohmann::json> ListStatuses(const model::ResourceKind& kind,
                                                    std::string_view id,
                                                    std::string_view parent_id = "",
                                                    const CallOptions& call = {}) const;
  // PUT …/statuses with one adapter's report. kNotFound when the resource is gone.
  [[nodiscard]] Result<StatusOutcome> PutStatus(const model::ResourceKind& kind,
                                                std::string_view id, const nlohmann::json& report,
                                                const CallOptions& call = {}) const;
  // GET /events/stream`query` ("?aggregate_id=…"): calls `on_event` with each event until it
  // returns false (then Ok), the server ends the stream (Ok), call.deadline passes
  // (kDeadlineExceeded) or call.cancel is set (kUnavailable). One attempt. kNotFound from a
  // server without the stream.
  [[nodiscard]] Result<void> StreamEvents(std::string_view query,
                                          const std::function<bool(const StreamEvent&)>& on_event,
                                          const CallOptions& call) const;
  // POST /events asking for a new event for one resource (reason "requested").
  [[nodiscard]] Result<EventOutcome> RequestEvent(const model::ResourceKind& kind,
                                                  std::string_view id) const;

  // Any call: `method` to `path` under the base path ("/events?page=2"), `body` sent as JSON.
  // The parsed answer; null for an empty body (e.g. 204).
  [[nodiscard]] Result<nlohmann::json> Call(
      std::string_view method, std::string_view path,
      const std::optional<nlohmann::json>& body = std::nullopt, const CallOptions& call = {}) const;
  // "" when the API answers at all (one try, 2 s) and accepts our token, otherwise why not.
  [[nodiscard]] std::string Probe() const;

  [[nodiscard]] const std::string& api_url() const { return options_.api_url; }

  // "/clusters/{parent_id}/nodepools" or "/nodepools" (paths relative to the base path).
  [[nodiscard]] static std::string CollectionPath(const model::ResourceKind& kind,
                                                  std::string_view parent_id = "");

 private:
  [[nodiscard]] Result<HttpRequest> Request(std::string_view method, std::string_view path,
                                            const std::string& body, const CallOptions& call) const;
  // `on_data`: the call is a stream (HttpRequest::on_data), one attempt up to call.deadline.
  [[nodiscard]] Result<HttpResponse> Send(std::string_view method, std::string_view path,
                                          const std::optional<nlohmann::json>& body,
                                          const CallOptions& call,
                                          std::function<bool(std::string_view)> on_data = {}) const;

  ClientOptions options_;
  HttpClient http_;
};

}  // namespace hf::client
