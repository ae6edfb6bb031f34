#include "app/transition_log.hpp"

#include "common/log.hpp"
#include "model/cloud_event.hpp"
#include "model/condition.hpp"
#include "service/aggregation.hpp"

namespace hf::app {
namespace {

const log::Logger kLog{"dev"};
constexpr auto kRecheckInterval = std::chrono::seconds(1);
constexpr const char* kSubscription = "hyperfleet-dev-transitions";

}  // namespace

TransitionLog::TransitionLog(store::Store& store, broker::Broker& broker,
                             std::vector<std::string> topics)
    : store_(store), broker_(broker), topics_(std::move(topics)) {}

TransitionLog::~TransitionLog() { Stop(); }

Result<void> TransitionLog::Start() {
  subscriber_ = HF_TRY(broker_.NewSubscriber());
  auto handler = [this](const broker::Delivery& d) {
    auto decoded = model::CloudEvent::Decode(d.message.body);
    if (!decoded || !decoded->data.is_object()) return broker::HandlerResult::kAck;
    const nlohmann::json& data = decoded->data;
    const auto id = data.find("id");
    const auto reason = data.find("reason");
    const auto generation = data.find("generation");
    if (id == data.end() || !id->is_string()) return broker::HandlerResult::kAck;
    Event event{id->get<std::string>(),
                reason != data.end() && reason->is_string() ? reason->get<std::string>() : "",
                generation != data.end() && generation->is_number_integer()
                    ? generation->get<int64_t>()
                    : 0};
    {
      std::lock_guard lock(mu_);
      pending_.push_back(std::move(event));
    }
    wake_.notify_one();
    return broker::HandlerResult::kAck;
  };
  for (const auto& topic : topics_) {
    HF_CHECK(subscriber_->Subscribe(topic, kSubscription, handler, {}));
  }
  thread_ = std::thread([this] { Loop(); });
  return {};
}

void TransitionLog::Stop() {
  if (subscriber_) (void)subscriber_->Stop();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void TransitionLog::Loop() {
  auto next_recheck = std::chrono::steady_clock::now() + kRecheckInterval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_until(lock, next_recheck, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_) break;
    std::deque<Event> batch;
    batch.swap(pending_);
    lock.unlock();
    if (std::chrono::steady_clock::now() >= next_recheck) {
      for (const auto& [id, seen] : seen_) {
        if (!seen.Settled()) batch.push_back({id, "", 0});
      }
      next_recheck = std::chrono::steady_clock::now() + kRecheckInterval;
    }
    for (const auto& event : batch) Check(event);
    lock.lock();
  }
}

void TransitionLog::Check(const Event& event) {
  const std::string& id = event.id;
  auto read = [&]() -> Result<std::optional<model::Resource>> {
    auto tx = HF_TRY(store_.Begin(store::TxMode::kRead));
    return tx->GetResource(id);
  }();
  if (!read) {
    kLog.Warn("cannot read resource", {{"id", id}, {"error", read.error().ToString()}});
    return;
  }
  const model::Resource* r = read->has_value() ? &**read : nullptr;
  const model::Condition* reconciled =
      r ? r->FindCondition(model::condition_type::kReconciled) : nullptr;
  auto it = seen_.find(id);
  if (it == seen_.end()) {
    // Only a creation is news about a resource not seen before (after a restart the ticker's
    // events name every resource again); otherwise its state now is where lines start from.
    if (!r) return;
    Seen first{r->kind, r->name, r->generation, "", 0, r->Deleting()};
    if (event.reason == "created") {
      kLog.Info(r->kind + " " + r->name + " created",
                {{"id", id}, {"generation", event.generation}});
      first.generation = event.generation;
      first.reconciled = "False";  // a new resource is not reconciled: no line for that
      first.deleting = false;
    } else if (reconciled) {
      first.reconciled = reconciled->status;
      first.reconciled_generation = reconciled->observed_generation;
    }
    it = seen_.emplace(id, std::move(first)).first;
    if (event.reason != "created") return;
  }
  // Generation and deletion come from the events, so each is a line even when the read below
  // is already past it.
  Seen& was = it->second;
  const std::string what = was.kind + " " + was.name;
  if (event.reason == "updated" && event.generation > was.generation) {
    kLog.Info(what + " changed", {{"generation", event.generation}});
    was.generation = event.generation;
  }
  if (event.reason == "deleted" && !was.deleting) {
    kLog.Info(what + " deleting", {{"generation", event.generation}});
    was.deleting = true;
  }
  if (!r) {
    kLog.Info(what + " deleted", {{"id", id}});
    seen_.erase(it);
    return;
  }
  if (!reconciled) return;
  const model::Condition& c = *reconciled;
  if (c.status != was.reconciled || (c.status == model::condition_status::kTrue &&
                                     c.observed_generation != was.reconciled_generation)) {
    nlohmann::json fields = {{"generation", c.observed_generation}};
    if (c.status != model::condition_status::kTrue) {
      fields["reason"] = c.reason;
      fields["message"] = c.message;
    }
    kLog.Info(what + " Reconciled " + c.status, fields);
    was.reconciled = c.status;
    was.reconciled_generation = c.observed_generation;
  }
}

}  // namespace hf::app
