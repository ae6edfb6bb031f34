#include "broker/detail/worker_pool.hpp"

namespace hf::broker::detail {

WorkerPool::WorkerPool(int threads) : size_(threads), state_(std::make_shared<State>()) {
  state_->running_threads = threads;
  for (int i = 0; i < threads; ++i) threads_.emplace_back(Run, state_);
}

WorkerPool::~WorkerPool() { Shutdown(Duration::zero()); }

int WorkerPool::Idle() const {
  std::lock_guard lock(state_->mu);
  return size_ - state_->busy;
}

int WorkerPool::WaitForIdle(Duration max_wait) const {
  std::unique_lock lock(state_->mu);
  state_->cv.wait_for(lock, max_wait, [&] { return state_->busy < size_ || state_->stopping; });
  return size_ - state_->busy;
}

void WorkerPool::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(state_->mu);
    state_->tasks.push_back(std::move(task));
    state_->busy++;
  }
  state_->cv.notify_all();
}

void WorkerPool::Run(std::shared_ptr<State> state) {
  std::unique_lock lock(state->mu);
  while (true) {
    state->cv.wait(lock, [&] { return !state->tasks.empty() || state->stopping; });
    if (state->tasks.empty()) break;  // stopping and drained
    auto task = std::move(state->tasks.front());
    state->tasks.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // release captures outside the lock
    lock.lock();
    state->busy--;
    state->cv.notify_all();
  }
  state->running_threads--;
  state->cv.notify_all();
}

bool WorkerPool::Shutdown(Duration drain) {
  if (threads_.empty()) return true;
  bool drained = false;
  {
    std::unique_lock lock(state_->mu);
    state_->stopping = true;
    state_->cv.notify_all();
    drained = state_->cv.wait_for(lock, drain, [&] { return state_->running_threads == 0; });
  }
  for (auto& t : threads_) {
    if (drained) {
      t.join();
    } else {
      t.detach();
    }
  }
  threads_.clear();
  return drained;
}

}  // namespace hf::broker::detail
