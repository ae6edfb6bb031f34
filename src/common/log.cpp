#include "common/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "common/time.hpp"

namespace hf::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};

std::shared_ptr<spdlog::logger>& Sink() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l =
        std::make_shared<spdlog::logger>("hf", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return logger;
}
std::mutex g_sink_mu;  // guards replacing Sink()

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

bool SetLevel(std::string_view name) {
  if (name == "debug")
    g_level = Level::kDebug;
  else if (name == "info")
    g_level = Level::kInfo;
  else if (name == "warn" || name == "warning")
    g_level = Level::kWarn;
  else if (name == "error")
    g_level = Level::kError;
  else
    return false;
  return true;
}

void SetOutputFile(const std::string& path) {
  std::lock_guard lock(g_sink_mu);
  auto l = std::make_shared<spdlog::logger>(
      "hf", std::make_shared<spdlog::sinks::basic_file_sink_mt>(path));
  l->set_pattern("%v");
  l->flush_on(spdlog::level::trace);
  Sink() = l;
}

void Write(Level level, std::string_view component, std::string_view msg,
           const nlohmann::json& fields) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  nlohmann::json line = {{"time", FormatTime(Now())},
                         {"level", LevelName(level)},
                         {"component", component},
                         {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  std::shared_ptr<spdlog::logger> sink;
  {
    std::lock_guard lock(g_sink_mu);
    sink = Sink();
  }
  sink->info(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool Logger::Enabled(Level level) const { return level >= g_level.load(std::memory_order_relaxed); }
void Logger::Debug(std::string_view msg, const nlohmann::json& f) const {
  Write(Level::kDebug, component_, msg, f);
}
void Logger::Info(std::string_view msg, const nlohmann::json& f) const {
  Write(Level::kInfo, component_, msg, f);
}
void Logger::Warn(std::string_view msg, const nlohmann::json& f) const {
  Write(Level::kWarn, component_, msg, f);
}
void Logger::Error(std::string_view msg, const nlohmann::json& f) const {
  Write(Level::kError, component_, msg, f);
}

}  // namespace hf::log
