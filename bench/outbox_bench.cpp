// hf_bench_outbox: the outbox figures of `make bench` (README.md#benchmarks), printed as one JSON
// object.
//
//   hf_bench_outbox throughput --db URL --broker memory|googlepubsub|rabbitmq [--events N]
//       Raw publish rate (Publisher::Publish in batches of --batch; half of the N messages
//       before and half after the outbox run, after a warm-up) and the outbox reconciler's rate
//       (claim → publish → mark → commit, batches of --batch) for N events pre-inserted as
//       unpublished rows, to the same broker and topic, with one acking subscriber attached.
//   hf_bench_outbox latency --db URL [--events N] [--rate R]
//       Commit → delivered latency on the memory broker: N events committed one per transaction
//       at R per second while the reconciler runs (woken by NOTIFY); p50/p99/max of the time from
//       the start of COMMIT to the subscriber's handler.
//
// The database must be an empty (or migrated) PostgreSQL database; the tool migrates it.
#include <libpq-fe.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "broker/open_broker.hpp"
#include "common/log.hpp"
#include "common/uuid.hpp"
#include "outbox/reconciler.hpp"
#include "service/outbox_events.hpp"
#include "store/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "hf_bench_outbox: " << what << "\n";
  std::exit(1);
}

template <typename T>
T Must(hf::Result<T> r, const std::string& what) {
  if (!r) Die(what + ": " + r.error().ToString());
  return std::move(*r);
}
void Must(hf::Result<void> r, const std::string& what) {
  if (!r) Die(what + ": " + r.error().ToString());
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A cluster event as the API would write it, so payload sizes are real.
hf::model::OutboxEvent SampleEvent() {
  hf::model::Resource r;
  r.id = hf::NewUuidV7();
  r.kind = "Cluster";
  r.href = "/api/hyperfleet/v1/clusters/" + r.id;
  return hf::service::MakeOutboxEvent(r, "created", "");
}

// Counts deliveries on one subscription (acks everything).
struct Counter {
  std::atomic<int64_t> delivered{0};
  bool WaitFor(int64_t n, std::chrono::seconds timeout) const {
    auto deadline = Clock::now() + timeout;
    while (delivered.load() < n && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
    return delivered.load() >= n;
  }
};

// Inserts `n` due, unpublished rows in one statement (the payload of a real event; fresh ids).
void SeedOutbox(const std::string& url, int n, const hf::model::OutboxEvent& sample) {
  PGconn* c = PQconnectdb(url.c_str());
  const std::string count = std::to_string(n);
  const char* params[] = {sample.event_type.c_str(), sample.payload.c_str(), count.c_str()};
  PGresult* r = PQexecParams(
      c,
      "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, aggregate_generation, "
      "event_type, reason, payload, created_time, next_attempt_time) "
      "SELECT gen_random_uuid()::text, 'Cluster', gen_random_uuid()::text, 1, $1, 'created', $2, "
      "now(), now() - interval '1 second' FROM generate_series(1, $3::int)",
      3, nullptr, params, nullptr, nullptr, 0);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  const std::string error = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error("seeding the outbox: " + error);
}

int Throughput(const std::string& db, hf::broker::BrokerConfig config, int events, int batch) {
  auto store = Must(hf::store::OpenStore(db), "open store");
  Must(store->Migrate(), "migrate");
  auto broker = Must(hf::broker::OpenBroker(config), "open broker");
  auto publisher = Must(broker->NewPublisher(), "publisher");
  auto subscriber = Must(broker->NewSubscriber(), "subscriber");
  const std::string topic = "hf-bench-outbox-" + std::to_string(::getpid());
  Counter counter;
  hf::broker::SubscribeOptions options;
  options.parallelism = 4;
  Must(subscriber->Subscribe(
           topic, "bench",
           [&](const hf::broker::Delivery&) {
             counter.delivered++;
             return hf::broker::HandlerResult::kAck;
           },
           options),
       "subscribe");

  const auto sample = SampleEvent();
  auto batch_of = [&](int n) {
    std::vector<hf::broker::Message> messages;
    for (int i = 0; i < n; ++i) {
      messages.push_back({hf::NewUuidV7(),
                          sample.payload,
                          {{"ce_type", sample.event_type},
                           {"aggregate_type", "Cluster"},
                           {"aggregate_id", sample.aggregate_id},
                           {"reason", "created"}}});
    }
    return messages;
  };
  // Warm-up (connections, topic creation, the emulator's JIT), not counted: 2 s or `events`
  // messages, whichever comes first.
  int warmup = 0;
  for (auto until = Clock::now() + 2s; warmup < events && Clock::now() < until; warmup += batch) {
    for (auto& r : publisher->Publish(topic, batch_of(batch))) Must(std::move(r), "warm-up");
  }
  // Raw: the same messages the reconciler sends (body, attributes), in batches of `batch`; half
  // before and half after the outbox run, so that drift (JIT, a busy machine) hits both alike.
  auto raw = [&](int n) {
    auto start = Clock::now();
    for (int sent = 0; sent < n; sent += batch) {
      for (auto& r : publisher->Publish(topic, batch_of(std::min(batch, n - sent)))) {
        Must(std::move(r), "raw publish");
      }
    }
    return Seconds(Clock::now() - start);
  };
  double raw_s = raw(events / 2);

  SeedOutbox(db, events, sample);
  hf::outbox::ReconcilerOptions ro;
  ro.batch_size = batch;
  ro.topics = {{"Cluster", topic}};
  hf::outbox::Reconciler reconciler(*store, *publisher, ro);
  int published = 0;
  auto outbox_start = Clock::now();
  while (published < events) {
    int n = Must(reconciler.RunOnce(), "outbox pass");
    if (n == 0) Die("outbox ran dry after " + std::to_string(published) + " events");
    published += n;
  }
  const double outbox_s = Seconds(Clock::now() - outbox_start);
  raw_s += raw(events - events / 2);
  const bool all_delivered = counter.WaitFor(2 * static_cast<int64_t>(events) + warmup, 20s);
  Must(subscriber->Stop(5s), "stop subscriber");

  json out = {{"broker", config.type},
              {"events", events},
              {"batch", batch},
              {"raw_seconds", raw_s},
              {"raw_per_s", events / raw_s},
              {"outbox_seconds", outbox_s},
              {"outbox_per_s", events / outbox_s},
              {"delivered", counter.delivered.load()},
              {"all_delivered", all_delivered}};
  std::cout << out.dump() << std::endl;
  return 0;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int Latency(const std::string& db, int events, double rate) {
  auto store = Must(hf::store::OpenStore(db), "open store");
  Must(store->Migrate(), "migrate");
  hf::broker::BrokerConfig config;
  config.memory_name = "bench-latency";
  auto broker = Must(hf::broker::OpenBroker(config), "open broker");
  auto publisher = Must(broker->NewPublisher(), "publisher");
  auto subscriber = Must(broker->NewSubscriber(), "subscriber");
  const std::string topic = "hyperfleet.clusters.changed.v1";

  std::mutex mu;  // guards delivered_at
  std::unordered_map<std::string, Clock::time_point> delivered_at;
  hf::broker::SubscribeOptions options;
  options.parallelism = 4;
  Must(subscriber->Subscribe(
           topic, "bench",
           [&](const hf::broker::Delivery& d) {
             auto now = Clock::now();
             std::lock_guard lock(mu);
             delivered_at.emplace(d.message.id, now);
             return hf::broker::HandlerResult::kAck;
           },
           options),
       "subscribe");

  hf::outbox::Reconciler reconciler(*store, *publisher, {});
  reconciler.Start();
  std::vector<std::pair<std::string, Clock::time_point>> committed;
  const auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
  auto next = Clock::now();
  for (int i = 0; i < events; ++i) {
    std::this_thread::sleep_until(next);
    next += interval;
    auto e = SampleEvent();
    auto tx = Must(store->Begin(hf::store::TxMode::kWrite), "begin");
    Must(tx->AppendOutbox(e), "append");
    auto t = Clock::now();
    Must(tx->Commit(), "commit");
    committed.emplace_back(e.event_id, t);
  }
  auto deadline = Clock::now() + 30s;
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (delivered_at.size() >= committed.size()) break;
    }
    if (Clock::now() > deadline) Die("not every event was delivered within 30 s");
    std::this_thread::sleep_for(10ms);
  }
  reconciler.Stop();
  Must(subscriber->Stop(5s), "stop subscriber");

  std::vector<double> ms;
  {
    std::lock_guard lock(mu);
    for (const auto& [id, t] : committed) {
      ms.push_back(std::max(0.0, Seconds(delivered_at.at(id) - t) * 1000.0));
    }
  }
  json out = {{"events", events},
              {"rate", rate},
              {"p50_ms", Percentile(ms, 50)},
              {"p99_ms", Percentile(ms, 99)},
              {"max_ms", Percentile(ms, 100)}};
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"HyperFleet outbox benchmarks (make bench)"};
  app.require_subcommand(1);
  std::string db;
  std::string broker_type = "memory";
  std::string project = "hf-bench";
  std::string rabbitmq_url;
  int events = 5000;
  int batch = 100;
  double rate = 200;
  auto* tp = app.add_subcommand("throughput", "raw publish rate vs outbox rate, one broker");
  tp->add_option("--db", db, "PostgreSQL URL")->required();
  tp->add_option("--broker", broker_type, "memory|googlepubsub|rabbitmq")
      ->check(CLI::IsMember({"memory", "googlepubsub", "rabbitmq"}));
  tp->add_option("--pubsub-project", project, "Pub/Sub project (honours PUBSUB_EMULATOR_HOST)");
  tp->add_option("--rabbitmq-url", rabbitmq_url, "amqp://… URL");
  tp->add_option("--events", events, "events per run")->check(CLI::Range(1, 10'000'000));
  tp->add_option("--batch", batch, "publish / claim batch size")->check(CLI::Range(1, 10'000));
  auto* lat = app.add_subcommand("latency", "commit → delivered latency on the memory broker");
  lat->add_option("--db", db, "PostgreSQL URL")->required();
  lat->add_option("--events", events, "events to commit")->check(CLI::Range(1, 1'000'000));
  lat->add_option("--rate", rate, "events committed per second")->check(CLI::Range(1.0, 1e5));
  CLI11_PARSE(app, argc, argv);
  hf::log::SetLevel("warn");

  try {
    if (tp->parsed()) {
      hf::broker::BrokerConfig config;
      config.type = broker_type;
      config.memory_name = "bench-throughput";
      config.pubsub_project = project;
      config.rabbitmq_url = rabbitmq_url;
      return Throughput(db, config, events, batch);
    }
    return Latency(db, events, rate);
  } catch (const std::exception& e) {
    Die(e.what());
  }
}
