#include "broker/memory/memory_hub.hpp"

#include <algorithm>

namespace hf::broker::detail {

void MemoryQueue::Push(std::vector<MemoryEntry> entries) {
  if (entries.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& e : entries) entries_.push_back(std::move(e));
  }
  cv_.notify_all();
}

void MemoryQueue::Wake() {
  { std::lock_guard lock(mu_); }
  cv_.notify_all();
}

std::optional<MemoryEntry> MemoryQueue::Take(const std::atomic<bool>& stop) {
  std::unique_lock lock(mu_);
  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    // Fresh messages are due at once: the front is then the answer without a scan.
    if (!entries_.empty() && entries_.front().due <= now) {
      MemoryEntry out = std::move(entries_.front());
      entries_.pop_front();
      return out;
    }
    auto earliest = std::ranges::min_element(entries_, {}, &MemoryEntry::due);
    if (earliest != entries_.end() && earliest->due <= now) {
      // First due entry in arrival order, so redeliveries do not overtake fresh messages.
      auto it = std::ranges::find_if(entries_, [&](const MemoryEntry& e) { return e.due <= now; });
      MemoryEntry out = std::move(*it);
      entries_.erase(it);
      return out;
    }
    if (earliest == entries_.end()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, earliest->due);
    }
  }
  return std::nullopt;
}

std::shared_ptr<MemoryHub> MemoryHub::Named(const std::string& name) {
  static std::mutex mu;  // guards hubs
  static std::map<std::string, std::shared_ptr<MemoryHub>> hubs;
  std::lock_guard lock(mu);
  auto& hub = hubs[name];
  if (!hub) hub = std::make_shared<MemoryHub>();
  return hub;
}

std::shared_ptr<MemoryQueue> MemoryHub::Queue(const std::string& topic,
                                              const std::string& subscription) {
  std::lock_guard lock(mu_);
  auto& queue = topics_[topic][subscription];
  if (!queue) queue = std::make_shared<MemoryQueue>();
  return queue;
}

int MemoryHub::Publish(const std::string& topic, const std::vector<Message>& messages) {
  std::vector<std::shared_ptr<MemoryQueue>> targets;
  {
    std::lock_guard lock(mu_);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return 0;
    for (const auto& [name, queue] : it->second) targets.push_back(queue);
  }
  const auto now = std::chrono::steady_clock::now();
  for (const auto& q : targets) {
    std::vector<MemoryEntry> entries;
    entries.reserve(messages.size());
    for (const auto& m : messages) entries.push_back(MemoryEntry{m, 1, now});
    q->Push(std::move(entries));
  }
  return static_cast<int>(targets.size());
}

}  // namespace hf::broker::detail
