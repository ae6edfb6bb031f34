#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "model/kinds.hpp"

namespace hf::service {

// One served kind as this deployment configures it: the fixed facts of model::ResourceKind plus
// the adapters that may report on its resources.
struct KindDescriptor : model::ResourceKind {
  // The adapters whose reports the kind's Reconciled condition waits for, in config order.
  std::vector<std::string> required_adapters;
  // Adapters that may report too but are not waited for (e.g. one being rolled out).
  std::vector<std::string> optional_adapters;

  // Whether a status report under `adapter` is accepted: it is required or optional.
  [[nodiscard]] bool MayReport(std::string_view adapter) const;
  // The adapters whose rows a report for `adapter` reads: the required ones, plus `adapter`.
  [[nodiscard]] std::vector<std::string> AdaptersToRead(const std::string& adapter) const;
};

// The adapters one kind lets report (KindDescriptor).
struct KindAdapters {
  std::vector<std::string> required;
  std::vector<std::string> optional;
};

// The kinds served, in model::kResourceKinds order (Cluster, then its child NodePool).
class Kinds {
 public:
  Kinds(KindAdapters cluster, KindAdapters nodepool);
  Kinds(std::vector<std::string> cluster_adapters, std::vector<std::string> nodepool_adapters)
      : Kinds(KindAdapters{std::move(cluster_adapters), {}},
              KindAdapters{std::move(nodepool_adapters), {}}) {}

  // By name ("Cluster") or plural ("clusters"); nullptr when not served.
  const KindDescriptor* ByKind(std::string_view kind) const;
  const KindDescriptor* ByPlural(std::string_view plural) const;
  const std::vector<KindDescriptor>& all() const { return kinds_; }

 private:
  std::vector<KindDescriptor> kinds_;
};

// InvalidArgument unless every name of the setting `key` is an adapter name
// (model::kAdapterNamePattern), e.g. "cluster_adapters: 'DNS' is not an adapter name: ...".
Result<void> ValidateAdapterNames(std::string_view key, const std::vector<std::string>& names);

}  // namespace hf::service
