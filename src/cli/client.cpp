#include "cli/client.hpp"

#include <ostream>

#include "cli/arguments.hpp"
#include "cli/views.hpp"
#include "cli/watcher.hpp"
#include "client/api_client.hpp"

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
  err << "error: " << Explain(error) << "\n";
  return kFailed;
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
  const model::ResourceKind& kind = *inv.kind;
  const std::string plural(kind.plural);
  const std::string what(kind.singular);
  const std::string parent_flag =
      kind.HasParent() ? "--" + std::string(model::FindKind(kind.parent)->singular) : "";
  // How hints name the command: "hyperfleet nodepools" … " --cluster CID".
  const std::string command = "hyperfleet " + plural;
  const std::string suffix = inv.parent_id.empty() ? "" : " " + parent_flag + " " + inv.parent_id;
  const bool json_out = inv.output == OutputFormat::kJson;
  const bool needs_id = inv.verb != "create" && inv.verb != "list";
  if (kind.HasParent() && inv.parent_id.empty() && inv.verb != "list") {
    return Usage(err, plural + " " + inv.verb + " needs " + parent_flag + " ID");
  }
  if (needs_id && inv.id.empty()) return Usage(err, plural + " " + inv.verb + " needs an ID");
  const client::ApiClient api({.api_url = inv.api_url,
                               .timeout = std::chrono::seconds(15),
                               .token = !inv.token_file.empty()
                                            ? client::TokenFromFile(inv.token_file)
                                        : !inv.token.empty() ? client::FixedToken(inv.token)
                                                             : client::TokenSource{},
                               .ca_file = inv.ca_file});

  if (inv.verb == "create") {
    if (inv.name.empty()) return Usage(err, plural + " create needs --name NAME");
    auto body = BodyFields(inv, /*patch=*/false);
    if (!body) return Usage(err, body.error().message);
    (*body)["kind"] = kind.name;
    (*body)["name"] = inv.name;
    auto created = api.Create(kind, *body, inv.parent_id);
    if (!created) return Failed(err, created.error());
    if (json_out) {
      PrintJson(out, *created);
    } else {
      out << RenderResource(*created, Now()) << "\nWatch it reconcile: " << command << " watch "
          << created->value("id", "") << suffix << "\n";
    }
    return kOk;
  }
  if (inv.verb == "get" || inv.verb == "patch") {
    Result<json> r = json();
    if (inv.verb == "get") {
      r = api.Get(kind, inv.id, inv.parent_id);
    } else {
      auto body = BodyFields(inv, /*patch=*/true);
      if (!body) return Usage(err, body.error().message);
      if (body->empty()) return Usage(err, plural + " patch needs --spec and/or --label");
      r = api.Patch(kind, inv.id, *body, inv.parent_id);
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
    auto page = api.List(kind, {inv.search, inv.order, inv.page, inv.size}, inv.parent_id);
    if (!page) return Failed(err, page.error());
    if (json_out) {
      PrintJson(out, *page);
    } else {
      const bool with_parent = kind.HasParent() && inv.parent_id.empty();
      out << RenderResourceList(*page, plural, with_parent, Now());
    }
    return kOk;
  }
  if (inv.verb == "delete") {
    auto r = api.Delete(kind, inv.id, inv.parent_id);
    if (!r) return Failed(err, r.error());
    if (json_out) {
      PrintJson(out, *r);
    } else {
      out << "Deletion of " << what << " " << r->value("name", "") << " (" << inv.id
          << ") requested; it is removed once every adapter has finalized it.\n";
    }
    return kOk;
  }
  if (inv.verb == "force-delete") {
    if (inv.reason.empty()) return Usage(err, plural + " force-delete needs --reason TEXT");
    auto r = api.ForceDelete(kind, inv.id, inv.reason, inv.parent_id);
    if (!r) return Failed(err, r.error());
    if (json_out) {
      PrintJson(out, *r);
    } else {
      out << "Force-deleted " << what << " " << inv.id << ".\n";
    }
    return kOk;
  }
  if (inv.verb == "statuses") {
    auto page = api.ListStatuses(kind, inv.id, inv.parent_id);
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
    return Watch(api, kind, inv.id, inv.parent_id, {*timeout, *interval, json_out}, out, err);
  }
  return Usage(err, "unknown command '" + inv.verb + "'");
}

}  // namespace hf::cli
