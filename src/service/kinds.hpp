#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/kinds.hpp"

namespace hf::service {

// One served kind as this deployment configures it: the fixed facts of model::ResourceKind plus
// the adapters whose reports the kind's Reconciled condition waits for.
struct KindDescriptor : model::ResourceKind {
  std::vector<std::string> required_adapters;
};

// The kinds served, in model::kResourceKinds order (Cluster, then its child NodePool).
class Kinds {
 public:
  Kinds(std::vector<std::string> cluster_adapters, std::vector<std::string> nodepool_adapters);

  // By name ("Cluster") or plural ("clusters"); nullptr when not served.
  const KindDescriptor* ByKind(std::string_view kind) const;
  const KindDescriptor* ByPlural(std::string_view plural) const;
  const std::vector<KindDescriptor>& all() const { return kinds_; }

 private:
  std::vector<KindDescriptor> kinds_;
};

}  // namespace hf::service
