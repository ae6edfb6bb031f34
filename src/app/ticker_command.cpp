// `hyperfleet ticker`: the event ticker for one resource type
// (docs/architecture.md#the-flow-of-one-event).
#include <atomic>

#include "app/commands.hpp"
#include "app/components.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"
#include "ticker/ticker.hpp"

namespace hf::app {

int RunTicker(Settings& s, CLI::App&) {
  BlockTerminationSignals();
  ticker::TickerOptions options;
  options.resource_type = s.resource_type;
  options.poll_interval = s.poll_interval;
  options.decision.backoff_base = s.backoff_base;
  options.decision.backoff_max = s.backoff_max;
  options.decision.debounce = s.debounce;
  options.decision.max_age_ready = s.max_age_ready;
  options.decision.resource_selector = s.resource_selector;
  if (auto valid = ticker::Validate(options); !valid)
    return StartupFailure("ticker", valid.error());

  std::atomic<bool> stopping{false};
  ticker::HttpFleetApiOptions api_options;
  api_options.base_url = s.api_url;
  api_options.resource_type = s.resource_type;
  api_options.cancel = &stopping;
  if (!s.token_file.empty()) api_options.token = client::TokenFromFile(s.token_file);
  api_options.ca_file = s.ca_file;
  ticker::HttpFleetApi api(api_options);
  ticker::Ticker ticker(api, options);
  OpsServers ops(
      s, [&ticker] { return ticker.Readiness(); }, [&ticker] { return ticker.Liveness(); });
  if (auto started = ops.Start(); !started) return StartupFailure("ticker", started.error());
  ticker.Start();
  const log::Logger log("ticker");
  log.Info("polling", {{"api_url", s.api_url},
                       {"resource_type", s.resource_type},
                       {"poll_interval", FormatDuration(s.poll_interval)},
                       {"backoff_base", FormatDuration(s.backoff_base)},
                       {"backoff_max", FormatDuration(s.backoff_max)},
                       {"debounce", FormatDuration(s.debounce)},
                       {"max_age_ready", FormatDuration(s.max_age_ready)},
                       {"resource_selector", s.resource_selector}});
  const int sig = WaitForTerminationSignal();
  log.Info("stopping", {{"signal", sig}});
  ops.draining() = true;
  stopping = true;
  ticker.Stop();
  ops.Stop();
  log.Info("stopped");
  return 0;
}

}  // namespace hf::app
