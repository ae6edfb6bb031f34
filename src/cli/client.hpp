#pragma once

#include <array>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/kinds.hpp"

namespace hf::cli {

enum class OutputFormat { kTable, kJson };

// The verbs of `hyperfleet clusters|nodepools <verb>`.
inline constexpr std::array<std::string_view, 8> kVerbs = {
    "create", "get", "list", "patch", "delete", "force-delete", "statuses", "watch"};

inline constexpr std::string_view kDefaultApiUrl = "http://localhost:8000";

// One client command line, as parsed by the CLI11 wiring (src/app/client_command.cpp).
// Fields a verb does not use are ignored.
struct Invocation {
  const model::ResourceKind* kind = &model::kCluster;
  std::string verb;                     // one of kVerbs
  std::string api_url{kDefaultApiUrl};  // --api-url / HYPERFLEET_API_URL
  std::string token_file;  // --token-file / HYPERFLEET_TOKEN_FILE: bearer token, wins over `token`
  std::string token;       // HYPERFLEET_TOKEN only (a secret never goes on a command line)
  std::string ca_file;     // --ca-file / HYPERFLEET_CA_FILE: trust for an https API
  OutputFormat output = OutputFormat::kTable;  // -o table|json
  std::string id;                              // the resource id (all but create and list)
  std::string parent_id;            // a child kind's parent (--cluster; optional for list)
  std::string name;                 // create
  std::optional<std::string> spec;  // create/patch: JSON or @FILE
  std::vector<std::string> labels;  // create/patch: key=value (patch replaces all)
  std::string search;               // list
  std::optional<int> page, size;    // list
  std::string order;                // list, e.g. "name asc"
  std::string reason;               // force-delete
  std::string timeout = "5m";       // watch: give up after this long
  std::string interval = "500ms";   // watch: poll period
};

// Runs one client command against the API. Results go to `out` (a table or, with -o json, the
// API's JSON pretty-printed); failures go to `err` as one line starting "error: ".
// Returns 0 on success; 1 when the API refused or failed, is unreachable, or `watch` timed
// out; 2 on bad usage (invalid --spec/--label/duration, missing --cluster, nothing to patch).
int Run(const Invocation& inv, std::ostream& out, std::ostream& err);

}  // namespace hf::cli
