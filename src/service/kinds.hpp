#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hf::service {

// What the API knows about one kind of resource.
struct KindDescriptor {
  std::string kind;                        // "Cluster"
  std::string plural;                      // "clusters"
  std::optional<std::string> parent_kind;  // "Cluster" for NodePool
  int name_min_len = 3;
  int name_max_len = 53;
  std::vector<std::string> required_adapters;
};

// The kinds served, in registration order. Cluster and NodePool (child of Cluster).
class Kinds {
 public:
  Kinds(std::vector<std::string> cluster_adapters, std::vector<std::string> nodepool_adapters);

  const KindDescriptor* ByKind(std::string_view kind) const;
  const KindDescriptor* ByPlural(std::string_view plural) const;
  const std::vector<KindDescriptor>& all() const { return kinds_; }

 private:
  std::vector<KindDescriptor> kinds_;
};

inline constexpr std::string_view kApiBasePath = "/api/hyperfleet/v1";

}  // namespace hf::service
