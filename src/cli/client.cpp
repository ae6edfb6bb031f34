#include "cli/client.hpp"

#include <ostream>

#include "cli/api_client.hpp"
#include "cli/arguments.hpp"
#include "cli/views.hpp"
#include "cli/watcher.hpp"
#include "common/http_message.hpp"

namespace hf::cli {
namespace {

using nlohmann::json;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

int Usage(std::ostream& err, const std::string& message) {
  err << "error: " << message << "\n";
  return kUsage;
}

int Failed(std::ostream& err, const Error& error) {
  err << "error: " << error.message << "\n";
  return kFailed;
}

// Where a verb's requests go, and how messages name the resource.
struct Target {
  std::string what;        // "cluster" / "nodepool"
  std::string plural;      // "clusters" / "nodepools"
  std::string collection;  // "/clusters" or "/clusters/{cid}/nodepools" (or "/nodepools")
  std::string item;        // collection + "/{id}"
  std::string command;     // "hyperfleet nodepools" plus " … --cluster CID" suffix for hints
  std::string suffix;
};

Target TargetOf(const Invocation& inv) {
  Target t;
  if (inv.kind == ResourceKind::kCluster) {
    t = {"cluster", "clusters", "/clusters", "", "hyperfleet clusters", ""};
  } else {
    t = {"nodepool", "nodepools", "/nodepools", "", "hyperfleet nodepools", ""};
    if (!inv.cluster.empty()) {
      t.collection = "/clusters/" + http::UrlEncode(inv.cluster) + "/nodepools";
      t.suffix = " --cluster " + inv.cluster;
    }
  }
  t.item = t.collection + "/" + http::UrlEncode(inv.id);
  return t;
}

void PrintJson(std::ostream& out, const json& body) {
  if (!body.is_null()) out << body.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

// The create/patch body fields from --spec and --label; a usage error message on failure.
Result<json> BodyFields(const Invocation& inv, bool patch) {
  json body = json::object();
  if (inv.spec) {
    body["spec"] = HF_TRY(ParseSpec(*inv.spec));
  } else if (!patch) {
    body["spec"] = json::object();
  }
  if (!inv.labels.empty()) body["labels"] = HF_TRY(ParseLabels(inv.labels));
  return body;
}

}  // namespace

int Run(const Invocation& inv, std::ostream& out, std::ostream& err) {
  const Target t = TargetOf(inv);
  const bool json_out = inv.output == OutputFormat::kJson;
  const bool needs_id = inv.verb != "create" && inv.verb != "list";
  if (inv.kind == ResourceKind::kNodePool && inv.cluster.empty() && inv.verb != "list") {
    return Usage(err, "nodepools " + inv.verb + " needs --cluster CLUSTER_ID");
  }
  if (needs_id && inv.id.empty()) return Usage(err, t.plural + " " + inv.verb + " needs an ID");
  const ApiClient api(inv.api_url);

  if (inv.verb == "create") {
    if (inv.name.empty()) return Usage(err, t.plural + " create needs --name NAME");
    auto body = BodyFields(inv, /*patch=*/false);
    if (!body) return Usage(err, body.error().message);
    (*body)["kind"] = inv.kind == ResourceKind::kCluster ? "Cluster" : "NodePool";
    (*body)["name"] = inv.name;
    auto created = api.Call("POST", t.collection, *body);
    if (!created) return Failed(err, created.error());
    if (json_out) {
      PrintJson(out, *created);
    } else {
      out << RenderResource(*created, Now()) << "\nWatch it reconcile: " << t.command << " watch "
          << created->value("id", "") << t.suffix << "\n";
    }
    return kOk;
  }
  if (inv.verb == "get" || inv.verb == "patch") {
    Result<json> r = json();
    if (inv.verb == "get") {
      r = api.Call("GET", t.item);
    } else {
      auto body = BodyFields(inv, /*patch=*/true);
      if (!body) return Usage(err, body.error().message);
      if (body->empty()) return Usage(err, t.plural + " patch needs --spec and/or --label");
      r = api.Call("PATCH", t.item, *body);
    }
    if (!r) return Failed(err, r.error());
    if (json_out) {
      PrintJson(out, *r);
    } else {
      out << RenderResource(*r, Now());
    }
    return kOk;
  }
  if (inv.verb == "list") {
    std::string query;
    auto param = [&](const char* key, const std::string& value) {
      query += (query.empty() ? "?" : "&") + std::string(key) + "=" + http::UrlEncode(value);
    };
    if (inv.page) param("page", std::to_string(*inv.page));
    if (inv.size) param("size", std::to_string(*inv.size));
    if (!inv.search.empty()) param("search", inv.search);
    if (!inv.order.empty()) param("order", inv.order);
    auto page = api.Call("GET", t.collection + query);
    if (!page) return Failed(err, page.error());
    if (json_out) {
      PrintJson(out, *page);
    } else {
      bool with_cluster = inv.kind == ResourceKind::kNodePool && inv.cluster.empty();
      out << RenderResourceList(*page, t.plural, with_cluster, Now());
    }
    return kOk;
  }
  if (inv.verb == "delete") {
    auto r = api.Call("DELETE", t.item);
    if (!r) return Failed(err, r.error());
    if (json_out) {
      PrintJson(out, *r);
    } else {
      out << "Deletion of " << t.what << " " << r->value("name", "") << " (" << inv.id
          << ") requested; it is removed once every adapter has finalized it.\n";
    }
    return kOk;
  }
  if (inv.verb == "force-delete") {
    if (inv.reason.empty()) return Usage(err, t.plural + " force-delete needs --reason TEXT");
    auto r = api.Call("POST", t.item + "/force-delete", json{{"reason", inv.reason}});
    if (!r) return Failed(err, r.error());
    if (json_out) {
      PrintJson(out, *r);
    } else {
      out << "Force-deleted " << t.what << " " << inv.id << ".\n";
    }
    return kOk;
  }
  if (inv.verb == "statuses") {
    auto page = api.Call("GET", t.item + "/statuses?size=100");
    if (!page) return Failed(err, page.error());
    if (json_out) {
      PrintJson(out, *page);
    } else {
      out << RenderStatuses(*page, Now());
    }
    return kOk;
  }
  if (inv.verb == "watch") {
    auto timeout = ParseDuration(inv.timeout);
    if (!timeout) return Usage(err, "invalid --timeout '" + inv.timeout + "'");
    auto interval = ParseDuration(inv.interval);
    if (!interval || interval->count() <= 0) {
      return Usage(err, "invalid --interval '" + inv.interval + "' (use e.g. 500ms or 2s)");
    }
    return Watch(api, t.item, t.what, {*timeout, *interval, json_out}, out, err);
  }
  return Usage(err, "unknown command '" + inv.verb + "'");
}

}  // namespace hf::cli
