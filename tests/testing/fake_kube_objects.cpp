#include "testing/fake_kube_objects.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <regex>

#include "common/yaml_json.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
using Pointer = json::json_pointer;

json StatusBody(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
          {"status", "Failure"}, {"reason", reason},   {"message", message},
          {"code", code}};
}

FakeKubeObjects::Reply Failure(int code, const std::string& reason, const std::string& message) {
  return {code, StatusBody(code, reason, message)};
}

std::string Now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  return s;
}

// One requirement of a label selector.
struct Requirement {
  std::string key;
  std::string op;  // =, !=, in, notin, exists, !exists
  std::set<std::string> values;
};

// Parses a label selector; nullopt when malformed.
std::optional<std::vector<Requirement>> ParseSelector(const std::string& selector) {
  std::vector<Requirement> out;
  std::vector<std::string> terms;
  int depth = 0;
  std::string term;
  for (char c : selector) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      terms.push_back(term);
      term.clear();
    } else {
      term.push_back(c);
    }
  }
  if (!term.empty() || !terms.empty()) terms.push_back(term);
  static const std::regex kSet(R"(^([A-Za-z0-9./_-]+)\s+(in|notin)\s*\(([^()]*)\)$)");
  static const std::regex kKey(R"(^!?[A-Za-z0-9./_-]+$)");
  for (const std::string& raw : terms) {
    const std::string t = Trim(raw);
    if (t.empty()) return std::nullopt;
    std::smatch m;
    Requirement r;
    if (std::regex_match(t, m, kSet)) {
      r.key = m[1];
      r.op = m[2];
      std::string list = m[3];
      size_t start = 0;
      while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        r.values.insert(Trim(list.substr(start, comma - start)));
        start = comma + 1;
      }
    } else if (auto ne = t.find("!="); ne != std::string::npos) {
      r = {Trim(t.substr(0, ne)), "!=", {Trim(t.substr(ne + 2))}};
    } else if (auto eqeq = t.find("=="); eqeq != std::string::npos) {
      r = {Trim(t.substr(0, eqeq)), "=", {Trim(t.substr(eqeq + 2))}};
    } else if (auto eq = t.find('='); eq != std::string::npos) {
      r = {Trim(t.substr(0, eq)), "=", {Trim(t.substr(eq + 1))}};
    } else if (std::regex_match(t, kKey)) {
      r = t[0] == '!' ? Requirement{t.substr(1), "!exists", {}} : Requirement{t, "exists", {}};
    } else {
      return std::nullopt;
    }
    if (r.key.empty() || !std::regex_match(r.key, kKey)) return std::nullopt;
    out.push_back(std::move(r));
  }
  return out;
}

bool Selects(const std::vector<Requirement>& selector, const json& object) {
  const json labels = object["metadata"].value("labels", json::object());
  for (const auto& r : selector) {
    const bool has = labels.contains(r.key);
    const std::string value =
        has && labels[r.key].is_string() ? labels[r.key].get<std::string>() : std::string();
    bool ok = false;
    if (r.op == "exists") ok = has;
    if (r.op == "!exists") ok = !has;
    if (r.op == "=" || r.op == "in") ok = has && r.values.contains(value);
    if (r.op == "!=" || r.op == "notin") ok = !has || !r.values.contains(value);
    if (!ok) return false;
  }
  return true;
}

// The server-set metadata fields an apply or update does not own or replace.
constexpr const char* kSystemMetadata[] = {"uid",        "resourceVersion",   "creationTimestamp",
                                           "generation", "deletionTimestamp", "managedFields"};

