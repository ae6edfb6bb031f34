#include "ticker/fleet_api.hpp"

namespace hf::ticker {
namespace {

const model::ResourceKind& KindOf(const std::string& plural) {
  const model::ResourceKind* kind = model::FindKindByPlural(plural);
  return kind ? *kind : model::kCluster;
}

client::ClientOptions ClientOptionsOf(const HttpFleetApiOptions& o) {
  client::ClientOptions c;
  c.api_url = o.base_url;
  c.user_agent = "hyperfleet-ticker/" HF_VERSION;
  c.timeout = o.timeout;
  c.cancel = o.cancel;
  c.token = o.token;
  c.ca_file = o.ca_file;
  return c;
}

}  // namespace

HttpFleetApi::HttpFleetApi(const HttpFleetApiOptions& options)
    : kind_(KindOf(options.resource_type)),
      page_size_(options.page_size),
      api_(ClientOptionsOf(options)) {}

Result<std::vector<nlohmann::json>> HttpFleetApi::List(const std::string& search) {
  return api_.ListAll(kind_, search, page_size_);
}

Result<client::EventOutcome> HttpFleetApi::RequestEvent(const std::string& resource_id) {
  return api_.RequestEvent(kind_, resource_id);
}

}  // namespace hf::ticker
