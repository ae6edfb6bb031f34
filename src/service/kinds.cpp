#include "service/kinds.hpp"

namespace hf::service {

Kinds::Kinds(std::vector<std::string> cluster_adapters,
             std::vector<std::string> nodepool_adapters) {
  kinds_.push_back({model::kCluster, std::move(cluster_adapters)});
  kinds_.push_back({model::kNodePool, std::move(nodepool_adapters)});
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

}  // namespace hf::service