// The JSON pointers of the leaf fields of an applied configuration: scalars, lists and empty
// maps; identity (apiVersion, kind, metadata.name/namespace), status and server-set metadata
// are not fields a manager owns.
void Leaves(const json& value, const Pointer& at, std::set<std::string>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, child] : value.items()) {
      const Pointer p = at / key;
      const std::string s = p.to_string();
      if (s == "/apiVersion" || s == "/kind" || s == "/status" || s == "/metadata/name" ||
          s == "/metadata/namespace") {
        continue;
      }
      if (at.to_string() == "/metadata" &&
          std::ranges::find(kSystemMetadata, key) != std::end(kSystemMetadata)) {
        continue;
      }
      Leaves(child, p, out);
    }
    return;
  }
  if (!at.empty()) out.insert(at.to_string());
}

// managedFields' FieldsV1 for a set of leaf pointers: {"f:metadata": {"f:labels": {...}}}.
json FieldsV1(const std::set<std::string>& leaves) {
  json out = json::object();
  for (const auto& leaf : leaves) {
    json* node = &out;
    for (const auto& token : SplitPath(leaf)) {
      std::string key = token;
      for (size_t at; (at = key.find("~1")) != std::string::npos;) key.replace(at, 2, "/");
      for (size_t at; (at = key.find("~0")) != std::string::npos;) key.replace(at, 2, "~");
      node = &(*node)["f:" + key];
    }
    if (node->is_null()) *node = json::object();
  }
  return out;
}

// Removes the field at `p` and the maps it leaves empty (up to, not including, metadata and the
// top level).
void EraseField(json& object, Pointer p) {
  while (!p.empty()) {
    const Pointer parent = p.parent_pointer();
    if (!object.contains(parent) || !object[parent].is_object()) return;
    object[parent].erase(p.back());
    if (!object[parent].empty() || parent.empty() || parent.to_string() == "/metadata") return;
    p = parent;
  }
}

bool ValidName(const std::string& n, bool label) {
  if (n.empty() || n.size() > (label ? 63u : 253u)) return false;
  static const std::regex kLabel("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  static const std::regex kSubdomain(
      "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
  return std::regex_match(n, label ? kLabel : kSubdomain);
}

std::string ApiVersionOf(const FakeKubeObjects::Kind& k) {
  return k.group.empty() ? k.version : k.group + "/" + k.version;
}

// "configmaps" for core, "deployments.apps" otherwise: how messages name a resource.
std::string Resource(const FakeKubeObjects::Kind& k) {
  return k.group.empty() ? k.plural : k.plural + "." + k.group;
}

// Everything but metadata and status: what bumps metadata.generation when it changes.
json SpecPart(json object) {
  if (object.is_object()) {
    object.erase("metadata");
    object.erase("status");
  }
  return object;
}

json Parse(const std::string& body, const std::string& content_type) {
  json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_discarded()) return parsed;
  if (content_type.find("yaml") == std::string::npos) return nullptr;
  try {
    return YamlToJson(YAML::Load(body));
  } catch (const YAML::Exception&) {
    return nullptr;
  }
}

}  // namespace

FakeKubeObjects::FakeKubeObjects() {
  kinds_ = {
      {"", "v1", "Namespace", "namespaces", false},
      {"", "v1", "ConfigMap", "configmaps", true},
      {"", "v1", "Secret", "secrets", true},
      {"", "v1", "ServiceAccount", "serviceaccounts", true},
      {"", "v1", "Service", "services", true},
      {"", "v1", "Pod", "pods", true, false},
      {"apps", "v1", "Deployment", "deployments", true},
      {"batch", "v1", "Job", "jobs", true, false},
  };
  for (const char* ns : {"default", "kube-system", "kube-public"}) {
    json object = {{"apiVersion", "v1"},
                   {"kind", "Namespace"},
                   {"metadata", {{"name", ns}, {"uid", "uid-" + std::to_string(++uid_)}}},
                   {"status", {{"phase", "Active"}}}};
    Stamp(object);
    objects_[KeyOf(kinds_[0], "", ns)] = {object, {}};
  }
}

FakeKubeObjects::Key FakeKubeObjects::KeyOf(const Kind& kind, const std::string& ns,
                                            const std::string& name) {
  return {kind.group + "/" + kind.plural, kind.namespaced ? ns : "", name};
}

