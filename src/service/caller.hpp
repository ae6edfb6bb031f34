#pragma once

#include <string>

namespace hf::service {

// Who is asking, for audit fields and logs, and the trace context to carry into events.
struct Caller {
  std::string actor = "system@hyperfleet.local";
  std::string traceparent;
  std::string request_id;
};

}  // namespace hf::service
