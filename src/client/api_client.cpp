#include "client/api_client.hpp"

#include <algorithm>
#include <thread>

#include "client/api_error.hpp"
#include "common/http_message.hpp"
#include "search/search.hpp"

namespace hf::client {
namespace {

using nlohmann::json;

bool Idempotent(std::string_view method) {
  return method == "GET" || method == "PUT" || method == "DELETE" || method == "HEAD";
}

std::string Str(std::string_view s) { return std::string(s); }

}  // namespace

ApiClient::ApiClient(ClientOptions options) : options_(std::move(options)) {
  while (!options_.api_url.empty() && options_.api_url.back() == '/') options_.api_url.pop_back();
}

std::string ApiClient::CollectionPath(const model::ResourceKind& kind, std::string_view parent_id) {
  std::string path;
  if (kind.HasParent() && !parent_id.empty()) {
    const model::ResourceKind* parent = model::FindKind(kind.parent);
    path = "/" + Str(parent->plural) + "/" + http::UrlEncode(parent_id);
  }
  return path + "/" + Str(kind.plural);
}

Result<HttpRequest> ApiClient::Request(std::string_view method, std::string_view path,
                                       const std::string& body, const CallOptions& call) const {
  HttpRequest req;
  req.method = Str(method);
  req.url = options_.api_url + Str(model::kApiBasePath) + Str(path);
  req.body = body;
  req.cancel = call.cancel ? call.cancel : options_.cancel;
  req.ca_file = options_.ca_file;
  req.headers = {{"Accept", "application/json"}, {"User-Agent", options_.user_agent}};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  if (!call.traceparent.empty()) req.headers.emplace_back("traceparent", call.traceparent);
  if (options_.token) {
    std::string token = HF_TRY(options_.token());
    if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  }
  return req;
}

Result<HttpResponse> ApiClient::Send(std::string_view method, std::string_view path,
                                     const std::optional<json>& body, const CallOptions& call,
                                     std::function<bool(std::string_view)> on_data) const {
  HttpRequest req = HF_TRY(Request(method, path, body ? body->dump() : std::string(), call));
  const std::string what = req.method + " " + req.url;
  const auto deadline = call.deadline ? std::chrono::steady_clock::now() + *call.deadline
                                      : std::chrono::steady_clock::time_point::max();
  // A stream is one attempt lasting up to the deadline.
  const bool streamed = static_cast<bool>(on_data);
  const int attempts = Idempotent(method) && !streamed ? std::max(1, options_.attempts) : 1;
  req.on_data = std::move(on_data);
  for (int attempt = 1;; ++attempt) {
    req.timeout = options_.timeout;
    if (call.deadline) {
      const auto left =
          std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
      req.timeout = std::clamp<Duration>(left, std::chrono::milliseconds(1),
                                         streamed ? left : options_.timeout);
    }
    Result<HttpResponse> res = http_.Send(req);
    Error error;
    if (res && res->Ok()) return res;
    if (res) {
      error = ErrorFromResponse(*res, what);
    } else if (res.error().message.starts_with("the TLS certificate of") ||
               res.error().message.starts_with("cannot read CA file")) {
      // Trust is configuration: retrying does not fix it.
      return Fail(ErrorCode::kInvalidArgument, res.error().message, res.error().detail);
    } else if (res.error().code == ErrorCode::kInvalidArgument) {
      return Fail(ErrorCode::kInvalidArgument, "invalid API URL '" + options_.api_url + "'",
                  res.error().detail);
    } else {
      // The transport detail reads "METHOD URL: <curl reason> (<more>)"; keep the reason.
      std::string why = res.error().message;
      if (size_t at = res.error().detail.find(req.url + ": "); at != std::string::npos) {
        why = res.error().detail.substr(at + req.url.size() + 2);
        why = why.substr(0, why.find(" ("));
      }
      error = Error{res.error().code == ErrorCode::kDeadlineExceeded ? ErrorCode::kDeadlineExceeded
                                                                     : ErrorCode::kUnavailable,
                    "cannot reach the HyperFleet API at " + options_.api_url + " (" + why + ")",
                    res.error().detail,
                    {}};
    }
    const bool cancelled = (options_.cancel != nullptr && options_.cancel->load()) ||
                           (call.cancel != nullptr && call.cancel->load());
    if (!error.Transient() || attempt >= attempts || cancelled) return Fail(std::move(error));
    const Duration wait = options_.backoff.Delay(attempt);
    if (call.deadline && std::chrono::steady_clock::now() + wait >= deadline) {
      return Fail(std::move(error));
    }
    // A cancellable sleep: the cancel flag is polled, as HttpClient does.
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      if (options_.cancel != nullptr && options_.cancel->load()) return Fail(std::move(error));
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));
    }
  }
}

