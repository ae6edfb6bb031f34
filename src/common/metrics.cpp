#include "common/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/log.hpp"

namespace hf::metrics {

void detail::WarnSeriesOverflow(const std::string& family, size_t cap) {
  log::Logger("metrics").Warn(
      "metric family reached its series cap; further label sets are counted as \"overflow\"",
      {{"family", family}, {"cap", cap}});
}
namespace {

void AtomicAdd(std::atomic<double>& target, double v) {
  double cur = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra = {}) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!out.empty()) out += ",";
    out += names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!out.empty()) out += ",";
    out += extra;
  }
  return out.empty() ? "" : "{" + out + "}";
}

template <typename F>
void Header(std::string& out, const F& family, const char* type) {
  out += "# HELP " + family.name() + " " + family.help() + "\n";
  out += "# TYPE " + family.name() + " " + type + "\n";
}

}  // namespace

void Counter::Inc(double v) { AtomicAdd(value_, v); }
void Gauge::Inc(double v) { AtomicAdd(value_, v); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::Observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  std::lock_guard lock(mu_);
  ++counts_[i];
  sum_ += v;
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  std::lock_guard lock(mu_);
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_;
  return s;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  auto& slot = counters_[name];
  if (!slot) {
    slot = std::make_unique<Family<Counter>>(name, help, std::move(labels),
                                             [] { return std::make_unique<Counter>(); });
  }
  return *slot;
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  auto& slot = gauges_[name];
  if (!slot) {
    slot = std::make_unique<Family<Gauge>>(name, help, std::move(labels),
                                           [] { return std::make_unique<Gauge>(); });
  }
  return *slot;
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> labels,
                                          std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& slot = histograms_[name];
  if (!slot) {
    slot = std::make_unique<Family<Histogram>>(
        name, help, std::move(labels), [bounds] { return std::make_unique<Histogram>(bounds); });
  }
  return *slot;
}

void Registry::AddCollector(std::function<void()> collect) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collect));
}

std::map<std::vector<std::string>, double> Registry::CounterValues(const std::string& name) const {
  std::map<std::vector<std::string>, double> out;
  std::lock_guard lock(mu_);
  if (auto it = counters_.find(name); it != counters_.end()) {
    it->second->ForEach(
        [&](const std::vector<std::string>& values, const Counter& c) { out[values] = c.Value(); });
  }
  return out;
}

std::string Registry::Render() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  for (auto& c : collectors) c();
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, family] : counters_) {
    Header(out, *family, "counter");
    family->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
      out += name + Labels(family->labels(), values) + " " + FormatValue(c.Value()) + "\n";
    });
  }
  for (const auto& [name, family] : gauges_) {
    Header(out, *family, "gauge");
    family->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
      out += name + Labels(family->labels(), values) + " " + FormatValue(g.Value()) + "\n";
    });
  }
  for (const auto& [name, family] : histograms_) {
    Header(out, *family, "histogram");
    family->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
      auto s = h.Read();
      for (size_t i = 0; i <= s.bounds.size(); ++i) {
        std::string le = i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf";
        out += name + "_bucket" + Labels(family->labels(), values, "le=\"" + le + "\"") + " " +
               std::to_string(s.cumulative[i]) + "\n";
      }
      out += name + "_sum" + Labels(family->labels(), values) + " " + FormatValue(s.sum) + "\n";
      out +=
          name + "_count" + Labels(family->labels(), values) + " " + std::to_string(s.count) + "\n";
    });
  }
  return out;
}

Registry& Registry::Default() {
  static Registry registry;
  return registry;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace hf::metrics
