#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hf::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Sets the process-wide minimum level from "debug|info|warn|error"; false if the name is unknown.
bool SetLevel(std::string_view name);
// Sends log lines to stderr (default) or, for tests, to a file.
void SetOutputFile(const std::string& path);

// Writes one JSON line: {"time","level","component","msg",...fields}. Thread-safe.
void Write(Level level, std::string_view component, std::string_view msg,
           const nlohmann::json& fields = nlohmann::json::object());

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
