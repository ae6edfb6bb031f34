#pragma once

#include <array>
#include <string>
#include <string_view>

namespace hf::model {

// The path every API route hangs under: `{api_url}/api/hyperfleet/v1/clusters/{id}`. The server's
// router and the client library (src/client/) both read it; nothing else spells it.
inline constexpr std::string_view kApiBasePath = "/api/hyperfleet/v1";

// One kind of resource: the single table that the API router, the services, the outbox (topic
// and event type), the ticker, the adapters and the CLI all read. Plain constants; the per-
// deployment part (which adapters a kind requires) lives in service::Kinds.
struct ResourceKind {
  std::string_view name;           // "Cluster": the `kind` field and an event's aggregate_type
  std::string_view plural;         // "clusters": the URL segment and a ticker's resource type
  std::string_view singular;       // "cluster": how messages and the CLI name one
  std::string_view parent;         // the owning kind's name ("Cluster"), "" for a top-level kind
  std::string_view id_variable;    // "cluster_id": an adapter's template variable for its id
  std::string_view event_type;     // the CloudEvent type of its change events
  std::string_view default_topic;  // the broker topic its change events go to by default
  int name_min_length = 3;         // bounds of `name`
  int name_max_length = 53;

  [[nodiscard]] bool HasParent() const { return !parent.empty(); }
  // "{kApiBasePath}/{plural}/{id}": the canonical href of one resource (the flat route).
  [[nodiscard]] std::string Href(std::string_view id) const;
};

inline constexpr ResourceKind kCluster{"Cluster",
                                       "clusters",
                                       "cluster",
                                       "",
                                       "cluster_id",
                                       "com.redhat.hyperfleet.cluster.changed.v1",
                                       "hyperfleet.clusters.changed.v1",
                                       3,
                                       53};
inline constexpr ResourceKind kNodePool{"NodePool",
                                        "nodepools",
                                        "nodepool",
                                        "Cluster",
                                        "nodepool_id",
                                        "com.redhat.hyperfleet.nodepool.changed.v1",
                                        "hyperfleet.nodepools.changed.v1",
                                        3,
                                        15};

// Every kind served, parents before children.
inline constexpr std::array<const ResourceKind*, 2> kResourceKinds = {&kCluster, &kNodePool};

// The kind with that name ("Cluster") or plural ("clusters"); nullptr for any other text.
[[nodiscard]] const ResourceKind* FindKind(std::string_view name);
[[nodiscard]] const ResourceKind* FindKindByPlural(std::string_view plural);
// "clusters or nodepools": the plurals, for error messages.
[[nodiscard]] std::string KindPluralsText();

}  // namespace hf::model
