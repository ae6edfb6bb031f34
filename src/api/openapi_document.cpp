#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "api/api_handler.hpp"
#include "common/yaml_json.hpp"

namespace hf::api {

extern const char* const kOpenApiYaml;  // generated from openapi/openapi.yaml at build time

std::string OpenApiJson(const service::Limits& limits) {
  static const nlohmann::json parsed = YamlToJson(YAML::Load(kOpenApiYaml));
  nlohmann::json doc = parsed;
  auto& schemas = doc["components"]["schemas"];
  schemas["Labels"]["maxProperties"] = limits.labels_max_count;
  for (const char* spec : {"ClusterSpec", "NodePoolSpec"}) {
    schemas[spec]["x-hyperfleet-max-bytes"] = limits.spec_max_bytes;
  }
  auto& report = schemas["AdapterStatusCreateRequest"]["properties"];
  report["conditions"]["maxItems"] = limits.conditions_max_count;
  report["data"]["x-hyperfleet-max-bytes"] = limits.status_data_max_bytes;
  auto& condition = schemas["ConditionRequest"]["properties"];
  condition["reason"]["maxLength"] = limits.condition_reason_max_length;
  condition["message"]["maxLength"] = limits.condition_message_max_length;
  doc["info"]["x-hyperfleet-limits"] = {
      {"spec_max_bytes", limits.spec_max_bytes},
      {"labels_max_count", limits.labels_max_count},
      {"conditions_max_count", limits.conditions_max_count},
      {"condition_reason_max_length", limits.condition_reason_max_length},
      {"condition_message_max_length", limits.condition_message_max_length},
      {"status_data_max_bytes", limits.status_data_max_bytes},
      {"list_max_bytes", limits.list_max_bytes}};
  return doc.dump();
}

}  // namespace hf::api
