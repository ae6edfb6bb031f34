#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/time.hpp"

namespace hf::broker::detail {

// A fixed set of threads running submitted tasks; the unit of bounded handler parallelism for
// the pull-style backends. Callers submit at most Idle() + the pool's size tasks, so that a
// task waits in the queue no longer than one task of each thread runs. Thread-safe.
class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // Shutdown(0) if not done: waits for nothing, detaches stragglers
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Threads neither running nor about to run a task; negative while tasks wait in the queue.
  int Idle() const;
  // Waits until Idle() > 0 or `max_wait` passes; returns Idle().
  int WaitForIdle(Duration max_wait) const;
  void Submit(std::function<void()> task);
  // Stops taking tasks, waits up to `drain` for queued and running ones. False if some were
  // still running at the bound: their threads are detached and finish on their own (tasks must
  // own what they touch).
  bool Shutdown(Duration drain);

 private:
  struct State {
    mutable std::mutex mu;  // guards everything below
    mutable std::condition_variable cv;
    std::deque<std::function<void()>> tasks;
    int busy = 0;  // tasks queued or running
    int running_threads = 0;
    bool stopping = false;
  };
  static void Run(std::shared_ptr<State> state);

  const int size_;
  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace hf::broker::detail