std::string FakeKubeObjects::Stamp(json& object) {
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  return object["metadata"]["resourceVersion"];
}

void FakeKubeObjects::AddKind(const Kind& kind) {
  std::lock_guard lock(mu_);
  kinds_.push_back(kind);
}

const FakeKubeObjects::Kind* FakeKubeObjects::FindKind(const std::string& group,
                                                       const std::string& version,
                                                       const std::string& plural) const {
  for (const auto& k : kinds_) {
    if (k.group == group && k.version == version && k.plural == plural) return &k;
  }
  return nullptr;
}

const FakeKubeObjects::Kind* FakeKubeObjects::FindKindByName(const std::string& api_version,
                                                             const std::string& kind) const {
  for (const auto& k : kinds_) {
    if (ApiVersionOf(k) == api_version && k.kind == kind) return &k;
  }
  return nullptr;
}

std::optional<json> FakeKubeObjects::Get(const std::string& api_version, const std::string& kind,
                                         const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  const Kind* k = FindKindByName(api_version, kind);
  if (k == nullptr) return std::nullopt;
  auto it = objects_.find(KeyOf(*k, ns, name));
  if (it == objects_.end()) return std::nullopt;
  return it->second.object;
}

bool FakeKubeObjects::SetStatus(const std::string& api_version, const std::string& kind,
                                const std::string& ns, const std::string& name,
                                const json& status) {
  std::lock_guard lock(mu_);
  const Kind* k = FindKindByName(api_version, kind);
  if (k == nullptr) return false;
  auto it = objects_.find(KeyOf(*k, ns, name));
  if (it == objects_.end()) return false;
  it->second.object["status"] = status;
  Stamp(it->second.object);
  return true;
}

