#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/http_message.hpp"
#include "common/result.hpp"

namespace hf::api {

// `?fields=` on a list (comma list and/or repeated): the fields each item keeps. nullopt when not
// given. A path's first segment must be a field of the resource representation (kBadRequest
// otherwise); "a.b" keeps a nested field, "a" or "a.*" all of a.
Result<std::optional<std::vector<std::string>>> DecodeFields(const http::Request& req);

// `item` reduced to `fields` plus `id`; paths the item does not have are left out.
nlohmann::json Project(const nlohmann::json& item, const std::vector<std::string>& fields);

}  // namespace hf::api