Result<json> ApiClient::Call(std::string_view method, std::string_view path,
                             const std::optional<json>& body, const CallOptions& call) const {
  const HttpResponse res = HF_TRY(Send(method, path, body, call));
  if (res.body.empty()) return json();
  json parsed = json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Fail(ErrorCode::kMalformed,
                "the API at " + options_.api_url + " answered " + std::to_string(res.status) +
                    " with a non-JSON body",
                Str(method) + " " + Str(path));
  }
  return parsed;
}

Result<json> ApiClient::Get(const model::ResourceKind& kind, std::string_view id,
                            std::string_view parent_id, const CallOptions& call) const {
  return Call("GET", CollectionPath(kind, parent_id) + "/" + http::UrlEncode(id), std::nullopt,
              call);
}

Result<json> ApiClient::List(const model::ResourceKind& kind, const ListQuery& query,
                             std::string_view parent_id) const {
  std::string params;
  auto param = [&](const char* key, const std::string& value) {
    params += (params.empty() ? "?" : "&") + std::string(key) + "=" + http::UrlEncode(value);
  };
  if (query.page) param("page", std::to_string(*query.page));
  if (query.size) param("size", std::to_string(*query.size));
  if (!query.search.empty()) param("search", query.search);
  if (!query.order.empty()) param("order", query.order);
  return Call("GET", CollectionPath(kind, parent_id) + params);
}

Result<std::vector<json>> ApiClient::ListAll(const model::ResourceKind& kind,
                                             std::string_view search, int page_size) const {
  std::vector<json> out;
  // Keyset paging: by id, each page after the last id seen. Unlike page numbers (OFFSET), a
  // resource created or deleted meanwhile cannot shift the pages, and no page costs the server
  // more than its own rows.
  const std::string filter = search.empty() ? "" : "(" + Str(search) + ")";
  std::string after;
  for (;;) {
    std::string page_search = filter;
    if (!after.empty()) {
      page_search += (filter.empty() ? "" : " and ") + ("id > " + search::QuoteString(after));
    }
    const json body = HF_TRY(List(kind, {page_search, "id asc", std::nullopt, page_size}));
    const auto items = body.find("items");
    if (!body.is_object() || items == body.end() || !items->is_array()) {
      return Fail(ErrorCode::kMalformed,
                  "the API's list of " + Str(kind.plural) + " has no items array");
    }
    for (const auto& item : *items) out.push_back(item);
    // Done on an empty page, or a short page that the server's byte cap did not cut.
    const auto got = static_cast<int>(items->size());
    if (got == 0 || (!body.value("truncated", false) && got < page_size)) return out;
    const auto id = items->back().find("id");
    if (id == items->back().end() || !id->is_string() ||
        id->get_ref<const std::string&>() == after) {
      return Fail(ErrorCode::kMalformed, "the API's list of " + Str(kind.plural) +
                                             " did not move past id '" + after + "'");
    }
    after = id->get<std::string>();
  }
}

Result<json> ApiClient::Create(const model::ResourceKind& kind, const json& body,
                               std::string_view parent_id) const {
  return Call("POST", CollectionPath(kind, parent_id), body);
}