bool FakeKubeObjects::RemoveFinalizers(const std::string& api_version, const std::string& kind,
                                       const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  const Kind* k = FindKindByName(api_version, kind);
  if (k == nullptr) return false;
  const Key key = KeyOf(*k, ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;
  it->second.object["metadata"].erase("finalizers");
  for (auto& [manager, fields] : it->second.owned) fields.erase("/metadata/finalizers");
  Stamp(it->second.object);
  Settle(key);
  return true;
}

void FakeKubeObjects::PauseGarbageCollector(bool paused) {
  std::lock_guard lock(mu_);
  gc_paused_ = paused;
}

size_t FakeKubeObjects::Count() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

FakeKubeObjects::Reply FakeKubeObjects::Handle(const std::string& method, const std::string& path,
                                               const std::map<std::string, std::string>& query,
                                               const std::string& content_type,
                                               const std::string& body) {
  std::lock_guard lock(mu_);
  if (!gc_paused_) CollectGarbage();
  const auto parts = SplitPath(path);
  const auto not_found = [] {
    return Failure(404, "NotFound", "the server could not find the requested resource");
  };
  // api/v1/... or apis/{group}/{version}/...
  size_t rest = 0;
  std::string group, version;
  if (!parts.empty() && parts[0] == "api" && parts.size() >= 2) {
    version = parts[1];
    rest = 2;
  } else if (!parts.empty() && parts[0] == "apis" && parts.size() >= 3) {
    group = parts[1];
    version = parts[2];
    rest = 3;
  }
  if (parts.size() <= rest || rest == 0) {
    return method == "GET" ? Discovery(parts) : not_found();
  }
  std::string ns, plural, name;
  if (parts[rest] == "namespaces" && parts.size() >= rest + 3) {
    ns = parts[rest + 1];
    plural = parts[rest + 2];
    if (parts.size() > rest + 3) name = parts[rest + 3];
    if (parts.size() > rest + 4) return not_found();  // subresources are not served
  } else {
    plural = parts[rest];
    if (parts.size() > rest + 1) name = parts[rest + 1];
    if (parts.size() > rest + 2) return not_found();
  }
  const Kind* found = FindKind(group, version, plural);
  if (found == nullptr || !found->handled) return not_found();
  const Kind kind = *found;
  if (!kind.namespaced && !ns.empty()) return not_found();

  if (name.empty()) {
    if (method == "GET") return List(kind, ns, query);
    if (method != "POST") return Failure(405, "MethodNotAllowed", "method not allowed");
    if (kind.namespaced && ns.empty()) return not_found();
    json object = Parse(body, content_type);
    if (!object.is_object()) return Failure(400, "BadRequest", "the body is not an object");
    return Create(kind, ns, object);
  }
  if (kind.namespaced && ns.empty()) return not_found();
  const Key key = KeyOf(kind, ns, name);
  if (method == "GET") {
    auto it = objects_.find(key);
    if (it == objects_.end()) {
      return Failure(404, "NotFound", Resource(kind) + " \"" + name + "\" not found");
    }
    return {200, it->second.object};
  }
  if (method == "PUT") {
    json object = Parse(body, content_type);
    if (!object.is_object()) return Failure(400, "BadRequest", "the body is not an object");
    return Update(kind, ns, name, object);
  }
  if (method == "PATCH") {
    if (content_type.rfind("application/apply-patch+yaml", 0) != 0) {
      return Failure(415, "UnsupportedMediaType",
                     "the fake API server supports only server-side apply patches, not '" +
                         content_type + "'");
    }
    const auto manager = query.find("fieldManager");
    if (manager == query.end() || manager->second.empty()) {
      return Failure(400, "BadRequest",
                     "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is "
                     "required for apply patch");
    }
    const auto force = query.find("force");
    json config = Parse(body, content_type);
    if (!config.is_object()) {
      return Failure(400, "BadRequest", "error decoding YAML: the body is not an object");
    }
    return Apply(kind, ns, name, config, manager->second,
                 force != query.end() && force->second == "true");
  }
  if (method == "DELETE") {
    std::string policy = "Background";
    if (auto q = query.find("propagationPolicy"); q != query.end()) policy = q->second;
    json options = json::parse(body, nullptr, false);
    if (options.is_object() && options.contains("propagationPolicy")) {
      policy = options.value("propagationPolicy", policy);
    }
    return Delete(kind, ns, name, policy);
  }
  return Failure(405, "MethodNotAllowed", "method not allowed");
}

FakeKubeObjects::Reply FakeKubeObjects::Discovery(const std::vector<std::string>& parts) const {
  if (parts.size() == 1 && parts[0] == "api") {
    return {200, {{"kind", "APIVersions"}, {"versions", {"v1"}}}};
  }
  if (parts.size() == 1 && parts[0] == "apis") {
    json groups = json::array();
    std::set<std::string> seen;
    for (const auto& k : kinds_) {
      if (k.group.empty() || !seen.insert(ApiVersionOf(k)).second) continue;
      json gv = {{"groupVersion", ApiVersionOf(k)}, {"version", k.version}};
      groups.push_back(
          {{"name", k.group}, {"versions", json::array({gv})}, {"preferredVersion", gv}});
    }
    return {200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}};
  }
  std::string group_version;
  if (parts.size() == 2 && parts[0] == "api") group_version = parts[1];
  if (parts.size() == 3 && parts[0] == "apis") group_version = parts[1] + "/" + parts[2];
  json resources = json::array();
  for (const auto& k : kinds_) {
    if (ApiVersionOf(k) != group_version) continue;
    std::string singular = k.kind;
    std::ranges::transform(singular, singular.begin(), [](char c) { return std::tolower(c); });
    resources.push_back({{"name", k.plural},
                         {"singularName", singular},
                         {"namespaced", k.namespaced},
                         {"kind", k.kind},
                         {"verbs", {"create", "delete", "get", "list", "patch", "update"}}});
  }
  if (resources.empty()) {
    return Failure(404, "NotFound", "the server could not find the requested resource");
  }
  return {200,
          {{"kind", "APIResourceList"}, {"groupVersion", group_version}, {"resources", resources}}};
}

