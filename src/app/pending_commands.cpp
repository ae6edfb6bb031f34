// Subcommands whose components land in later issues: each states it plainly and fails.
#include <iostream>

#include "app/commands.hpp"

namespace hf::app {
namespace {

int NotYet(const char* name) {
  std::cerr << "hyperfleet " << name << ": not implemented yet in this build\n";
  return 1;
}

}  // namespace

int RunAdapter(Settings&, CLI::App&) { return NotYet("adapter"); }
int RunDev(Settings&, CLI::App&) { return NotYet("dev"); }

void AddClientCommands(CLI::App& app) {
  for (const char* kind : {"clusters", "nodepools"}) {
    auto* cmd = app.add_subcommand(kind, std::string("Manage ") + kind + " through the API");
    cmd->require_subcommand(1);
    for (const char* verb : {"create", "get", "list", "patch", "delete", "force-delete",
                             "statuses", "watch"}) {
      cmd->add_subcommand(verb, std::string(verb) + " " + kind);
    }
  }
}

int RunClient(CLI::App&) { return NotYet("clusters/nodepools"); }

}  // namespace hf::app
