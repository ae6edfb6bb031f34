// The read batcher with a fetch of its own: reads that wait together share one fetch, a read
// never joins a fetch that started before it was asked for, errors reach every read of their
// batch, and reads still queued at destruction are answered.
#include "store/detail/read_batcher.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace hf::store::detail {
namespace {

using namespace std::chrono_literals;
constexpr auto kPatience = 10s;

model::Resource Row(const std::string& id) {
  model::Resource r;
  r.id = id;
  r.kind = "Cluster";
  r.name = "name-" + id;
  return r;
}

// A fetch that records the ids of each call and, while `hold` is set, waits before answering.
class Fetcher {
 public:
  Result<std::vector<model::Resource>> Fetch(const std::vector<std::string>& ids) {
    std::unique_lock lock(mu_);
    calls_.push_back(ids);
    changed_.notify_all();
    changed_.wait(lock, [&] { return !hold_; });
    if (fail_) return Fail(ErrorCode::kUnavailable, "database gone");
    std::vector<model::Resource> rows;
    for (const auto& id : ids) {
      if (id != "missing") rows.push_back(Row(id));
    }
    return rows;
  }
  void Hold(bool hold) {
    std::lock_guard lock(mu_);
    hold_ = hold;
    changed_.notify_all();
  }
  void FailAll() {
    std::lock_guard lock(mu_);
    fail_ = true;
  }
  // Waits until `n` fetches have started; their ids.
  std::vector<std::vector<std::string>> WaitForCalls(size_t n) {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(changed_.wait_for(lock, kPatience, [&] { return calls_.size() >= n; }));
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::vector<std::string>> calls_;
  bool hold_ = false;
  bool fail_ = false;
};

using Answer = Result<std::optional<model::Resource>>;

// Reads `id`; the answer as a future.
std::future<Answer> ReadAsync(ReadBatcher& batcher, const std::string& id) {
  auto promise = std::make_shared<std::promise<Answer>>();
  auto future = promise->get_future();
  batcher.Read(id, [promise](Answer a) { promise->set_value(std::move(a)); });
  return future;
}

// The answer, or an error if none came within kPatience (the test fails, without hanging).
Answer Get(std::future<Answer>& f) {
  if (f.wait_for(kPatience) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within " << kPatience.count() << " s";
    return Fail(ErrorCode::kDeadlineExceeded, "no answer");
  }
  return f.get();
}

TEST(ReadBatcher, ALoneReadIsFetchedAloneAndAMissingIdIsNullopt) {
  Fetcher fetcher;
  ReadBatcher batcher([&](const auto& ids) { return fetcher.Fetch(ids); }, 1, 64);
  auto a = ReadAsync(batcher, "a");
  auto got = Get(a);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->name, "name-a");
  auto m = ReadAsync(batcher, "missing");
  auto none = Get(m);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_EQ(fetcher.WaitForCalls(2), (std::vector<std::vector<std::string>>{{"a"}, {"missing"}}));
}

TEST(ReadBatcher, ReadsQueuedDuringAFetchShareTheNextOneAndNeverJoinAStartedOne) {
  Fetcher fetcher;
  ReadBatcher batcher([&](const auto& ids) { return fetcher.Fetch(ids); }, 1, 64);
  fetcher.Hold(true);
  auto first = ReadAsync(batcher, "first");
  fetcher.WaitForCalls(1);  // the first fetch is running, held
  std::vector<std::future<Answer>> later;
  for (const char* id : {"b", "c", "b", "missing"}) later.push_back(ReadAsync(batcher, id));
  fetcher.Hold(false);
  ASSERT_TRUE(Get(first));
  std::vector<std::string> names;
  for (auto& f : later) {
    auto got = Get(f);
    ASSERT_TRUE(got);
    names.push_back(*got ? (*got)->name : "none");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"name-b", "name-c", "name-b", "none"}));
  auto calls = fetcher.WaitForCalls(2);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], std::vector<std::string>{"first"});
  // One fetch for the four reads that waited, each id once.
  EXPECT_EQ(calls[1], (std::vector<std::string>{"b", "c", "missing"}));
}

TEST(ReadBatcher, AFetchTakesAtMostMaxBatchReads) {
  Fetcher fetcher;
  ReadBatcher batcher([&](const auto& ids) { return fetcher.Fetch(ids); }, 1, 2);
  fetcher.Hold(true);
  auto first = ReadAsync(batcher, "first");
  fetcher.WaitForCalls(1);
  std::vector<std::future<Answer>> later;
  for (const char* id : {"a", "b", "c"}) later.push_back(ReadAsync(batcher, id));
  fetcher.Hold(false);
  for (auto& f : later) ASSERT_TRUE(Get(f));
  auto calls = fetcher.WaitForCalls(3);
  EXPECT_EQ(calls, (std::vector<std::vector<std::string>>{{"first"}, {"a", "b"}, {"c"}}));
}

TEST(ReadBatcher, AFailedFetchFailsEveryReadOfItsBatch) {
  Fetcher fetcher;
  ReadBatcher batcher([&](const auto& ids) { return fetcher.Fetch(ids); }, 1, 64);
  fetcher.FailAll();
  fetcher.Hold(true);
  auto first = ReadAsync(batcher, "first");
  fetcher.WaitForCalls(1);
  auto a = ReadAsync(batcher, "a");
  auto b = ReadAsync(batcher, "b");
  fetcher.Hold(false);
  for (auto* f : {&first, &a, &b}) {
    auto got = Get(*f);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  }
}

TEST(ReadBatcher, ThreadsFetchAtOnceAndReadsLeftAtDestructionAreAnswered) {
  Fetcher fetcher;
  std::future<Answer> queued;
  std::vector<std::future<Answer>> running;
  {
    ReadBatcher batcher([&](const auto& ids) { return fetcher.Fetch(ids); }, 2, 64);
    fetcher.Hold(true);
    running.push_back(ReadAsync(batcher, "one"));
    fetcher.WaitForCalls(1);
    running.push_back(ReadAsync(batcher, "two"));
    EXPECT_EQ(fetcher.WaitForCalls(2).size(), 2u);  // the second thread fetches meanwhile
    queued = ReadAsync(batcher, "three");           // both threads busy: it waits
    std::thread([&] {
      std::this_thread::sleep_for(50ms);
      fetcher.Hold(false);
    }).detach();
  }  // joins the threads once their fetches end
  for (auto& f : running) EXPECT_TRUE(Get(f));
  auto left = Get(queued);
  // Taken by a thread before it saw the stop, or answered Unavailable by the destructor.
  if (!left) {
    EXPECT_EQ(left.error().code, ErrorCode::kUnavailable);
  }
}

}  // namespace
}  // namespace hf::store::detail
