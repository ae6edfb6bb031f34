#include "store/detail/read_batcher.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
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
  std::vector<std::string> ids;
  ids.reserve(batch.size());
  for (const auto& p : batch) {
    if (std::find(ids.begin(), ids.end(), p.id) == ids.end()) ids.push_back(p.id);
  }
  auto rows = fetch_(ids);
  if (!rows) {
    for (auto& p : batch) p.done(Fail(rows.error()));
    return;
  }
  std::unordered_map<std::string_view, model::Resource*> by_id;
  for (auto& r : *rows) by_id.emplace(r.id, &r);
  std::vector<model::Resource*> rows_of(batch.size(), nullptr);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (auto found = by_id.find(batch[i].id); found != by_id.end()) rows_of[i] = found->second;
  }
  // A row goes to the last read of its id by move, to the others (the same id read twice) by copy.
  std::vector<bool> moves(batch.size(), false);
  std::unordered_set<const model::Resource*> given;
  for (size_t i = batch.size(); i-- > 0;) moves[i] = rows_of[i] && given.insert(rows_of[i]).second;
  for (size_t i = 0; i < batch.size(); ++i) {
    std::optional<model::Resource> row;
    if (rows_of[i] && moves[i]) {
      row = std::move(*rows_of[i]);
    } else if (rows_of[i]) {
      row = *rows_of[i];
    }
    batch[i].done(std::move(row));
  }
}

}  // namespace hf::store::detail
