#pragma once

#include <iosfwd>
#include <string>

#include "client/api_client.hpp"
#include "common/time.hpp"

namespace hf::cli {

struct WatchOptions {
  Duration timeout = std::chrono::minutes(5);          // give up after this long
  Duration interval = std::chrono::milliseconds(500);  // poll period without the event stream
  bool json = false;  // one JSON object per change instead of text lines
};

// Polls the resource `id` of `kind` (under `parent_id`, "" for the flat route) and its statuses
// at each of its events on GET /events/stream (every `interval` against an API without the
// stream, or while it is down) until the resource is Reconciled=True at its current
// generation, printing to `out` a line per adapter/Reconciled condition change (see
// FormatChange). `what` names the resource in messages ("cluster"). Returns 0 once reconciled;
// 1 on timeout (err: what is still missing, see DescribeMissing) or when the resource is gone or
// the API refuses. An unreachable API is retried until the timeout, noted once on `err`.
int Watch(const client::ApiClient& api, const model::ResourceKind& kind, const std::string& id,
          const std::string& parent_id, const WatchOptions& options, std::ostream& out,
          std::ostream& err);

// The one line the CLI prints for a failed call: the error's message plus what to do next when
// the API cannot be reached or its URL is malformed.
[[nodiscard]] std::string Explain(const Error& error);

}  // namespace hf::cli
