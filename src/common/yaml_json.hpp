#pragma once

#include <nlohmann/json.hpp>

namespace YAML {
class Node;
}

namespace hf {

// A YAML tree as JSON: maps (keys as text), sequences, and scalars typed as YAML 1.2's core
// schema reads them when plain (true/false, null/~, numbers); a quoted scalar stays text.
nlohmann::json YamlToJson(const YAML::Node& node);

}  // namespace hf
