#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace hf::app {

// What `hyperfleet dev` tells a person watching: one log line (component "dev") per transition
// of a cluster or nodepool — created, changed (new generation), Reconciled True/False, deleting
// (deletion requested), deleted (gone after its adapters finalized it):
//   12:00:01 INFO  dev: Cluster demo created generation=1 id=0192…
//   12:00:02 INFO  dev: Cluster demo Reconciled True generation=1
// It follows the change events (its own subscription on each topic): created, changed and
// deleting come from the events themselves, in order. Reconciled and deleted are read from the
// store when an event names the resource, and every second while it is not settled (not
// Reconciled True, or being deleted), since their last steps publish no event. Reconciled is
// sampled: a False that lasts less than one read may not be shown; a new resource starts False.
class TransitionLog {
 public:
  // `store` and `broker` must outlive it; `topics` are the resource kinds' change topics.
  TransitionLog(store::Store& store, broker::Broker& broker, std::vector<std::string> topics);
  ~TransitionLog();  // Stop()

  // Subscribes (before the outbox starts publishing, so no event is missed on the memory broker)
  // and starts the thread that reads and logs.
  Result<void> Start();
  // Stops following; idempotent.
  void Stop();

 private:
  // A resource as last read: what the lines compare.
  struct Seen {
    std::string kind;
    std::string name;
    int64_t generation = 0;
    std::string reconciled;  // the Reconciled condition's status ("" while it has none)
    int64_t reconciled_generation = 0;
    bool deleting = false;

    bool Settled() const { return reconciled == "True" && !deleting; }
  };

  // A change event, or (reason "") a re-read of a resource not settled yet.
  struct Event {
    std::string id;
    std::string reason;  // created, updated, deleted, status_changed, requested, force_deleted
    int64_t generation = 0;
  };

  void Loop();
  // Logs what `event` says, then reads the resource and logs how it changed since the last read.
  void Check(const Event& event);

  store::Store& store_;
  broker::Broker& broker_;
  const std::vector<std::string> topics_;
  std::unique_ptr<broker::Subscriber> subscriber_;

  std::mutex mu_;  // guards pending_ and stopping_
  std::condition_variable wake_;
  std::deque<Event> pending_;  // in arrival order
  bool stopping_ = false;

  std::map<std::string, Seen> seen_;  // by resource id; only the loop thread touches it
  std::thread thread_;
};

}  // namespace hf::app
