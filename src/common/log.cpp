#include "common/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cctype>
#include <map>
#include <mutex>

#include "common/text.hpp"
#include "common/time.hpp"

namespace hf::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kJson};
std::mutex g_component_levels_mu;  // guards g_component_levels
std::map<std::string, Level, std::less<>> g_component_levels;

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

bool Enabled(Level level, std::string_view component) {
  {
    std::lock_guard lock(g_component_levels_mu);
    if (auto it = g_component_levels.find(component); it != g_component_levels.end()) {
      return level >= it->second;
    }
  }
  return level >= g_level.load(std::memory_order_relaxed);
}

std::string JsonLine(Level level, std::string_view component, std::string_view msg,
                     const nlohmann::json& fields) {
  nlohmann::json line = {{"time", FormatTime(Now())},
                         {"level", LevelName(level)},
                         {"component", component},
                         {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A field value as text: a string as is unless it is empty or holds a space, quote or '=' (then
// JSON-quoted), anything else as compact JSON.
std::string TextValue(const nlohmann::json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (!s.empty() && s.find_first_of(" \t\n\"=") == std::string::npos) return ToValidUtf8(s);
  }
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TextLine(Level level, std::string_view component, std::string_view msg,
                     const nlohmann::json& fields) {
  std::string name(LevelName(level));
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  name.resize(5, ' ');
  std::string line = FormatTime(Now()).substr(11, 8) + " " + name + " ";
  line.append(ToValidUtf8(component)).append(": ").append(ToValidUtf8(msg));
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      line += " " + ToValidUtf8(it.key()) + "=" + TextValue(it.value());
    }
  }
  return line;
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

void SetComponentLevel(std::string_view component, Level level) {
  std::lock_guard lock(g_component_levels_mu);
  g_component_levels.insert_or_assign(std::string(component), level);
}

bool SetFormat(std::string_view name) {
  if (name == "json")
    g_format = Format::kJson;
  else if (name == "text")
    g_format = Format::kText;
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
           const nlohmann::json& fields) noexcept {
  if (!Enabled(level, component)) return;
  try {
    const std::string line = g_format.load(std::memory_order_relaxed) == Format::kText
                                 ? TextLine(level, component, msg, fields)
                                 : JsonLine(level, component, msg, fields);
    std::shared_ptr<spdlog::logger> sink;
    {
      std::lock_guard lock(g_sink_mu);
      sink = Sink();
    }
    sink->info(line);
  } catch (...) {
    // A log line is never worth an exception in the caller (out of memory, a broken sink);
    // invalid UTF-8 does not get here: it is written as U+FFFD.
  }
}

bool Logger::Enabled(Level level) const { return log::Enabled(level, component_); }
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
