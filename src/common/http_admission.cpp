#include "common/http_admission.hpp"

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
  Resume next;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) {
      --running_;
      return;
    }
    next = std::move(queue_.front());  // the slot passes on: running_ stays
    queue_.pop_front();
  }
  next();
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
