// The CloudEvent decoder (model/cloud_event.hpp), which adapters apply to every broker message:
// arbitrary bytes decode to an event or an Error, and an event that decodes re-encodes to one
// that decodes to the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/cloud_event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto event = hf::model::CloudEvent::Decode(text);
  if (!event) return 0;
  auto again = hf::model::CloudEvent::Decode(event->Encode());
  if (!again || again->id != event->id || again->type != event->type ||
      again->source != event->source || again->subject != event->subject ||
      again->traceparent != event->traceparent || again->data != event->data) {
    std::abort();  // what we encode must decode to itself
  }
  return 0;
}
