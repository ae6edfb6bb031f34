#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "api/api_handler.hpp"

namespace hf::api {

extern const char* const kOpenApiYaml;  // generated from openapi/openapi.yaml at build time

namespace {

nlohmann::json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : node) j[kv.first.as<std::string>()] = ToJson(kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& item : node) j.push_back(ToJson(item));
      return j;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted in the source: keep as text
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "null" || s == "~") return nullptr;
      auto n = nlohmann::json::parse(s, nullptr, false);
      if (!n.is_discarded() && n.is_number()) return n;
      return s;
    }
    default:
      return nullptr;
  }
}

}  // namespace

const std::string& OpenApiJson() {
  static const std::string json = ToJson(YAML::Load(kOpenApiYaml)).dump();
  return json;
}

}  // namespace hf::api
