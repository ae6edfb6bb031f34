#include "cli/watcher.hpp"

#include <algorithm>
#include <ostream>
#include <thread>

#include "cli/event_wakeup.hpp"
#include "cli/watch.hpp"

namespace hf::cli {
namespace {

using Clock = std::chrono::steady_clock;
// While the event stream is open, the longest between two looks without an event.
constexpr Duration kStreamedInterval = std::chrono::seconds(5);

}  // namespace

std::string Explain(const Error& error) {
  if (error.code == ErrorCode::kInvalidArgument && error.message.starts_with("invalid API URL")) {
    return error.message + " (set --api-url or HYPERFLEET_API_URL)";
  }
  if (error.Transient() && error.message.starts_with("cannot reach")) {
    return error.message +
           "; start it with `hyperfleet dev` (or `make dev`), or point --api-url / "
           "HYPERFLEET_API_URL at a running API";
  }
  if (error.message.starts_with("the TLS certificate of")) {
    return error.message +
           " (set --ca-file or HYPERFLEET_CA_FILE to the CA that signed the API's certificate)";
  }
  if (error.code == ErrorCode::kUnauthenticated) {
    return error.message +
           "; send a valid token: HYPERFLEET_TOKEN_FILE (or --token-file) naming a file that "
           "holds one, or HYPERFLEET_TOKEN (`hyperfleet dev --auth` writes <data-dir>/token)";
  }
  if (error.code == ErrorCode::kPermissionDenied) {
    return error.message + " (the token's role is too weak for this command)";
  }
  return error.message;
}

int Watch(const client::ApiClient& api, const model::ResourceKind& kind, const std::string& id,
          const std::string& parent_id, const WatchOptions& options, std::ostream& out,
          std::ostream& err) {
  const std::string what(kind.singular);
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  Snapshot last;
  nlohmann::json resource, statuses;
  int64_t generation = -1;
  std::string transport_error;  // the last unanswered poll, reported once until it recovers
  EventWakeup wakeup(api, id, options.timeout);  // looks again at each event of the resource
  while (true) {
    auto remaining = std::chrono::duration_cast<Duration>(deadline - Clock::now());
    Duration call_timeout =
        std::clamp<Duration>(remaining, std::chrono::milliseconds(200), std::chrono::seconds(10));
    const client::CallOptions call{.traceparent = "", .deadline = call_timeout};
    auto got = api.Get(kind, id, parent_id, call);
    auto reports = got ? api.ListStatuses(kind, id, parent_id, call)
                       : Result<nlohmann::json>(Fail(got.error()));
    if (!reports) {
      const Error& e = reports.error();
      if (!e.Transient()) {
        err << "error: " << Explain(e) << "\n";
        return 1;
      }
      if (transport_error.empty()) err << "warning: " << Explain(e) << " (retrying)\n";
      transport_error = e.message;
    } else {
      transport_error.clear();
      resource = std::move(*got);
      statuses = std::move(*reports);
      const Time now = Now();
      int64_t current = resource.value("generation", int64_t{0});
      if (generation == -1 && !options.json) {
        out << "Watching " << what << " " << resource.value("name", "") << " ("
            << resource.value("id", "") << ") at generation " << current
            << " until Reconciled=True (timeout " << FormatDuration(options.timeout) << ")\n";
      } else if (current != generation && !options.json) {
        out << FormatTime(now).substr(11, 8) << "  generation " << generation << " -> " << current
            << "\n";
      }
      generation = current;
      Snapshot snap = TakeSnapshot(resource, statuses);
      for (const auto& change : Changes(last, snap)) {
        if (options.json) {
          out << ChangeJson(change, now).dump() << "\n";
        } else {
          out << FormatChange(change, now) << "\n";
        }
      }
      out.flush();
      last = std::move(snap);
      if (IsReconciled(resource)) {
        if (!options.json) {
          auto took = std::chrono::duration_cast<Duration>(Clock::now() - start);
          out << what << " " << resource.value("id", "") << " reconciled at generation "
              << generation << " (watched " << FormatDuration(took) << ")\n";
        }
        return 0;
      }
    }
    auto now = Clock::now();
    if (now >= deadline) {
      err << "error: timed out after " << FormatDuration(options.timeout) << ": " << what << " ";
      if (generation == -1) {
        err << "never observed: " << transport_error << "\n";
      } else {
        err << resource.value("id", "") << " is not reconciled at generation " << generation << ": "
            << DescribeMissing(resource, statuses)
            << (transport_error.empty() ? "" : "; last poll failed: " + transport_error) << "\n";
      }
      return 1;
    }
    const auto left = std::chrono::duration_cast<Duration>(deadline - now);
    wakeup.Wait(std::min(kStreamedInterval, left), std::min(options.interval, left));
  }
}

}  // namespace hf::cli
