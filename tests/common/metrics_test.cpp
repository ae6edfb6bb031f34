#include "common/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace hf::metrics {
namespace {

TEST(Metrics, RendersCountersGaugesAndHistogramsInPrometheusText) {
  Registry r;
  r.AddCounter("hf_requests_total", "Requests.", {"method", "code"})
      .WithLabels({"GET", "200"})
      .Inc(3);
  r.AddGauge("hf_pending", "Pending rows.").Get().Set(7);
  auto& h = r.AddHistogram("hf_latency_seconds", "Latency.", {}, {0.1, 1}).Get();
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE hf_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hf_requests_total{method=\"GET\",code=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("hf_pending 7\n"), std::string::npos);
  EXPECT_NE(text.find("hf_latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("hf_latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("hf_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("hf_latency_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("hf_latency_seconds_sum 5.55"), std::string::npos);
}

TEST(Metrics, EscapesLabelValues) {
  Registry r;
  r.AddCounter("c", "h", {"path"}).WithLabels({"a\"b\\c\n"}).Inc();
  EXPECT_NE(r.Render().find("c{path=\"a\\\"b\\\\c\\n\"} 1"), std::string::npos);
}

TEST(Metrics, SeriesPastTheCapShareOneOverflowSeries) {
  Registry r;
  auto& family = r.AddCounter("c", "h", {"method", "code"});
  constexpr size_t kCap = Family<Counter>::kMaxSeries;
  for (size_t i = 0; i < kCap + 500; ++i) family.WithLabels({"M" + std::to_string(i), "200"}).Inc();
  size_t series = 0;
  family.ForEach([&](const auto&, const auto&) { ++series; });
  EXPECT_EQ(series, kCap + 1);
  const std::string text = r.Render();
  EXPECT_NE(text.find("c{method=\"overflow\",code=\"overflow\"} 500\n"), std::string::npos);
  EXPECT_EQ(text.find("M" + std::to_string(kCap) + "\""), std::string::npos);
  // A label set seen before the cap still has its own series.
  family.WithLabels({"M0", "200"}).Inc();
  EXPECT_EQ(family.WithLabels({"M0", "200"}).Value(), 2);
}

TEST(Metrics, CollectorsRunBeforeRender) {
  Registry r;
  auto& g = r.AddGauge("g", "h").Get();
  r.AddCollector([&g] { g.Set(42); });
  EXPECT_NE(r.Render().find("g 42\n"), std::string::npos);
}

TEST(Metrics, CountsFromManyThreads) {
  Registry r;
  auto& c = r.AddCounter("c", "h").Get();
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) c.Inc();
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.Value(), 40000);
}

}  // namespace
}  // namespace hf::metrics
