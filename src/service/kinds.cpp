#include "service/kinds.hpp"

#include <algorithm>

#include "model/adapter_status.hpp"

namespace hf::service {

bool KindDescriptor::MayReport(std::string_view adapter) const {
  return std::ranges::find(required_adapters, adapter) != required_adapters.end() ||
         std::ranges::find(optional_adapters, adapter) != optional_adapters.end();
}

std::vector<std::string> KindDescriptor::AdaptersToRead(const std::string& adapter) const {
  std::vector<std::string> out = required_adapters;
  if (std::ranges::find(out, adapter) == out.end()) out.push_back(adapter);
  return out;
}

Kinds::Kinds(KindAdapters cluster, KindAdapters nodepool) {
  kinds_.push_back({model::kCluster, std::move(cluster.required), std::move(cluster.optional)});
  kinds_.push_back({model::kNodePool, std::move(nodepool.required), std::move(nodepool.optional)});
}

const KindDescriptor* Kinds::ByKind(std::string_view kind) const {
  for (const auto& k : kinds_) {
    if (k.name == kind) return &k;
  }
  return nullptr;
}

const KindDescriptor* Kinds::ByPlural(std::string_view plural) const {
  for (const auto& k : kinds_) {
    if (k.plural == plural) return &k;
  }
  return nullptr;
}

Result<void> ValidateAdapterNames(std::string_view key, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (!model::IsAdapterName(name)) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(key) + ": '" + name + "' is not an adapter name: 1-63 lower-case " +
                      "letters, digits and '-', starting and ending with a letter or digit (" +
                      std::string(model::kAdapterNamePattern) + ")");
    }
  }
  return Ok();
}

}  // namespace hf::service
