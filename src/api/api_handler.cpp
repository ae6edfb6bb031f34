#include "api/api_handler.hpp"

#include <chrono>
#include <set>

#include "api/access_policy.hpp"
#include "api/console.hpp"
#include "api/event_stream.hpp"
#include "api/field_projection.hpp"
#include "api/presenters.hpp"
#include "api/problem_details.hpp"
#include "api/request_decoding.hpp"
#include "common/log.hpp"
#include "common/uuid.hpp"
#include "service/pipeline_stats.hpp"
#include "service/validation.hpp"

namespace hf::api {
namespace {

const log::Logger kLog{"api"};

// The segments of a path under the API's base path (none for the base itself), or nullopt for a
// path outside it.
std::optional<std::vector<std::string>> SegmentsUnderBase(std::string_view path) {
  std::string_view base = model::kApiBasePath;
  if (!path.starts_with(base) || (path.size() > base.size() && path[base.size()] != '/')) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  size_t start = base.size();
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The methods this API knows; any other is answered 501 and counted as "other", so a client
// cannot grow the metrics with made-up methods (client_golang's CVE-2022-21698).
bool IsKnownMethod(const std::string& method) {
  for (const char* known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return true;
  }
  return false;
}

// What GET /pipeline counts events over.
constexpr Duration kPipelineWindow = std::chrono::minutes(5);

const std::set<std::string> kEventReasons = {"created", "updated", "deleted", "requested",
                                             "status_changed"};

}  // namespace

ApiHandler::ApiHandler(store::Store& store, const service::Kinds& kinds,
                       const auth::TokenVerifier* verifier, service::Limits limits,
                       service::OutboxFeedOptions streams)
    : store_(store),
      kinds_(kinds),
      verifier_(verifier),
      limits_(limits),
      resources_(store, kinds, limits),
      statuses_(store, kinds),
      events_(store, kinds),
      feed_(store, streams),
      requests_total_(metrics::Registry::Default().AddCounter("hyperfleet_api_requests_total",
                                                              "HTTP requests served by the API.",
                                                              {"method", "path", "code"})),
      request_duration_(metrics::Registry::Default().AddHistogram(
          "hyperfleet_api_request_duration_seconds", "HTTP request latency of the API.",
          {"method", "path"}, metrics::DefaultLatencyBuckets())),
      db_errors_total_(metrics::Registry::Default().AddCounter(
          "hyperfleet_db_errors_total", "Database errors seen by the API.", {"error_type"})),
      auth_failures_total_(metrics::Registry::Default().AddCounter(
          "hyperfleet_api_auth_failures_total",
          "Requests refused by authentication (401) or authorisation (403, reason forbidden).",
          {"reason"})),
      internal_errors_total_(metrics::Registry::Default().AddCounter(
          "hyperfleet_api_internal_errors_total",
          "Requests answered 500 because handling them threw (a bug; see the error log).",
          {"route"})) {}

bool AnswersWithoutBlocking(const http::Request& req) {
  if (req.method != "GET") return false;
  auto segs = SegmentsUnderBase(req.path);
  return segs && (segs->size() == 2 || segs->size() == 4) && (*segs)[0] != "events";
}

http::Response ApiHandler::Handle(const http::Request& req) {
  auto start = std::chrono::steady_clock::now();
  Context ctx{req, {}, "unmatched", ""};
  ctx.caller.request_id = NewUuidV7();
  ctx.caller.traceparent = ValidTraceparent(req.Header("traceparent"));
  const bool known = IsKnownMethod(req.method);
  const std::string method = known ? req.method : "other";  // the metrics and log label
  http::Response res;
  try {
    std::optional<http::Response> refused;
    if (!known) {
      refused = NotImplemented(req.method, req.path, ctx.caller.request_id);
    } else if (auto identity = verifier_
                                   ? Result<void>{}
                                   : ValidateIdentityHeader(req.Header("x-hyperfleet-identity"));
               !identity) {
      refused = Error(ctx, identity.error());
    } else {
      refused = Admit(ctx);
    }
    res = refused ? std::move(*refused) : Route(ctx);
  } catch (const std::exception& e) {
    res = Threw(ctx, method, e);
  }
  if (res.deferred) {
    // The answer comes later: it is made, guarded and recorded like any other.
    auto shared = std::make_shared<const Context>(ctx);
    res.deferred = [this, shared, method, start,
                    inner = std::move(res.deferred)](http::Finish finish) {
      inner([this, shared, method, start,
             finish = std::move(finish)](std::function<http::Response()> make) {
        finish([this, shared, method, start, make = std::move(make)] {
          http::Response res;
          try {
            res = make();
          } catch (const std::exception& e) {
            res = Threw(*shared, method, e);
          }
          return Record(*shared, method, start, std::move(res));
        });
      });
    };
    return res;
  }
  return Record(ctx, method, start, std::move(res));
}

http::Response ApiHandler::Threw(const Context& ctx, const std::string& method,
                                 const std::exception& e) const {
  internal_errors_total_.WithLabels({ctx.route}).Inc();
  kLog.Error("request threw", {{"error", e.what()},
                               {"method", method},
                               {"path", ctx.req.path},
                               {"route", ctx.route},
                               {"request_id", ctx.caller.request_id}});
  return Problem({ErrorCode::kInternal, "internal error", {}, {}}, ctx.req.path,
                 ctx.caller.request_id);
}

http::Response ApiHandler::Record(const Context& ctx, const std::string& method,
                                  std::chrono::steady_clock::time_point start,
                                  http::Response res) const {
  const auto& req = ctx.req;
  res.headers.emplace_back("X-Request-ID", ctx.caller.request_id);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  requests_total_.WithLabels({method, ctx.route, std::to_string(res.status)}).Inc();
  request_duration_.WithLabels({method, ctx.route}).Observe(seconds);
  if (!kLog.Enabled(log::Level::kInfo)) return res;  // the fields below cost a tenth of a GET
  kLog.Info("request", {{"method", method},
                        {"path", req.path},
                        {"status", res.status},
                        {"duration_ms", seconds * 1000},
                        {"request_id", ctx.caller.request_id},
                        {"identity", ctx.caller.actor},
                        {"role", ctx.role},
                        {"remote", req.remote}});
  return res;
}

std::optional<http::Response> ApiHandler::Admit(Context& ctx) const {
  const auto& req = ctx.req;
  if (!verifier_) {
    if (auto identity = req.Header("x-hyperfleet-identity");
        !identity.empty() && identity.size() <= 256) {
      ctx.caller.actor = identity;
    }
    return std::nullopt;
  }
  if (IsOpen(req)) return std::nullopt;
  const std::string authorization = req.Header("authorization");
  std::string_view token;
  if (authorization.size() > 7 &&
      (authorization.starts_with("Bearer ") || authorization.starts_with("bearer "))) {
    token = std::string_view(authorization).substr(7);
  }
  auto verified = verifier_->Verify(token);
  if (auto* rejected = std::get_if<auth::Rejection>(&verified)) {
    auth_failures_total_.WithLabels({rejected->reason}).Inc();
    using Kind = auth::Rejection::Kind;
    const char* code = rejected->kind == Kind::kMissing   ? "HYPERFLEET-AUT-001"
                       : rejected->kind == Kind::kExpired ? "HYPERFLEET-AUT-003"
                                                          : "HYPERFLEET-AUT-002";
    std::string detail = rejected->detail;
    if (rejected->kind == Kind::kMissing) {
      detail = authorization.empty()
                   ? "authentication required: send 'Authorization: Bearer <token>'"
                   : "the Authorization header must be 'Bearer <token>'";
    }
    return Unauthenticated(code, detail, req.path, ctx.caller.request_id);
  }
  const auto& principal = std::get<auth::Principal>(verified);
  ctx.caller.actor = principal.identity;
  ctx.role = std::string(auth::ToString(principal.role));
  if (auto denied = Deny(principal.role, req)) {
    auth_failures_total_.WithLabels({"forbidden"}).Inc();
    return Forbidden(*denied, req.path, ctx.caller.request_id);
  }
  ctx.principal = principal;
  return std::nullopt;
}

http::Response ApiHandler::Json(int status, const nlohmann::json& body) const {
  return {status,
          "application/json",
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
          {}};
}

http::Response ApiHandler::Error(const Context& ctx, const hf::Error& error) const {
  if (error.code == ErrorCode::kInternal || error.code == ErrorCode::kUnavailable ||
      error.code == ErrorCode::kDeadlineExceeded) {
    db_errors_total_.WithLabels({std::string(ToString(error.code))}).Inc();
    kLog.Error("request failed", {{"error", error.ToString()},
                                  {"path", ctx.req.path},
                                  {"request_id", ctx.caller.request_id}});
  }
  return Problem(error, ctx.req.path, ctx.caller.request_id);
}

http::Response ApiHandler::MethodNotAllowed(const Context& ctx, const char* allow) const {
  return api::MethodNotAllowed(ctx.req.method, ctx.req.path, allow, ctx.caller.request_id);
}

http::Response ApiHandler::Route(Context& ctx) {
  const auto& req = ctx.req;
  if (req.path == "/api/hyperfleet") {
    ctx.route = "/api/hyperfleet";
    if (req.method != "GET") return MethodNotAllowed(ctx, "GET");
    return Json(200, {{"id", "hyperfleet"},
                      {"href", "/api/hyperfleet"},
                      {"kind", "API"},
                      {"version", HF_VERSION},
                      {"build_time", "unknown"}});
  }
  if (IsConsolePath(req)) {
    ctx.route = "/console";
    if (auto page = ServeConsole(req)) return std::move(*page);
    return EndpointNotFound(req.path, ctx.caller.request_id);
  }
  auto under_base = SegmentsUnderBase(req.path);
  if (!under_base) return EndpointNotFound(req.path, ctx.caller.request_id);
  const auto& segs = *under_base;
  std::string prefix(model::kApiBasePath);
  if (segs.size() == 1 && segs[0] == "openapi") {
    ctx.route = prefix + "/openapi";
    if (req.method != "GET") return MethodNotAllowed(ctx, "GET");
    return {200, "application/json", OpenApiJson(limits_), {}};
  }
  if (segs.size() == 1 && segs[0] == "events") {
    ctx.route = prefix + "/events";
    return Events(ctx);
  }
  if (segs.size() == 1 && segs[0] == "session") {
    ctx.route = prefix + "/session";
    if (req.method != "GET") return MethodNotAllowed(ctx, "GET");
    nlohmann::json adapters = nlohmann::json::object();
    for (const auto& kind : kinds_.all()) adapters[kind.name] = kind.required_adapters;
    // With auth off every caller may do everything.
    return Json(200, {{"identity", ctx.caller.actor},
                      {"role", verifier_ ? ctx.role : "admin"},
                      {"auth", verifier_ != nullptr},
                      {"required_adapters", adapters}});
  }
  if (segs.size() == 1 && segs[0] == "pipeline") {
    ctx.route = prefix + "/pipeline";
    if (req.method != "GET") return MethodNotAllowed(ctx, "GET");
    auto stats = service::ReadPipelineStats(store_, kinds_, kPipelineWindow);
    if (!stats) return Error(ctx, stats.error());
    return Json(200, PresentPipelineStats(*stats));
  }
  if (segs.size() == 2 && segs[0] == "events" && segs[1] == "stream") {
    ctx.route = prefix + "/events/stream";
    return EventStream(ctx);
  }
  if (segs.empty()) return EndpointNotFound(req.path, ctx.caller.request_id);
  const service::KindDescriptor* top = kinds_.ByPlural(segs[0]);
  if (!top) return EndpointNotFound(req.path, ctx.caller.request_id);
  ctx.route = prefix + "/" + std::string(top->plural);
  service::Scope scope{top, std::nullopt};
  size_t i = 1;
  // /{parent}/{pid}/{child}/…: a nested route when the third segment names a child kind.
  if (segs.size() >= 3) {
    const service::KindDescriptor* child = kinds_.ByPlural(segs[2]);
    if (child && child->parent == top->name) {
      scope = {child, segs[1]};
      ctx.route += "/-/" + std::string(child->plural);
      i = 3;
    }
  }
  if (segs.size() == i) return Collection(ctx, scope);
  const std::string& id = segs[i];
  ctx.route += "/-";
  if (segs.size() == i + 1) return Item(ctx, scope, id);
  if (segs.size() == i + 2) {
    const std::string& action = segs[i + 1];
    ctx.route += "/" + action;
    if (action == "statuses" || action == "status") return Statuses(ctx, scope, id);
    if (action == "force-delete") return ForceDelete(ctx, scope, id);
  }
  ctx.route = "unmatched";
  return EndpointNotFound(req.path, ctx.caller.request_id);
}

http::Response ApiHandler::Collection(Context& ctx, const service::Scope& scope) {
  const auto& req = ctx.req;
  if (req.method == "GET") {
    auto paging = DecodePaging(req);
    if (!paging) return Error(ctx, paging.error());
    service::ListInput in;
    in.page = paging->page;
    in.size = paging->size;
    in.search = req.Query("search").value_or("");
    in.order = req.QueryAll("order");
    auto fields = DecodeFields(req);
    if (!fields) return Error(ctx, fields.error());
    auto out = resources_.List(scope, in);
    if (!out) return Error(ctx, out.error());
    ListPage items(limits_.list_max_bytes, out->items.size());
    for (auto& r : out->items) {
      const bool added =
          *fields ? items.Add(Project(nlohmann::json::parse(PresentResource(r)), **fields))
                  : items.AddWritten([&](std::string& body) { PresentResource(r, body); });
      if (!added) break;
      r = {};  // a page holds one copy of each item: its JSON text
    }
    return {200,
            "application/json",
            std::move(items).Body(out->page, out->total, fields->has_value()),
            {}};
  }
  if (req.method == "POST") {
    auto body = DecodeObjectBody(ctx.req);
    if (!body) return Error(ctx, body.error());
    auto in = DecodeCreate(*body, *scope.kind);
    if (!in) return Error(ctx, in.error());
    auto r = resources_.Create(scope, std::move(*in), ctx.caller);
    if (!r) return Error(ctx, r.error());
    return {201, "application/json", PresentResource(*r), {}};
  }
  return MethodNotAllowed(ctx, "GET, POST");
}

http::Response ApiHandler::Item(Context& ctx, const service::Scope& scope, const std::string& id) {
  const auto& req = ctx.req;
  if (req.method == "GET") {
    // Answered when the read is done, without holding a server thread meanwhile.
    http::Response res;
    auto shared = std::make_shared<const Context>(ctx);
    res.deferred = [this, shared, scope, id](http::Finish finish) {
      resources_.Get(scope, id,
                     [this, shared, finish = std::move(finish)](Result<model::Resource> r) {
                       finish([this, shared, r = std::move(r)]() -> http::Response {
                         if (!r) return Error(*shared, r.error());
                         return {200, "application/json", PresentResource(*r), {}};
                       });
                     });
    };
    return res;
  }
  Result<model::Resource> r = Fail(ErrorCode::kInternal, "unreachable");
  int status = 200;
  if (req.method == "PATCH") {
    auto body = DecodeObjectBody(ctx.req);
    if (!body) return Error(ctx, body.error());
    auto in = DecodePatch(*body);
    if (!in) return Error(ctx, in.error());
    r = resources_.Patch(scope, id, *in, ctx.caller);
  } else if (req.method == "DELETE") {
    r = resources_.Delete(scope, id, ctx.caller);
    status = 202;
  } else {
    return MethodNotAllowed(ctx, "GET, PATCH, DELETE");
  }
  if (!r) return Error(ctx, r.error());
  return {status, "application/json", PresentResource(*r), {}};
}

http::Response ApiHandler::Statuses(Context& ctx, const service::Scope& scope,
                                    const std::string& id) {
  const auto& req = ctx.req;
  if (req.method == "GET") {
    auto paging = DecodePaging(req);
    if (!paging) return Error(ctx, paging.error());
    if (auto valid = ValidateIgnoredListQuery(req); !valid) return Error(ctx, valid.error());
    auto page = statuses_.List(scope, id, paging->page, paging->size);
    if (!page) return Error(ctx, page.error());
    ListPage items(limits_.list_max_bytes);
    for (const auto& s : page->items) {
      if (!items.Add(PresentAdapterStatus(s))) break;
    }
    return {200, "application/json", std::move(items).Body(paging->page, page->total), {}};
  }
  if (req.method == "PUT" || req.method == "POST") {
    auto body = DecodeObjectBody(ctx.req);
    if (!body) return Error(ctx, body.error());
    auto report = DecodeStatusReport(*body);
    if (!report) return Error(ctx, report.error());
    if (auto sized = service::ValidateReportSize(*report, limits_); !sized) {
      return Error(ctx, sized.error());
    }
    if (auto denied = ctx.principal ? DenyReport(*ctx.principal, report->adapter) : std::nullopt) {
      auth_failures_total_.WithLabels({"forbidden"}).Inc();
      return Forbidden(*denied, req.path, ctx.caller.request_id);
    }
    auto stored = statuses_.Report(scope, id, std::move(*report), ctx.caller);
    if (!stored) return Error(ctx, stored.error());
    if (!*stored) return {204, "application/json", "", {}};
    return Json(201, PresentAdapterStatus(**stored));
  }
  return MethodNotAllowed(ctx, "GET, PUT, POST");
}

http::Response ApiHandler::ForceDelete(Context& ctx, const service::Scope& scope,
                                       const std::string& id) {
  if (ctx.req.method != "POST") return MethodNotAllowed(ctx, "POST");
  auto body = DecodeObjectBody(ctx.req);
  if (!body) return Error(ctx, body.error());
  auto reason = DecodeForceDeleteReason(*body);
  if (!reason) return Error(ctx, reason.error());
  auto done = resources_.ForceDelete(scope, id, *reason, ctx.caller);
  if (!done) return Error(ctx, done.error());
  return {204, "application/json", "", {}};
}

http::Response ApiHandler::Events(Context& ctx) {
  const auto& req = ctx.req;
  if (req.method == "GET") {
    auto paging = DecodePaging(req);
    if (!paging) return Error(ctx, paging.error());
    store::OutboxQuery q;
    q.aggregate_id = req.Query("aggregate_id");
    q.aggregate_type = req.Query("aggregate_type");
    if (auto published = req.Query("published")) {
      if (*published != "true" && *published != "false") {
        return Error(ctx, {ErrorCode::kInvalidArgument,
                           "published must be 'true' or 'false', got '" + *published + "'",
                           {},
                           {}});
      }
      q.published = *published == "true";
    }
    q.offset = (paging->page - 1) * paging->size;
    q.limit = paging->size;
    auto page = events_.List(q);
    if (!page) return Error(ctx, page.error());
    ListPage items(limits_.list_max_bytes);
    for (const auto& e : page->items) {
      if (!items.Add(PresentOutboxEvent(e))) break;
    }
    return {200, "application/json", std::move(items).Body(paging->page, page->total), {}};
  }
  if (req.method == "POST") {
    auto body = DecodeObjectBody(ctx.req);
    if (!body) return Error(ctx, body.error());
    auto text = [&](const char* field) -> Result<std::string> {
      auto it = body->find(field);
      if (it == body->end() || it->is_null()) return std::string{};
      if (!it->is_string()) {
        return Fail(ErrorCode::kInvalidArgument,
                    std::string("field '") + field + "' must be a string");
      }
      return it->get<std::string>();
    };
    auto type = text("aggregate_type");
    auto id = text("aggregate_id");
    auto reason = text("reason");
    for (auto* r : {&type, &id, &reason}) {
      if (!*r) return Error(ctx, r->error());
    }
    if (type->empty())
      return Error(ctx, {ErrorCode::kInvalidArgument, "aggregate_type is required", {}, {}});
    if (id->empty())
      return Error(ctx, {ErrorCode::kInvalidArgument, "aggregate_id is required", {}, {}});
    std::string why = reason->empty() ? "requested" : *reason;
    if (!kEventReasons.contains(why)) {
      return Error(ctx, {ErrorCode::kInvalidArgument,
                         "reason must be one of created, updated, deleted, requested, "
                         "status_changed; got '" +
                             why + "'",
                         {},
                         {}});
    }
    auto result = events_.Request(*type, *id, why, ctx.caller);
    if (!result) return Error(ctx, result.error());
    return Json(202, {{"event_id", result->event_id},
                      {"status", result->pending ? "pending" : "accepted"}});
  }
  return MethodNotAllowed(ctx, "GET, POST");
}

http::Response ApiHandler::EventStream(Context& ctx) {
  const auto& req = ctx.req;
  if (req.method != "GET") return MethodNotAllowed(ctx, "GET");
  service::FeedFilter filter{req.Query("aggregate_id"), req.Query("aggregate_type")};
  if (filter.aggregate_type && !kinds_.ByKind(*filter.aggregate_type)) {
    return Error(ctx, {ErrorCode::kInvalidArgument,
                       "aggregate_type must be one of 'Cluster' or 'NodePool', got '" +
                           *filter.aggregate_type + "'",
                       {},
                       {}});
  }
  auto after = DecodeResumeId(req);
  if (!after) return Error(ctx, after.error());
  auto slot = feed_.Reserve();
  if (!slot) {
    auto res = ServerRefusal(503, slot.error().message, req.path);
    res.headers.emplace_back("Retry-After", "5");
    return res;
  }
  http::Response res{200, "text/event-stream", "", {{"Cache-Control", "no-store"}}};
  res.stream = [this, slot = std::move(*slot), filter = std::move(filter),
                after = *after](std::shared_ptr<http::BodyStream> out) {
    out->Send("retry: 2000\n\n");
    feed_.Subscribe(slot, filter, after, std::make_shared<SseSubscriber>(std::move(out)));
  };
  return res;
}

}  // namespace hf::api
