#include "common/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "common/text.hpp"

extern char** environ;

namespace hf::config {
namespace {

std::unexpected<Error> BadValue(const std::string& key, const std::string& value,
                                const std::string& expected) {
  return Fail(ErrorCode::kInvalidArgument,
              "config key '" + key + "': invalid value '" + value + "' (" + expected + ")");
}

}  // namespace

std::string Binder::EnvName(const std::string& key) {
  std::string out = "HYPERFLEET_";
  for (char c : key) out.push_back(c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

std::map<std::string, std::string> Binder::ProcessEnv() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string_view::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

Binder::Entry* Binder::Find(const std::string& key) {
  for (auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

void Binder::Bind(const std::string& key, std::string* target, std::string help) {
  entries_.push_back({key, std::move(help), false,
                      [target](const std::string& v) -> Result<void> {
                        *target = v;
                        return {};
                      },
                      nullptr});
}

void Binder::Bind(const std::string& key, int* target, std::string help) {
  entries_.push_back({key, std::move(help), false,
                      [key, target](const std::string& v) -> Result<void> {
                        int n = 0;
                        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                        if (ec != std::errc{} || p != v.data() + v.size()) {
                          return BadValue(key, v, "expected an integer");
                        }
                        *target = n;
                        return {};
                      },
                      nullptr});
}

void Binder::Bind(const std::string& key, bool* target, std::string help) {
  entries_.push_back({key, std::move(help), false,
                      [key, target](const std::string& v) -> Result<void> {
                        if (v == "true" || v == "1" || v == "yes")
                          *target = true;
                        else if (v == "false" || v == "0" || v == "no")
                          *target = false;
                        else
                          return BadValue(key, v, "expected true or false");
                        return {};
                      },
                      nullptr});
}

void Binder::Bind(const std::string& key, Duration* target, std::string help) {
  entries_.push_back({key, std::move(help), false,
                      [key, target](const std::string& v) -> Result<void> {
                        auto d = ParseDuration(v);
                        if (!d) return BadValue(key, v, "a duration such as 250ms, 10s, 5m");
                        *target = *d;
                        return {};
                      },
                      nullptr});
}

void Binder::Bind(const std::string& key, std::vector<std::string>* target, std::string help) {
  entries_.push_back({key, std::move(help), true,
                      [target](const std::string& v) -> Result<void> {
                        *target = SplitList(v);
                        return {};
                      },
                      [key, target](const YAML::Node& n) -> Result<void> {
                        if (n.IsScalar()) {
                          *target = SplitList(n.as<std::string>());
                          return {};
                        }
                        if (!n.IsSequence() && !n.IsNull()) {
                          return Fail(ErrorCode::kInvalidArgument,
                                      "config key '" + key + "': expected a list of strings");
                        }
                        target->clear();
                        for (const auto& item : n) {
                          if (!item.IsScalar()) {
                            return Fail(ErrorCode::kInvalidArgument,
                                        "config key '" + key + "': expected a list of strings");
                          }
                          target->push_back(item.as<std::string>());
                        }
                        return {};
                      }});
}

void Binder::Bind(const std::string& key, std::map<std::string, std::string>* target,
                  std::string help) {
  entries_.push_back({key, std::move(help), true,
                      [key, target](const std::string& v) -> Result<void> {
                        target->clear();
                        for (const auto& pair : SplitList(v)) {
                          auto eq = pair.find('=');
                          if (eq == std::string::npos || eq == 0)
                            return BadValue(key, v, "expected k=v,k2=v2");
                          (*target)[pair.substr(0, eq)] = pair.substr(eq + 1);
                        }
                        return {};
                      },
                      [key, target](const YAML::Node& n) -> Result<void> {
                        if (!n.IsMap() && !n.IsNull()) {
                          return Fail(ErrorCode::kInvalidArgument,
                                      "config key '" + key + "': expected a map of strings");
                        }
                        target->clear();
                        for (const auto& kv : n) {
                          if (!kv.second.IsScalar()) {
                            return Fail(ErrorCode::kInvalidArgument,
                                        "config key '" + key + "': expected a map of strings");
                          }
                          (*target)[kv.first.as<std::string>()] = kv.second.as<std::string>();
                        }
                        return {};
                      }});
}

void Binder::Bind(const std::string& key, std::function<Result<void>(const YAML::Node&)> parse,
                  std::string help) {
  entries_.push_back({key, std::move(help), true,
                      [key, parse](const std::string& v) -> Result<void> {
                        YAML::Node node;
                        try {
                          node = YAML::Load(v);
                        } catch (const YAML::Exception& e) {
                          return BadValue(key, v.size() > 40 ? v.substr(0, 40) + "…" : v,
                                          "YAML (" + e.msg + ")");
                        }
                        return parse(node);
                      },
                      parse});
}

Result<void> Binder::Set(const std::string& key, const std::string& value,
                         const std::string& source) {
  Entry* e = Find(key);
  if (!e) return Fail(ErrorCode::kInvalidArgument, "unknown config key '" + key + "' in " + source);
  auto r = e->set_text(value);
  if (!r) {
    r.error().message += " from " + source;
    return r;
  }
  return {};
}

Result<void> Binder::Walk(const YAML::Node& node, const std::string& prefix,
                          const std::string& file) {
  for (const auto& kv : node) {
    std::string key =
        prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>();
    Entry* e = Find(key);
    if (e) {
      if (e->structured) {
        auto r = e->set_yaml(kv.second);
        if (!r) return r;
      } else if (kv.second.IsScalar()) {
        HF_CHECK(Set(key, kv.second.as<std::string>(), file));
      } else if (!kv.second.IsNull()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "config key '" + key + "' in " + file + ": expected a single value");
      }
      continue;
    }
    bool is_prefix = std::any_of(entries_.begin(), entries_.end(),
                                 [&](const Entry& x) { return x.key.rfind(key + ".", 0) == 0; });
    if (is_prefix && kv.second.IsMap()) {
      HF_CHECK(Walk(kv.second, key, file));
      continue;
    }
    return Fail(ErrorCode::kInvalidArgument, "unknown config key '" + key + "' in " + file);
  }
  return {};
}

Result<void> Binder::Load(const std::string& yaml_path,
                          const std::map<std::string, std::string>& env,
                          const std::map<std::string, std::string>& overrides) {
  if (!yaml_path.empty()) {
    if (!std::filesystem::exists(yaml_path)) {
      return Fail(ErrorCode::kInvalidArgument, "config file '" + yaml_path + "' does not exist");
    }
    YAML::Node root;
    try {
      root = YAML::LoadFile(yaml_path);
    } catch (const YAML::Exception& e) {
      return Fail(ErrorCode::kInvalidArgument,
                  "config file '" + yaml_path + "' is not valid YAML: " + e.what());
    }
    if (!root.IsNull()) {
      if (!root.IsMap()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "config file '" + yaml_path + "' must hold a map of keys");
      }
      try {
        HF_CHECK(Walk(root, "", yaml_path));
      } catch (const YAML::Exception& e) {
        return Fail(ErrorCode::kInvalidArgument, "config file '" + yaml_path + "': " + e.what());
      }
    }
  }
  for (const auto& e : entries_) {
    auto it = env.find(EnvName(e.key));
    if (it != env.end()) HF_CHECK(Set(e.key, it->second, "environment variable " + it->first));
  }
  for (const auto& [key, value] : overrides) HF_CHECK(Set(key, value, "flag --" + key));
  return {};
}

}  // namespace hf::config
