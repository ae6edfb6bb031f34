#include "service/kinds.hpp"

namespace hf::service {

Kinds::Kinds(std::vector<std::string> cluster_adapters,
             std::vector<std::string> nodepool_adapters) {
  kinds_.push_back({"Cluster", "clusters", std::nullopt, 3, 53, std::move(cluster_adapters)});
  kinds_.push_back({"NodePool", "nodepools", "Cluster", 3, 15, std::move(nodepool_adapters)});
}

const KindDescriptor* Kinds::ByKind(std::string_view kind) const {
  for (const auto& k : kinds_) {
    if (k.kind == kind) return &k;
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
