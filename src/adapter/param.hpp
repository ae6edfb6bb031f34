#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapter/field_path.hpp"
#include "adapter/text_template.hpp"
#include "common/result.hpp"
#include "expr/expr.hpp"

namespace hf::adapter {

// Where a param's value comes from (YAML: exactly one of these keys).
enum class ParamSource {
  kEvent,       // event: <field path> into the event's data (id, kind, reason, …)
  kResource,    // resource: <field path> into the fetched resource
  kEnv,         // env: <variable> of the adapter process
  kFile,        // file: <path>, read at each event (at most 1 MiB, surrounding whitespace trimmed)
  kApi,         // api: <path template> GET under /api/hyperfleet/v1 with the adapter's token
  kExpression,  // expression: <CEL> over the resource, the event and the earlier params
  kValue,       // value: <any YAML value>
};

// How text from env or file is converted (YAML `type`; default string).
enum class ParamType { kString, kInt, kDouble, kBool, kJson };

// One named value an adapter's expressions see as a variable. Params resolve in order, once per
// event; a later one may use the earlier ones.
struct Param {
  std::string name;  // a CEL identifier, not one of the reserved variables (kReservedVariables)
  ParamSource source = ParamSource::kValue;
  std::optional<FieldPath> path;         // kEvent, kResource
  std::string text;                      // kEnv: the variable; kFile: the (resolved) path
  std::optional<TextTemplate> api_path;  // kApi; substituted values are URL-encoded
  std::optional<expr::Program> program;  // kExpression
  nlohmann::json value;                  // kValue
  ParamType type = ParamType::kString;   // kEnv, kFile
  // Used when the source yields nothing: a missing field, an unset variable, a missing file, an
  // API 404. Without a default such a param is an error, unless `required` is false (then null).
  std::optional<nlohmann::json> default_value;
  bool required = true;
};

// The variables of an adapter's expressions that are not params (adapter_config.hpp).
inline constexpr std::string_view kReservedVariables[] = {
    "adapter",     "resource", "event",         "generation", "cluster_id",
    "nodepool_id", "job",      "preconditions", "defaults",   "resources"};

// GETs a path under the API's base path (e.g. "/clusters/abc/statuses"): the adapter's API
// client, or canned answers in a dry-run. kNotFound for a 404.
using ApiGet = std::function<Result<nlohmann::json>(const std::string& path)>;

// What params are taken from besides each other.
struct ParamInputs {
  const nlohmann::json& resource;  // the fetched resource
  const nlohmann::json& event;     // the event's data
  ApiGet get;
};

// True when a param may read a resource's status: an api param (it may read anyone's), a
// resource field under `status`, an expression that names `status`.
bool ReadsStatus(const std::vector<Param>& params);

// Resolves `params` in order into `vars` (which already holds resource, event and adapter).
// Errors: kInvalidArgument "params.<name>: <problem>" (a required value missing, a conversion or
// expression failure, a 4xx answer); the API's own error when it is transient (kUnavailable,
// kDeadlineExceeded: retry the event later).
Result<void> ResolveParams(const std::vector<Param>& params, const ParamInputs& in,
                           expr::Activation& vars);

}  // namespace hf::adapter
