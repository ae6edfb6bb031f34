#include "store/detail/read_batcher.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace hf::store::detail {

ReadBatcher::ReadBatcher(Fetch fetch, size_t threads, size_t max_batch)
    : fetch_(std::move(fetch)), max_batch_(std::max<size_t>(1, max_batch)) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i)
    threads_.emplace_back([this] { Run(); });
}

ReadBatcher::~ReadBatcher() {
  std::deque<Pending> left;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (auto& t : threads_) t.join();
  left.swap(queue_);  // the threads are gone: no lock needed
  for (auto& p : left) p.done(Fail(ErrorCode::kUnavailable, "the store is closing"));
}

void ReadBatcher::Read(std::string id, Done done) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(id), std::move(done)});
    wake = idle_ > 0;
  }
  if (wake) queued_.notify_one();
}

void ReadBatcher::Run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      ++idle_;
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (stopping_) return;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Answer(batch);
    batch.clear();
  }
}

void ReadBatcher::Answer(std::vector<Pending>& batch) {
  // Each id once, with its row and how many reads still want it (the last one takes the row by
  // move). The keys view the batch's own ids.
  struct Want {
    model::Resource* row = nullptr;
    size_t readers = 0;
  };
  std::unordered_map<std::string_view, Want> wants;
  std::vector<std::string> ids;
  for (const auto& p : batch) {
    if (wants[p.id].readers++ == 0) ids.push_back(p.id);
  }
  auto rows = fetch_(ids);
  if (!rows) {
    for (auto& p : batch) p.done(Fail(rows.error()));
    return;
  }
  for (auto& r : *rows) {
    if (auto it = wants.find(r.id); it != wants.end()) it->second.row = &r;
  }
  for (auto& p : batch) {
    Want& want = wants[p.id];
    std::optional<model::Resource> row;
    if (want.row && --want.readers == 0) {
      row = std::move(*want.row);
    } else if (want.row) {
      row = *want.row;
    }
    p.done(std::move(row));
  }
}

}  // namespace hf::store::detail
