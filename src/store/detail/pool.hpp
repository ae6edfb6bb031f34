#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "store/store.hpp"

namespace hf::store::detail {

// A bounded pool of connections. Connections are opened on demand (outside the lock), leased
// exclusively, and returned when the lease ends. A lease marked broken is discarded together with
// every idle connection, since they most likely share its fate (e.g. a server restart); idle
// connections that fail `check` when leased are replaced too. Thread-safe; must outlive its leases.
template <typename Conn>
class Pool {
 public:
  using Opener = std::function<Result<std::unique_ptr<Conn>>()>;
  using Checker = std::function<bool(Conn&)>;  // false: the idle connection is unusable

  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          conn_(std::move(other.conn_)),
          broken_(other.broken_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_) pool_->Release(std::move(conn_), broken_);
    }

    Conn& operator*() const { return *conn_; }
    Conn* operator->() const { return conn_.get(); }
    // The connection is not returned to the pool when the lease ends.
    void MarkBroken() { broken_ = true; }

   private:
    friend class Pool;
    Lease(Pool* pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {}

    Pool* pool_;
    std::unique_ptr<Conn> conn_;
    bool broken_ = false;
  };

  Pool(int max_open, Opener open, Checker check = {})
      : max_open_(std::max(1, max_open)), opener_(std::move(open)), check_(std::move(check)) {}

  // Leases an idle connection or opens a new one. DeadlineExceeded when all `max_open`
  // connections stay leased for `timeout`; the opener's error when opening fails.
  Result<Lease> Acquire(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mu_);
    for (;;) {
      if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        ++in_use_;
        lock.unlock();
        if (!check_ || check_(*conn)) return Lease(this, std::move(conn));
        conn.reset();
        lock.lock();
        --open_count_;
        --in_use_;
        continue;
      }
      if (open_count_ < max_open_) {
        ++open_count_;
        ++in_use_;
        lock.unlock();
        auto conn = opener_();
        if (conn) return Lease(this, std::move(*conn));
        lock.lock();
        --open_count_;
        --in_use_;
        freed_.notify_one();
        return std::unexpected(std::move(conn).error());
      }
      if (freed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        return Fail(ErrorCode::kDeadlineExceeded, "timed out waiting for a database connection");
      }
    }
  }

  PoolStats Stats() const {
    std::lock_guard lock(mu_);
    return {open_count_, in_use_};
  }

 private:
  void Release(std::unique_ptr<Conn> conn, bool broken) {
    std::vector<std::unique_ptr<Conn>> discard;  // closed outside the lock
    {
      std::lock_guard lock(mu_);
      --in_use_;
      if (broken) {
        discard.swap(idle_);
        discard.push_back(std::move(conn));
        open_count_ -= static_cast<int>(discard.size());
      } else {
        idle_.push_back(std::move(conn));
      }
    }
    freed_.notify_all();
  }

  const int max_open_;
  const Opener opener_;
  const Checker check_;

  mutable std::mutex mu_;  // guards the fields below
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int open_count_ = 0;  // idle + leased + being opened
  int in_use_ = 0;
};

}  // namespace hf::store::detail
