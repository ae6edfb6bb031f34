// `hyperfleet outbox`: publishes committed outbox rows to the broker (replicas share the work).
#include "app/commands.hpp"
#include "app/components.hpp"
#include "common/log.hpp"
#include "common/signals.hpp"

namespace hf::app {

int RunOutbox(Settings& s, CLI::App&) {
  BlockTerminationSignals();
  auto opened = OpenStore(s);
  if (!opened) return StartupFailure("outbox", opened.error());
  store::Store& store = **opened;
  auto publishing = OpenOutbox(s, store);
  if (!publishing) return StartupFailure("outbox", publishing.error());
  outbox::Reconciler& reconciler = *publishing->reconciler;
  OpsServers ops(s, [&store, &reconciler] { return NotReadyReason(store, &reconciler); });
  if (auto started = ops.Start(); !started) return StartupFailure("outbox", started.error());
  reconciler.Start();
  log::Logger("outbox").Info("publishing", {{"broker", publishing->broker->Type()},
                                            {"db", s.db.substr(0, s.db.find(':'))}});
  WaitForTerminationSignal();
  ops.draining() = true;
  reconciler.Stop();
  ops.Stop();
  return 0;
}

}  // namespace hf::app
