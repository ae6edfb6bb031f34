#include "common/http_admission.hpp"

#include <deque>
#include <utility>

namespace hf::http {

bool Admission::OpenConnection() {
  std::lock_guard lock(mu_);
  if (connections_ >= limits_.max_connections) return false;
  ++connections_;
  return true;
}

void Admission::CloseConnection() {
  std::lock_guard lock(mu_);
  --connections_;
}

Admission::Decision Admission::Admit(Resume resume) {
  std::lock_guard lock(mu_);
  if (pending_bytes_ >= limits_.max_pending_bytes) return Decision::kRefused;
  if (running_ < limits_.max_running && queue_.empty()) {
    ++running_;
    return Decision::kRun;
  }
  if (queue_.size() >= limits_.max_queued) return Decision::kRefused;
  queue_.push_back(std::move(resume));
  return Decision::kQueued;
}

void Admission::Finished() {
  std::deque<Resume> refused;
  Resume next;
  {
    std::lock_guard lock(mu_);
    // Admitted to the queue when little was pending, these would add their answers to a
    // budget that has since run out.
    while (!queue_.empty() && pending_bytes_ >= limits_.max_pending_bytes) {
      refused.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (queue_.empty()) {
      --running_;
    } else {
      next = std::move(queue_.front());  // the slot passes on: running_ stays
      queue_.pop_front();
    }
  }
  for (auto& resume : refused) resume(false);
  if (next) next(true);
}

void Admission::DropQueued() {
  std::deque<Resume> dropped;
  std::lock_guard lock(mu_);
  dropped.swap(queue_);
  // `dropped` is destroyed after the lock is released (declared first).
}

void Admission::AddPending(size_t bytes) {
  std::lock_guard lock(mu_);
  pending_bytes_ += bytes;
}

void Admission::RemovePending(size_t bytes) {
  std::lock_guard lock(mu_);
  pending_bytes_ -= bytes;
}

Admission::Stats Admission::stats() const {
  std::lock_guard lock(mu_);
  return {connections_, running_, queue_.size(), pending_bytes_};
}

}  // namespace hf::http
