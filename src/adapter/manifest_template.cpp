#include "adapter/manifest_template.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;

Result<void> Collect(const json& value, const json::json_pointer& pointer, const std::string& path,
                     std::vector<std::pair<json::json_pointer, std::string>>& out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      HF_CHECK(Collect(child, pointer / key, path.empty() ? key : path + "." + key, out));
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      HF_CHECK(Collect(value[i], pointer / i, path + "[" + std::to_string(i) + "]", out));
    }
  } else if (value.is_string() && value.get<std::string>().find("{{") != std::string::npos) {
    out.emplace_back(pointer, path);
  }
  return {};
}

}  // namespace

Result<ManifestTemplate> ManifestTemplate::Parse(json manifest) {
  if (!manifest.is_object()) {
    return Fail(ErrorCode::kInvalidArgument,
                "(top level): must be a mapping (a Kubernetes object)");
  }
  ManifestTemplate t;
  for (auto [key, target] : {std::pair{"apiVersion", &t.api_version_}, {"kind", &t.kind_}}) {
    const auto it = manifest.find(key);
    if (it == manifest.end() || !it->is_string() || it->get<std::string>().empty()) {
      return Fail(ErrorCode::kInvalidArgument, std::string(key) + ": is required");
    }
    *target = it->get<std::string>();
    if (target->find("{{") != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(key) + ": must be literal (no {{ }}): '" + *target + "'");
    }
  }
  std::vector<std::pair<json::json_pointer, std::string>> found;
  HF_CHECK(Collect(manifest, json::json_pointer(), "", found));
  for (auto& [pointer, path] : found) {
    auto text = TextTemplate::Parse(manifest[pointer].get<std::string>());
    if (!text) return Fail(ErrorCode::kInvalidArgument, path + ": " + text.error().message);
    t.slots_.push_back({pointer, path, std::move(*text)});
  }
  t.manifest_ = std::move(manifest);
  return t;
}

Result<json> ManifestTemplate::Render(const expr::Activation& vars) const {
  json out = manifest_;
  for (const auto& slot : slots_) {
    auto value = slot.text.RenderValue(vars);
    if (!value) {
      return Fail(ErrorCode::kInvalidArgument, slot.path + ": " + value.error().message);
    }
    out[slot.pointer] = std::move(*value);
  }
  return out;
}

std::set<std::string> ManifestTemplate::variables() const {
  std::set<std::string> out;
  for (const auto& slot : slots_) out.merge(slot.text.variables());
  return out;
}

}  // namespace hf::adapter
