#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"

namespace YAML {
class Node;
}

namespace hf::config {

// Typed, closed configuration. Each key (dotted, e.g. "ticker.poll_interval") is bound to a
// variable that holds its default. Load() applies, in increasing precedence: the YAML file, the
// HYPERFLEET_<KEY> environment variables ("." and "-" become "_", upper case), then explicit
// overrides (command-line flags). A YAML key that is not bound is an error naming it.
class Binder {
 public:
  void Bind(const std::string& key, std::string* target, std::string help);
  void Bind(const std::string& key, int* target, std::string help);
  void Bind(const std::string& key, bool* target, std::string help);
  void Bind(const std::string& key, Duration* target, std::string help);
  // A YAML list, or a comma-separated string from env/flags.
  void Bind(const std::string& key, std::vector<std::string>* target, std::string help);
  // A YAML map of strings, or "k=v,k2=v2" from env/flags.
  void Bind(const std::string& key, std::map<std::string, std::string>* target, std::string help);
  // A structured value (e.g. a list of maps) parsed by `parse` from its YAML node; from env or
  // a flag the text is read as YAML (flow style: '[{issuer_url: …}]').
  void Bind(const std::string& key, std::function<Result<void>(const YAML::Node&)> parse,
            std::string help);

  // yaml_path may be empty (no file). `env` is the process environment as name → value.
  Result<void> Load(const std::string& yaml_path, const std::map<std::string, std::string>& env,
                    const std::map<std::string, std::string>& overrides);

  // Sets one key from text, as an env var or flag would. Errors name the key and the source.
  Result<void> Set(const std::string& key, const std::string& value, const std::string& source);

  // The environment variable name for a key.
  static std::string EnvName(const std::string& key);
  // The current process environment.
  static std::map<std::string, std::string> ProcessEnv();

  struct Entry {
    std::string key;
    std::string help;
    bool structured = false;  // list or map: takes a whole YAML node
    std::function<Result<void>(const std::string&)> set_text;
    std::function<Result<void>(const YAML::Node&)> set_yaml;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  Entry* Find(const std::string& key);
  Result<void> Walk(const YAML::Node& node, const std::string& prefix, const std::string& file);

  std::vector<Entry> entries_;
};

}  // namespace hf::config
