#pragma once

#include <atomic>
#include <cstdint>

#include "broker/broker.hpp"

namespace hf::broker::detail {

// The live counters behind BrokerStats; shared by a Broker and everything it made.
struct Counters {
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> publish_errors{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> nacked{0};
  std::atomic<uint64_t> dead_lettered{0};

  BrokerStats Snapshot() const {
    return BrokerStats{published.load(), publish_errors.load(), delivered.load(),
                       acked.load(),     nacked.load(),         dead_lettered.load()};
  }
};

}  // namespace hf::broker::detail
