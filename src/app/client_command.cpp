// The client subcommands `hyperfleet clusters|nodepools <verb>`: CLI11 wiring for src/cli.
#include <cstdlib>
#include <iostream>
#include <list>

#include "app/commands.hpp"
#include "cli/client.hpp"

namespace hf::app {
namespace {

// One `<kind> <verb>` subcommand and the values CLI11 parses into (stable addresses).
struct ClientLeaf {
  CLI::App* cmd = nullptr;
  cli::Invocation inv;
  std::string output = "table";
  std::string spec;
  CLI::Option* spec_option = nullptr;
  int page = 0, size = 0;
  CLI::Option* page_option = nullptr;
  CLI::Option* size_option = nullptr;
};

// The leaves registered by AddClientCommands; read by RunClient in the same process run.
std::list<ClientLeaf>& Leaves() {
  static std::list<ClientLeaf> leaves;
  return leaves;
}

const char* Help(std::string_view verb) {
  if (verb == "create") return "Create one (spec {} unless --spec)";
  if (verb == "get") return "Show one with its conditions";
  if (verb == "list") return "List them (paged, with --search and --order)";
  if (verb == "patch") return "Change the spec and/or replace the labels";
  if (verb == "delete") return "Request deletion (adapters finalize, then it is removed)";
  if (verb == "force-delete") return "Remove at once without waiting for adapters";
  if (verb == "statuses") return "Show every adapter's reported conditions";
  return "Follow adapter conditions until Reconciled=True or the timeout";
}

void AddLeaf(CLI::App& group, const model::ResourceKind& kind, std::string_view verb) {
  ClientLeaf& leaf = Leaves().emplace_back();
  leaf.inv.kind = &kind;
  leaf.inv.verb = std::string(verb);
  CLI::App* cmd = group.add_subcommand(std::string(verb), Help(verb));
  leaf.cmd = cmd;
  cmd->add_option("--api-url", leaf.inv.api_url, "HyperFleet API base URL")
      ->envname("HYPERFLEET_API_URL")
      ->capture_default_str();
  cmd->add_option("--token-file", leaf.inv.token_file,
                  "File holding the bearer token (or set HYPERFLEET_TOKEN)")
      ->envname("HYPERFLEET_TOKEN_FILE");
  cmd->add_option("--ca-file", leaf.inv.ca_file, "CA bundle for an https API URL")
      ->envname("HYPERFLEET_CA_FILE");
  if (const char* token = std::getenv("HYPERFLEET_TOKEN")) leaf.inv.token = token;
  cmd->add_option("-o,--output", leaf.output, "Output format: table (for people) or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  const bool takes_id = verb != "create" && verb != "list";
  if (kind.HasParent()) {
    const model::ResourceKind& parent = *model::FindKind(kind.parent);
    auto* option = cmd->add_option("--" + std::string(parent.singular), leaf.inv.parent_id,
                                   "Parent " + std::string(parent.singular) + " ID");
    if (verb != "list") option->required();
  }
  if (takes_id) cmd->add_option("id", leaf.inv.id, std::string(kind.name) + " ID")->required();
  if (verb == "create") cmd->add_option("--name", leaf.inv.name, "Name (unique)")->required();
  if (verb == "create" || verb == "patch") {
    leaf.spec_option =
        cmd->add_option("--spec", leaf.spec, "Spec as a JSON object, or @FILE holding one");
    cmd->add_option("--label", leaf.inv.labels,
                    verb == "patch" ? "Label key=value (repeatable; replaces all labels)"
                                    : "Label key=value (repeatable)")
        ->allow_extra_args(false);
  }
  if (verb == "list") {
    cmd->add_option("--search", leaf.inv.search, "Search expression, e.g. \"name='c1'\"");
    leaf.page_option = cmd->add_option("--page", leaf.page, "Page number (from 1)");
    leaf.size_option = cmd->add_option("--size", leaf.size, "Page size (1-100)");
    cmd->add_option("--order", leaf.inv.order, "Order, e.g. \"created_time desc\"");
  }
  if (verb == "force-delete") {
    cmd->add_option("--reason", leaf.inv.reason, "Why (recorded in the log)")->required();
  }
  if (verb == "watch") {
    cmd->add_option("--timeout", leaf.inv.timeout, "Give up after this long")
        ->capture_default_str();
    cmd->add_option("--interval", leaf.inv.interval, "Poll period")->capture_default_str();
  }
}

}  // namespace

void AddClientCommands(CLI::App& app) {
  for (const model::ResourceKind* kind : model::kResourceKinds) {
    const std::string plural(kind->plural);
    CLI::App* group = app.add_subcommand(plural, "Manage " + plural + " through the API");
    group->require_subcommand(1);
    for (std::string_view verb : cli::kVerbs) AddLeaf(*group, *kind, verb);
  }
}

int RunClient(CLI::App&) {
  for (ClientLeaf& leaf : Leaves()) {
    if (!leaf.cmd->parsed()) continue;
    cli::Invocation inv = leaf.inv;
    inv.output = leaf.output == "json" ? cli::OutputFormat::kJson : cli::OutputFormat::kTable;
    if (leaf.spec_option && leaf.spec_option->count() > 0) inv.spec = leaf.spec;
    if (leaf.page_option && leaf.page_option->count() > 0) inv.page = leaf.page;
    if (leaf.size_option && leaf.size_option->count() > 0) inv.size = leaf.size;
    return cli::Run(inv, std::cout, std::cerr);
  }
  std::cerr << "hyperfleet: no command given (see hyperfleet --help)\n";
  return 2;
}

}  // namespace hf::app