Result<json> ApiClient::Patch(const model::ResourceKind& kind, std::string_view id,
                              const json& body, std::string_view parent_id) const {
  return Call("PATCH", CollectionPath(kind, parent_id) + "/" + http::UrlEncode(id), body);
}

Result<json> ApiClient::Delete(const model::ResourceKind& kind, std::string_view id,
                               std::string_view parent_id) const {
  return Call("DELETE", CollectionPath(kind, parent_id) + "/" + http::UrlEncode(id));
}

Result<json> ApiClient::ForceDelete(const model::ResourceKind& kind, std::string_view id,
                                    std::string_view reason, std::string_view parent_id) const {
  return Call("POST", CollectionPath(kind, parent_id) + "/" + http::UrlEncode(id) + "/force-delete",
              json{{"reason", reason}});
}

Result<json> ApiClient::ListStatuses(const model::ResourceKind& kind, std::string_view id,
                                     std::string_view parent_id, const CallOptions& call) const {
  return Call("GET",
              CollectionPath(kind, parent_id) + "/" + http::UrlEncode(id) + "/statuses?size=100",
              std::nullopt, call);
}

Result<StatusOutcome> ApiClient::PutStatus(const model::ResourceKind& kind, std::string_view id,
                                           const json& report, const CallOptions& call) const {
  const HttpResponse res = HF_TRY(
      Send("PUT", CollectionPath(kind) + "/" + http::UrlEncode(id) + "/statuses", report, call));
  return res.status == 204 ? StatusOutcome::kDiscarded : StatusOutcome::kStored;
}

Result<void> ApiClient::StreamEvents(std::string_view query,
                                     const std::function<bool(const StreamEvent&)>& on_event,
                                     const CallOptions& call) const {
  // Server-Sent Events: lines "field: value", an empty line ends an event, ':' a comment.
  std::string pending;
  StreamEvent event;
  bool has_data = false;
  auto on_data = [&](std::string_view data) {
    pending.append(data);
    size_t start = 0;
    for (size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      std::string_view line(pending.data() + start, end - start);
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (line.empty()) {
        if (event.event.empty()) event.event = "message";
        if (has_data && !on_event(event)) return false;
        event = {};
        has_data = false;
        continue;
      }
      if (line.front() == ':') continue;
      const size_t colon = line.find(':');
      const std::string_view field = line.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
      if (value.starts_with(' ')) value.remove_prefix(1);
      if (field == "id") event.id = value;
      if (field == "event") event.event = value;
      if (field == "data") {
        if (has_data) event.data += '\n';
        event.data += value;
        has_data = true;
      }
    }
    pending.erase(0, start);
    return true;
  };
  HF_CHECK(Send("GET", "/events/stream" + Str(query), std::nullopt, call, std::move(on_data)));
  return Ok();
}

Result<EventOutcome> ApiClient::RequestEvent(const model::ResourceKind& kind,
                                             std::string_view id) const {
  const json body = {{"aggregate_type", kind.name}, {"aggregate_id", id}, {"reason", "requested"}};
  const json res = HF_TRY(Call("POST", "/events", body));
  return res.is_object() && res.value("status", "") == "pending" ? EventOutcome::kPending
                                                                 : EventOutcome::kAccepted;
}

std::string ApiClient::Probe() const {
  auto built = Request("GET", CollectionPath(model::kCluster) + "?page=1&size=1", "", {});
  if (!built) return built.error().message;
  HttpRequest req = std::move(*built);
  req.timeout = std::chrono::seconds(2);
  auto res = http_.Send(req);
  if (!res) return "API unreachable: " + res.error().message;
  if (res->status >= 500) return "API answers HTTP " + std::to_string(res->status);
  if (res->status == 401 || res->status == 403) {
    return "API refuses our token: " + ErrorFromResponse(*res, "GET " + req.url).message;
  }
  return "";
}

}  // namespace hf::client
