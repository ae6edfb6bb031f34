#pragma once

namespace hf::service {

// Size caps on what a client may store, well below the HTTP body limit (1 MiB), so the memory a
// request or a list page takes stays bounded. Each is the setting of the same name (README:
// Limits; HYPERFLEET_<NAME> in upper case), at least 1, and published in the served OpenAPI
// document. Label keys and values keep Kubernetes' fixed bounds (name 63, prefix 253, value 63).
struct Limits {
  int spec_max_bytes = 64 * 1024;           // a resource's spec, as compact JSON
  int labels_max_count = 64;                // labels per resource
  int conditions_max_count = 32;            // conditions in one status report
  int condition_reason_max_length = 256;    // characters of a reported condition's reason
  int condition_message_max_length = 4096;  // characters of a reported condition's message
  int status_data_max_bytes = 16 * 1024;    // a status report's `data`, as compact JSON
  int list_max_bytes = 8 * 1024 * 1024;     // the items of one list page, as JSON: the page
                                            // ends before the item that would pass it (the
                                            // first item is always returned)
};

}  // namespace hf::service
