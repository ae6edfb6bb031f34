#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hf::log {

enum class Level { kDebug, kInfo, kWarn, kError };

enum class Format {
  kJson,  // one JSON object per line, for log collectors (the default; the server commands)
  kText,  // one line for a person: "12:00:01 INFO  jobs: job started job=x pid=42" (dev)
};

// Sets the process-wide minimum level from "debug|info|warn|error"; false if the name is unknown.
bool SetLevel(std::string_view name);
// Sets the minimum level of one component's lines, overriding the process-wide level for it.
void SetComponentLevel(std::string_view component, Level level);
// Sets the line format from "json|text"; false if the name is unknown.
bool SetFormat(std::string_view name);
// Sends log lines to stderr (default) or, for tests, to a file.
void SetOutputFile(const std::string& path);

// Writes one line in the current format. JSON: {"time","level","component","msg",...fields};
// text: UTC time of day, level, component, msg, then key=value per field (strings with spaces
// quoted). Invalid UTF-8 anywhere is written as U+FFFD. Thread-safe; never throws.
void Write(Level level, std::string_view component, std::string_view msg,
           const nlohmann::json& fields = nlohmann::json::object()) noexcept;

// A named source of log lines, e.g. Logger{"api"}. Cheap to copy.
class Logger {
 public:
  explicit Logger(std::string component) : component_(std::move(component)) {}

  void Debug(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) const;
  void Info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) const;
  void Warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) const;
  void Error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) const;
  bool Enabled(Level level) const;

 private:
  std::string component_;
};

}  // namespace hf::log