FakeKubeObjects::Reply FakeKubeObjects::List(
    const Kind& kind, const std::string& ns,
    const std::map<std::string, std::string>& query) const {
  std::vector<Requirement> selector;
  if (auto s = query.find("labelSelector"); s != query.end() && !s->second.empty()) {
    auto parsed = ParseSelector(s->second);
    if (!parsed) {
      return Failure(400, "BadRequest",
                     "unable to parse requirement: invalid label selector '" + s->second + "'");
    }
    selector = std::move(*parsed);
  }
  size_t limit = 0;
  if (auto l = query.find("limit"); l != query.end()) {
    const auto [end, ec] =
        std::from_chars(l->second.data(), l->second.data() + l->second.size(), limit);
    if (ec != std::errc{} || end != l->second.data() + l->second.size()) {
      return Failure(400, "BadRequest", "limit: '" + l->second + "' is not a number");
    }
  }
  std::string after;  // the continue token: the "ns/name" of the last item returned
  if (auto c = query.find("continue"); c != query.end()) after = c->second;
  json items = json::array();
  std::string next;  // the position of the last item returned
  bool more = false;
  const std::string resource = kind.group + "/" + kind.plural;
  for (const auto& [key, stored] : objects_) {
    const auto& [r, object_ns, name] = key;
    if (r != resource || (!ns.empty() && object_ns != ns)) continue;
    const std::string position = object_ns + "/" + name;
    if (!after.empty() && position <= after) continue;
    if (!Selects(selector, stored.object)) continue;
    if (limit > 0 && items.size() == limit) {
      more = true;
      break;
    }
    items.push_back(stored.object);
    next = position;
  }
  json metadata = {{"resourceVersion", std::to_string(rv_)}};
  if (more) metadata["continue"] = next;
  return {200,
          {{"kind", kind.kind + "List"},
           {"apiVersion", ApiVersionOf(kind)},
           {"metadata", metadata},
           {"items", items}}};
}

std::optional<FakeKubeObjects::Reply> FakeKubeObjects::CheckNamespace(const Kind& kind,
                                                                      const std::string& ns) const {
  if (!kind.namespaced) return std::nullopt;
  auto it = objects_.find(KeyOf(kinds_[0], "", ns));
  if (it == objects_.end()) {
    return Failure(404, "NotFound", "namespaces \"" + ns + "\" not found");
  }
  if (it->second.object["metadata"].contains("deletionTimestamp")) {
    return Failure(403, "Forbidden",
                   Resource(kind) + " is forbidden: unable to create new content in namespace " +
                       ns + " because it is being terminated");
  }
  return std::nullopt;
}

FakeKubeObjects::Reply FakeKubeObjects::Create(const Kind& kind, const std::string& ns,
                                               const json& in) {
  json object = in;
  const std::string name = object["metadata"].value("name", "");
  if (!ValidName(name, kind.kind == "Namespace")) {
    return Failure(422, "Invalid",
                   kind.kind + " \"" + name + "\" is invalid: metadata.name: Invalid value: \"" +
                       name +
                       "\": a lowercase RFC 1123 name must consist of lower case "
                       "alphanumeric characters, '-' or '.'");
  }
  if (kind.namespaced && object["metadata"].value("namespace", ns) != ns) {
    return Failure(400, "BadRequest",
                   "the namespace of the provided object does not match the namespace sent on "
                   "the request");
  }
  if (auto refused = CheckNamespace(kind, ns)) return *refused;
  const Key key = KeyOf(kind, ns, name);
  if (objects_.contains(key)) {
    return Failure(409, "AlreadyExists", Resource(kind) + " \"" + name + "\" already exists");
  }
  for (const char* field : kSystemMetadata) object["metadata"].erase(field);
  if (kind.namespaced) object["metadata"]["namespace"] = ns;
  object["apiVersion"] = ApiVersionOf(kind);
  object["kind"] = kind.kind;
  object["metadata"]["uid"] = "uid-" + std::to_string(++uid_);
  object["metadata"]["creationTimestamp"] = Now();
  object["metadata"]["generation"] = 1;
  if (kind.kind == "Namespace")
    object["status"] = {{"phase", "Active"}};
  else
    object.erase("status");
  Stamp(object);
  objects_[key] = {object, {}};
  return {201, object};
}

