#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hf::metrics {

// A monotonically increasing value. Thread-safe, lock-free.
class Counter {
 public:
  void Inc(double v = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Inc(double v = 1);
  void Dec(double v = 1) { Inc(-v); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets as Prometheus expects. Thread-safe.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;  // guards counts_ and sum_
  std::vector<uint64_t> counts_;
  double sum_ = 0;
};

enum class Type { kCounter, kGauge, kHistogram };

namespace detail {
// Logs that a family reached its series cap (metrics.cpp, so this header needs no logger).
void WarnSeriesOverflow(const std::string& family, size_t cap);
}  // namespace detail

// A metric name with label names; WithLabels returns the child for one set of label values
// (created on first use, stable address, thread-safe). Label values should come from bounded
// sets (route templates, configured names); as a last defence against a value that does not, a
// family holds at most kMaxSeries children, and label sets past that share one child whose
// every value is "overflow" (logged once per family), so /metrics cannot grow without bound.
template <typename M>
class Family {
 public:
  static constexpr size_t kMaxSeries = 2000;

  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::function<std::unique_ptr<M>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        make_(std::move(make)) {}

  M& WithLabels(const std::vector<std::string>& values) {
    std::lock_guard lock(mu_);
    if (auto it = children_.find(values); it != children_.end()) return *it->second;
    if (children_.size() >= kMaxSeries) {
      if (!overflowed_) {
        overflowed_ = true;
        detail::WarnSeriesOverflow(name_, kMaxSeries);
      }
      std::vector<std::string> overflow(values.size(), "overflow");
      auto& slot = children_[overflow];
      if (!slot) slot = make_();
      return *slot;
    }
    auto& slot = children_[values];
    slot = make_();
    return *slot;
  }
  M& Get() { return WithLabels({}); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labels() const { return labels_; }
  // Calls f(label_values, metric) for every child, under the family lock.
  template <typename F>
  void ForEach(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, m] : children_) f(values, *m);
  }

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;
  std::function<std::unique_ptr<M>()> make_;
  mutable std::mutex mu_;  // guards children_
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
  bool overflowed_ = false;
};

// Named metrics of one process, rendered in the Prometheus text format (version 0.0.4).
// Registering a name twice returns the existing family.
class Registry {
 public:
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> labels = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          std::vector<std::string> labels = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> labels, std::vector<double> bounds);
  // Runs before each render, e.g. to refresh gauges read from the database.
  void AddCollector(std::function<void()> collect);

  std::string Render() const;
  // The values of counter `name` by label values; empty when no such counter is registered.
  std::map<std::vector<std::string>, double> CounterValues(const std::string& name) const;

  // The process-wide registry served on /metrics.
  static Registry& Default();

 private:
  mutable std::mutex mu_;  // guards the maps and collectors_
  std::map<std::string, std::unique_ptr<Family<Counter>>> counters_;
  std::map<std::string, std::unique_ptr<Family<Gauge>>> gauges_;
  std::map<std::string, std::unique_ptr<Family<Histogram>>> histograms_;
  std::vector<std::function<void()>> collectors_;
};

// Latency buckets in seconds, 5 ms … 10 s.
std::vector<double> DefaultLatencyBuckets();

}  // namespace hf::metrics
