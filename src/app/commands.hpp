#pragma once

#include <CLI/CLI.hpp>
#include <optional>

#include "app/settings.hpp"

namespace hf::app {

// Each returns the process exit code: 0 ok, 1 runtime failure, 2 bad usage or config.
int RunApi(Settings& s, CLI::App& cmd);
int RunOutbox(Settings& s, CLI::App& cmd);
int RunTicker(Settings& s, CLI::App& cmd);
int RunAdapter(Settings& s, CLI::App& cmd);
int RunMigrate(Settings& s, CLI::App& cmd);
int RunDev(Settings& s, CLI::App& cmd);

// The client subcommands (clusters, nodepools) and their dispatch.
void AddClientCommands(CLI::App& app);
int RunClient(CLI::App& app);

// The `expr` subcommands (expr eval), which need no settings. RunExpr returns the exit code when
// one of them was given, nullopt otherwise.
void AddExprCommands(CLI::App& app);
std::optional<int> RunExpr();

}  // namespace hf::app