FakeKubeObjects::Reply FakeKubeObjects::Update(const Kind& kind, const std::string& ns,
                                               const std::string& name, const json& in) {
  const Key key = KeyOf(kind, ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    return Failure(404, "NotFound", Resource(kind) + " \"" + name + "\" not found");
  }
  json& current = it->second.object;
  const std::string rv = in["metadata"].value("resourceVersion", "");
  if (rv.empty()) {
    return Failure(422, "Invalid",
                   kind.kind + " \"" + name +
                       "\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be "
                       "specified for an update");
  }
  if (rv != current["metadata"].value("resourceVersion", "")) {
    return Failure(409, "Conflict",
                   "Operation cannot be fulfilled on " + Resource(kind) + " \"" + name +
                       "\": the object has been modified; please apply your changes to the "
                       "latest version and try again");
  }
  json object = in;
  for (const char* field : kSystemMetadata) {
    if (current["metadata"].contains(field))
      object["metadata"][field] = current["metadata"][field];
    else
      object["metadata"].erase(field);
  }
  object["metadata"]["name"] = name;
  if (kind.namespaced) object["metadata"]["namespace"] = ns;
  object["apiVersion"] = ApiVersionOf(kind);
  object["kind"] = kind.kind;
  if (current.contains("status"))
    object["status"] = current["status"];
  else
    object.erase("status");
  if (SpecPart(object) != SpecPart(current)) {
    object["metadata"]["generation"] = current["metadata"].value("generation", 1) + 1;
  }
  current = std::move(object);
  Stamp(current);
  Settle(key);
  auto after = objects_.find(key);
  return {200, after != objects_.end() ? after->second.object : current};
}

