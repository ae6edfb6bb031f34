#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace hf::http {

// What one HTTP server admits, so that it stays responsive and its memory stays bounded under
// load: open connections, handlers running at once (a handler blocks a pool thread, e.g. on the
// database, so this stays below the thread count and the rest read, write and answer cheap
// requests), requests waiting for a handler (parked without a thread, resumed first in, first
// out), and bytes of answers not yet written to their clients. Thread-safe.
class Admission {
 public:
  struct Limits {
    size_t max_connections = 1024;
    size_t max_running = 1;  // handlers at once
    size_t max_queued = 256;
    size_t max_pending_bytes = 64 << 20;
  };
  struct Stats {
    size_t connections = 0;
    size_t running = 0;
    size_t queued = 0;
    size_t pending_bytes = 0;
  };
  // Resumes a parked request; called once, with no lock held, from the thread that ended the
  // handler before it. It should post the work to the request's own executor. `run`: the
  // request holds a handler slot now; false: too many answer bytes are pending by the time its
  // turn came, so answer 503 without running the handler (and without a slot to give back).
  using Resume = std::function<void(bool run)>;

  explicit Admission(Limits limits) : limits_(limits) {}

  // Counts a new connection; false (and not counted) when max_connections are open.
  bool OpenConnection();
  // Uncounts a connection OpenConnection() counted.
  void CloseConnection();

  enum class Decision {
    kRun,      // run the handler now, then call Finished()
    kQueued,   // `resume` runs when a handler slot is free; that handler calls Finished() too
    kRefused,  // the queue is full or too many answer bytes are pending: answer 503
  };
  Decision Admit(Resume resume);
  // A handler admitted by Admit() ended: its slot passes to the first queued request, if any;
  // while max_pending_bytes are pending, queued requests are resumed refused instead.
  void Finished();
  // Drops every queued request without resuming it (server stop); the resume callbacks are
  // destroyed outside the lock.
  void DropQueued();

  // Bytes of an answer handed to the socket / written or abandoned.
  void AddPending(size_t bytes);
  void RemovePending(size_t bytes);

  Stats stats() const;
  const Limits& limits() const { return limits_; }

 private:
  const Limits limits_;
  mutable std::mutex mu_;  // guards the members below
  size_t connections_ = 0;
  size_t running_ = 0;
  size_t pending_bytes_ = 0;
  std::deque<Resume> queue_;
};

}  // namespace hf::http
