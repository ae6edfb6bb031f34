#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "model/resource.hpp"

namespace hf::store::detail {

// Reads of one resource by id, answered asynchronously by a few threads of its own, where the
// reads that wait at the same time share one statement. A reader thread takes every queued read
// (up to `max_batch`), fetches their ids at once, and answers each; meanwhile new reads queue
// for the next statement. A lone read is fetched at once by an idle thread, alone; under load one
// statement serves many reads, so the database does one round trip, one parse and one wake-up
// for all of them, and the caller's thread never waits on the database.
//
// Consistency: a read's statement starts after the read was asked for, so it sees every write
// committed before the call, as a statement of its own would.
//
// Thread-safe. `fetch` returns the rows of the ids it is given that exist, in any order (each id
// at most once); its error is every read's in that batch. The destructor answers the reads still
// queued (Unavailable) and joins the threads.
class ReadBatcher {
 public:
  using Fetch =
      std::function<Result<std::vector<model::Resource>>(const std::vector<std::string>& ids)>;
  // Called once, on a reader thread: it should hand the work on rather than do much.
  using Done = std::function<void(Result<std::optional<model::Resource>>)>;

  ReadBatcher(Fetch fetch, size_t threads, size_t max_batch);
  ~ReadBatcher();
  ReadBatcher(const ReadBatcher&) = delete;
  ReadBatcher& operator=(const ReadBatcher&) = delete;

  // Queues a read of `id`; never blocks.
  void Read(std::string id, Done done);

 private:
  struct Pending {
    std::string id;
    Done done;
  };
  void Run();
  void Answer(std::vector<Pending>& batch);

  const Fetch fetch_;
  const size_t max_batch_;

  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Pending> queue_;  // guarded by mutex_: reads not yet taken, oldest first
  size_t idle_ = 0;            // guarded by mutex_: threads waiting for reads
  bool stopping_ = false;      // guarded by mutex_

  std::vector<std::thread> threads_;  // last: started once the rest is ready
};

}  // namespace hf::store::detail