FakeKubeObjects::Reply FakeKubeObjects::Apply(const Kind& kind, const std::string& ns,
                                              const std::string& name, const json& config,
                                              const std::string& manager, bool force) {
  if (config.value("apiVersion", "") != ApiVersionOf(kind) ||
      config.value("kind", "") != kind.kind) {
    return Failure(400, "BadRequest",
                   "the apiVersion and kind of the body (" + config.value("apiVersion", "") + " " +
                       config.value("kind", "") + ") do not match the request path");
  }
  if (!config.contains("metadata") || config["metadata"].value("name", "") != name) {
    return Failure(400, "BadRequest",
                   "the name of the object (" +
                       (config.contains("metadata") ? config["metadata"].value("name", "") : "") +
                       ") does not match the name on the URL (" + name + ")");
  }
  const Key key = KeyOf(kind, ns, name);
  auto it = objects_.find(key);
  int status = 200;
  if (it == objects_.end()) {
    json skeleton = {
        {"apiVersion", ApiVersionOf(kind)}, {"kind", kind.kind}, {"metadata", {{"name", name}}}};
    Reply created = Create(kind, ns, skeleton);
    if (created.status != 201) return created;
    it = objects_.find(key);
    status = 201;
  }
  Stored& stored = it->second;
  json& object = stored.object;
  const json before = object;
  std::set<std::string> leaves;
  Leaves(config, Pointer(), leaves);
  std::vector<std::string> conflicts;
  for (const auto& leaf : leaves) {
    const Pointer p(leaf);
    for (auto& [other, fields] : stored.owned) {
      if (other == manager || !fields.contains(leaf)) continue;
      if (object.contains(p) && object[p] == config[p]) continue;  // same value: shared
      if (force) {
        fields.erase(leaf);
      } else {
        std::string dotted;
        for (const auto& token : SplitPath(leaf)) dotted += "." + token;
        conflicts.push_back("conflict with \"" + other + "\": " + dotted);
      }
    }
  }
  if (!conflicts.empty()) {
    std::string message = "Apply failed with " + std::to_string(conflicts.size()) + " conflict" +
                          (conflicts.size() > 1 ? "s" : "") + ": ";
    for (size_t i = 0; i < conflicts.size(); ++i) message += (i ? "\n" : "") + conflicts[i];
    return Failure(409, "Conflict", message);
  }
  for (const auto& leaf : stored.owned[manager]) {
    if (leaves.contains(leaf)) continue;
    const bool shared = std::ranges::any_of(stored.owned, [&](const auto& entry) {
      return entry.first != manager && entry.second.contains(leaf);
    });
    if (!shared) EraseField(object, Pointer(leaf));
  }
  try {
    for (const auto& leaf : leaves) object[Pointer(leaf)] = config[Pointer(leaf)];
  } catch (const json::exception& e) {
    object = before;
    return Failure(422, "Invalid", kind.kind + " \"" + name + "\" is invalid: " + e.what());
  }
  stored.owned[manager] = leaves;
  std::erase_if(stored.owned, [](const auto& entry) { return entry.second.empty(); });
  json managed = json::array();
  for (const auto& [m, fields] : stored.owned) {
    managed.push_back({{"manager", m},
                       {"operation", "Apply"},
                       {"apiVersion", ApiVersionOf(kind)},
                       {"time", Now()},
                       {"fieldsType", "FieldsV1"},
                       {"fieldsV1", FieldsV1(fields)}});
  }
  object["metadata"]["managedFields"] = managed;
  if (status == 200 && SpecPart(object) != SpecPart(before)) {
    object["metadata"]["generation"] = before["metadata"].value("generation", 1) + 1;
  }
  if (object != before || status == 201) Stamp(object);
  Settle(key);
  auto after = objects_.find(key);
  return {status, after != objects_.end() ? after->second.object : json::object()};
}

FakeKubeObjects::Reply FakeKubeObjects::Delete(const Kind& kind, const std::string& ns,
                                               const std::string& name, std::string policy) {
  if (policy != "Background" && policy != "Foreground" && policy != "Orphan") {
    return Failure(422, "Invalid",
                   "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported "
                   "value: \"" +
                       policy + "\"");
  }
  const Key key = KeyOf(kind, ns, name);
  if (!objects_.contains(key)) {
    return Failure(404, "NotFound", Resource(kind) + " \"" + name + "\" not found");
  }
  DeleteObject(key, policy);
  auto it = objects_.find(key);
  if (it != objects_.end()) return {200, it->second.object};
  return {200,
          {{"kind", "Status"},
           {"apiVersion", "v1"},
           {"status", "Success"},
           {"details", {{"name", name}, {"kind", kind.plural}}}}};
}

void FakeKubeObjects::DeleteObject(const Key& key, const std::string& policy) {
  json& object = objects_.at(key).object;
  json& metadata = object["metadata"];
  const bool deleting = metadata.contains("deletionTimestamp");
  if (!deleting) metadata["deletionTimestamp"] = Now();
  if (object.value("kind", "") == "Namespace") {
    object["spec"]["finalizers"] = {"kubernetes"};
    object["status"]["phase"] = "Terminating";
  } else if (policy == "Foreground") {
    json finalizers = metadata.value("finalizers", json::array());
    if (std::ranges::find(finalizers, json("foregroundDeletion")) == finalizers.end()) {
      finalizers.push_back("foregroundDeletion");
    }
    metadata["finalizers"] = finalizers;
  } else if (policy == "Orphan") {
    const json uid = metadata["uid"];
    for (auto& [other, stored] : objects_) {
      json& refs = stored.object["metadata"]["ownerReferences"];
      if (!refs.is_array()) {
        stored.object["metadata"].erase("ownerReferences");
        continue;
      }
      const size_t before = refs.size();
      refs.erase(std::remove_if(refs.begin(), refs.end(),
                                [&](const json& r) { return r.value("uid", json()) == uid; }),
                 refs.end());
      if (refs.size() != before) Stamp(stored.object);
      if (refs.empty()) stored.object["metadata"].erase("ownerReferences");
    }
  }
  Stamp(object);
  Settle(key);
}

