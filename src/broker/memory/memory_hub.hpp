#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "common/time.hpp"

namespace hf::broker::detail {

// A message waiting in a memory queue.
struct MemoryEntry {
  Message message;
  int attempt = 1;                            // delivery number it will be handed out with
  std::chrono::steady_clock::time_point due;  // not before (redelivery backoff)
};

// One subscription's queue. Consumers block in Take until an entry is due or they are stopped.
class MemoryQueue {
 public:
  // Appends the entries in order and wakes the consumers once (not once per entry).
  void Push(std::vector<MemoryEntry> entries);
  // The earliest due entry, or nullopt once `stop` is set (checked on every Wake()).
  std::optional<MemoryEntry> Take(const std::atomic<bool>& stop);
  // Wakes all blocked Take calls so they re-check their stop flags.
  void Wake();

 private:
  std::mutex mu_;  // guards entries_
  std::condition_variable cv_;
  std::deque<MemoryEntry> entries_;
};

// All queues of one named memory broker.
class MemoryHub {
 public:
  // The process-wide hub called `name`, created on first use and kept for the process lifetime.
  static std::shared_ptr<MemoryHub> Named(const std::string& name);

  // The queue of (topic, subscription), created if missing.
  std::shared_ptr<MemoryQueue> Queue(const std::string& topic, const std::string& subscription);
  // Appends the messages, in order, to every queue of the topic; returns how many queues
  // received them.
  int Publish(const std::string& topic, const std::vector<Message>& messages);

 private:
  std::mutex mu_;  // guards topics_
  std::map<std::string, std::map<std::string, std::shared_ptr<MemoryQueue>>> topics_;
};

}  // namespace hf::broker::detail
