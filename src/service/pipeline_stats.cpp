#include "service/pipeline_stats.hpp"

#include <nlohmann/json.hpp>

#include "common/metrics.hpp"
#include "model/condition.hpp"
#include "search/search.hpp"

namespace hf::service {
namespace {

// The adapter named by an event's CloudEvent data.adapter, or "".
std::string EventAdapter(const model::OutboxEvent& e) {
  const auto ce = nlohmann::json::parse(e.payload, nullptr, /*allow_exceptions=*/false);
  if (!ce.is_object() || !ce.contains("data") || !ce["data"].is_object()) return "";
  const auto& data = ce["data"];
  auto it = data.find("adapter");
  return it != data.end() && it->is_string() ? it->get<std::string>() : "";
}

bool Failing(const model::AdapterStatus& s) {
  for (auto type : {model::condition_type::kAvailable, model::condition_type::kHealth}) {
    const auto* c = s.Find(type);
    if (c && c->status == model::condition_status::kFalse) return true;
  }
  return false;
}

}  // namespace

Result<PipelineStats> ReadPipelineStats(store::Store& store, const Kinds& kinds, Duration window) {
  PipelineStats out;
  out.window = window;
  auto tx = HF_TRY(store.Begin(store::TxMode::kRead));
  out.outbox = HF_TRY(tx->GetOutboxStats());
  for (const auto& kind : kinds.all()) {
    for (const auto& name : kind.required_adapters) out.adapters[name];
  }

  const Time since = Now() - window;
  store::OutboxQuery q;
  q.after_id = std::max<int64_t>(0, out.outbox.last_id - PipelineStats::kSampledEvents);
  q.limit = PipelineStats::kSampledEvents;
  q.with_total = false;
  const auto rows = HF_TRY(tx->ListOutbox(q));
  out.events_sampled = static_cast<int64_t>(rows.items.size());
  for (const auto& e : rows.items) {
    if (e.reason == "requested") out.last_requested = e.created_time;
    if (e.published_time && *e.published_time >= since) ++out.published;
    if (e.created_time < since) continue;
    ++out.events_by_reason[e.reason];
    if (e.reason == model::kStatusChangedReason) {
      if (auto adapter = EventAdapter(e); !adapter.empty()) ++out.adapters[adapter].reports;
    }
  }

  const auto unreconciled = HF_TRY(search::ParseSearch("status.conditions.Reconciled='False'"));
  for (const auto& kind : kinds.all()) {
    store::ResourceQuery rq;
    rq.kind = std::string(kind.name);
    rq.filter = unreconciled;
    rq.limit = PipelineStats::kSampledResources;
    const auto page = HF_TRY(tx->ListResources(rq));
    out.unreconciled[std::string(kind.name)] = page.total;
    for (const auto& r : page.items) {
      for (const auto& s : HF_TRY(tx->GetAdapterStatuses(r.id, kind.required_adapters))) {
        if (Failing(s)) ++out.adapters[s.adapter].failing;
      }
    }
  }
  // The broker's own per-topic counters (broker/detail/broker_metrics.hpp) in this process.
  const auto& registry = metrics::Registry::Default();
  for (const auto& [labels, n] :
       registry.CounterValues("hyperfleet_broker_messages_published_total")) {
    out.broker[labels.at(0)].published += n;
  }
  for (const auto& [labels, n] :
       registry.CounterValues("hyperfleet_broker_messages_consumed_total")) {
    out.broker[labels.at(0)].consumed += n;
  }
  for (const auto& [labels, n] : registry.CounterValues("hyperfleet_broker_errors_total")) {
    out.broker[labels.at(0)].errors += n;
  }
  return out;
}

}  // namespace hf::service
