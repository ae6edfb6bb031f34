#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "common/time.hpp"
#include "service/kinds.hpp"
#include "store/store.hpp"

namespace hf::service {

// What the console's pipeline page shows, read from the store alone (no broker, no Prometheus):
// the outbox backlog, and over the newest outbox rows (at most kSampledEvents) those of the last
// `window`: events by reason (the ticker's are "requested"), rows published, and adapter reports
// (status_changed, by data.adapter); plus, over the resources not reconciled (at most
// kSampledResources per kind), how many each adapter reports failing (Available or Health False).
struct PipelineStats {
  static constexpr int64_t kSampledEvents = 2000;
  static constexpr int64_t kSampledResources = 100;

  store::OutboxStats outbox;
  Duration window{};
  int64_t events_sampled = 0;
  std::map<std::string, int64_t> events_by_reason;
  int64_t published = 0;
  std::optional<Time> last_requested;  // the newest ticker request among the sampled rows
  struct Adapter {
    int64_t reports = 0;  // status_changed events in the window
    int64_t failing = 0;  // unreconciled resources whose report says Available/Health False
  };
  std::map<std::string, Adapter> adapters;      // every required adapter, and any that reported
  std::map<std::string, int64_t> unreconciled;  // by kind
  // This process's broker counters by topic since it started (hyperfleet_broker_*_total), when
  // it publishes or consumes itself (hyperfleet dev, api --with-outbox); empty otherwise.
  struct BrokerTopic {
    double published = 0;
    double consumed = 0;
    double errors = 0;
  };
  std::map<std::string, BrokerTopic> broker;
};

[[nodiscard]] Result<PipelineStats> ReadPipelineStats(store::Store& store, const Kinds& kinds,
                                                      Duration window);

}  // namespace hf::service