void FakeKubeObjects::Settle(const Key& key) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  const json& object = it->second.object;
  const json& metadata = object["metadata"];
  if (!metadata.contains("deletionTimestamp")) return;
  const auto finalizers = metadata.find("finalizers");
  if (finalizers != metadata.end() && finalizers->is_array() && !finalizers->empty()) return;
  if (object.contains("spec") && object["spec"].contains("finalizers") &&
      !object["spec"]["finalizers"].empty()) {
    return;
  }
  objects_.erase(it);
}

void FakeKubeObjects::CollectGarbage() {
  for (bool changed = true; changed;) {
    changed = false;
    std::set<std::string> uids;
    for (const auto& [key, stored] : objects_)
      uids.insert(stored.object["metadata"].value("uid", ""));
    std::vector<std::pair<Key, std::string>> deletions;  // (key, policy)
    std::vector<Key> released;                           // owners whose blocker is gone
    for (const auto& [key, stored] : objects_) {
      const json& object = stored.object;
      const json& metadata = object["metadata"];
      const bool deleting = metadata.contains("deletionTimestamp");
      // Dependents whose owners are all gone are collected.
      if (!deleting && metadata.contains("ownerReferences") &&
          metadata["ownerReferences"].is_array() && !metadata["ownerReferences"].empty() &&
          std::ranges::none_of(metadata["ownerReferences"],
                               [&](const json& r) { return uids.contains(r.value("uid", "")); })) {
        deletions.push_back({key, "Background"});
      }
      if (!deleting) continue;
      if (object.value("kind", "") == "Namespace") {
        const std::string ns = metadata.value("name", "");
        bool empty = true;
        for (const auto& [other, o] : objects_) {
          if (std::get<1>(other) != ns) continue;
          empty = false;
          if (!o.object["metadata"].contains("deletionTimestamp")) {
            deletions.push_back({other, "Background"});
          }
        }
        if (empty && !object["spec"].value("finalizers", json::array()).empty()) {
          released.push_back(key);
        }
        continue;
      }
      const json finalizers = metadata.value("finalizers", json::array());
      if (std::ranges::find(finalizers, json("foregroundDeletion")) == finalizers.end()) continue;
      const std::string uid = metadata.value("uid", "");
      bool dependents = false;
      for (const auto& [other, o] : objects_) {
        const json refs = o.object["metadata"].value("ownerReferences", json::array());
        if (!std::ranges::any_of(refs, [&](const json& r) { return r.value("uid", "") == uid; })) {
          continue;
        }
        dependents = true;
        if (!o.object["metadata"].contains("deletionTimestamp")) {
          deletions.push_back({other, "Background"});
        }
      }
      if (!dependents) released.push_back(key);
    }
    for (const auto& [key, policy] : deletions) {
      if (!objects_.contains(key)) continue;
      DeleteObject(key, policy);
      changed = true;
    }
    for (const auto& key : released) {
      auto it = objects_.find(key);
      if (it == objects_.end()) continue;
      json& object = it->second.object;
      if (object.value("kind", "") == "Namespace") {
        object["spec"]["finalizers"] = json::array();
      } else {
        json& finalizers = object["metadata"]["finalizers"];
        finalizers.erase(
            std::remove(finalizers.begin(), finalizers.end(), json("foregroundDeletion")),
            finalizers.end());
        if (finalizers.empty()) object["metadata"].erase("finalizers");
      }
      Stamp(object);
      Settle(key);
      changed = true;
    }
  }
}

}  // namespace hf::testing
