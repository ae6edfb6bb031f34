// hyperfleet: one binary, one subcommand per component (docs/architecture.md#components).
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/commands.hpp"
#include "common/allocator.hpp"
#include "common/log.hpp"

int main(int argc, char** argv) {
  hf::TuneAllocator();
  CLI::App app{"HyperFleet: a control plane for the lifecycle of a fleet of clusters",
               "hyperfleet"};
  app.require_subcommand(1);
  app.set_version_flag("--version", HF_VERSION);
  hf::app::Settings settings;
  std::vector<std::unique_ptr<hf::app::SettingsLoader>> loaders;
  const std::vector<std::string> server = {
      "db",          "broker",      "pubsub-project", "rabbitmq-url", "topic",     "host",
      "health-host", "health-port", "metrics-host",   "metrics-port", "log-level", "log-format"};
  auto flags = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), server.begin(), server.end());
    return extra;
  };
  struct Sub {
    CLI::App* cmd;
    hf::app::SettingsLoader* loader;
    int (*run)(hf::app::Settings&, CLI::App&);
  };
  std::vector<Sub> subs;
  auto add = [&](const char* name, const char* help, std::vector<std::string> f,
                 int (*run)(hf::app::Settings&, CLI::App&)) {
    CLI::App* cmd = app.add_subcommand(name, help);
    loaders.push_back(std::make_unique<hf::app::SettingsLoader>(cmd, settings, f));
    subs.push_back({cmd, loaders.back().get(), run});
    return cmd;
  };
  add("api", "Serve the REST API (:8000), health (:8080) and metrics (:9090)",
      flags({"port", "with-outbox", "skip-migrations", "auth-enabled", "tls-cert-file",
             "tls-key-file"}),
      hf::app::RunApi);
  add("outbox", "Publish committed outbox events to the broker", flags({"skip-migrations"}),
      hf::app::RunOutbox);
  add("ticker", "Request events for resources that need reconciling",
      flags({"api-url", "resource-type", "poll-interval", "backoff-base", "backoff-max", "debounce",
             "max-age-ready", "token-file", "ca-file"}),
      hf::app::RunTicker);
  CLI::App* adapter = add("adapter", "Run one adapter from its config file",
                          flags({"api-url", "token-file", "ca-file"}), hf::app::RunAdapter);
  adapter->add_flag("--dry-run")
      ->description("Print what the adapter would do for --event, touching no API, broker or job");
  adapter->add_option("--event", "Dry-run: the event (a CloudEvent or its data), a JSON file");
  adapter->add_option("--api-responses",
                      "Dry-run: canned API answers, a JSON file {\"/clusters/ID\": {...}, ...}");
  adapter->add_option("--job",
                      "Dry-run: the job as the runner shows it, a JSON file "
                      "{phase, reason, message, data} (default: just created)");
  adapter->add_option("--kube-objects",
                      "Dry-run: the resources as the cluster shows them, a JSON file "
                      "{\"<resource name>\": {...object...} | null} (default: as applied)");
  add("migrate", "Apply pending database migrations", {"db", "log-level"}, hf::app::RunMigrate);
  add("dev", "Run everything in one process on embedded defaults",
      flags({"port", "data-dir", "adapters-dir", "skip-migrations", "poll-interval", "backoff-base",
             "backoff-max", "debounce", "max-age-ready", "auth", "allowed-hosts"}),
      hf::app::RunDev);
  hf::app::AddClientCommands(app);
  hf::app::AddExprCommands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // "hyperfleet bogus" fails as "a subcommand is required"; name the word instead.
    const CLI::App* at = &app;
    std::string path;  // "expr eval "
    for (bool deeper = true; deeper;) {
      deeper = false;
      for (const CLI::App* sub : at->get_subcommands()) {
        at = sub;
        path += sub->get_name() + " ";
        deeper = true;
        break;
      }
    }
    const std::string help = "(see hyperfleet " + path + "--help)";
    const auto left = at->remaining();
    if (!left.empty() && !left.front().starts_with('-')) {
      std::cerr << "hyperfleet: unknown command '" << left.front() << "' " << help << "\n";
    } else {
      std::cerr << "hyperfleet: " << e.what() << " " << help << "\n";
    }
    return 2;
  }
  if (const auto code = hf::app::RunExpr()) return *code;
  for (auto& sub : subs) {
    if (!sub.cmd->parsed()) continue;
    // The adapter's --config is its adapter YAML (read by RunAdapter), not a settings file.
    std::string adapter_yaml;
    if (sub.cmd->get_name() == "adapter") std::swap(adapter_yaml, settings.config_file);
    hf::app::ApplyCommandDefaults(sub.cmd->get_name(), settings);
    auto loaded = sub.loader->Load();
    if (sub.cmd->get_name() == "adapter") std::swap(adapter_yaml, settings.config_file);
    if (!loaded) {
      std::cerr << "hyperfleet " << sub.cmd->get_name() << ": " << loaded.error().message << "\n";
      return 2;
    }
    hf::app::ResolveListenAddresses(sub.cmd->get_name(), settings);
    if (!hf::log::SetLevel(settings.log_level)) {
      std::cerr << "hyperfleet: unknown log level '" << settings.log_level
                << "' (use debug, info, warn or error)\n";
      return 2;
    }
    const bool dev = sub.cmd->get_name() == "dev";
    if (!hf::log::SetFormat(settings.log_format.empty() ? (dev ? "text" : "json")
                                                        : settings.log_format)) {
      std::cerr << "hyperfleet: unknown log format '" << settings.log_format
                << "' (use json or text)\n";
      return 2;
    }
    return sub.run(settings, *sub.cmd);
  }
  return hf::app::RunClient(app);
}
