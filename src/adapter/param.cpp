#include "adapter/param.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "common/file.hpp"
#include "common/http_message.hpp"
#include "common/text.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;

constexpr std::uintmax_t kMaxFileBytes = 1 << 20;

std::unexpected<Error> Bad(const Param& p, const std::string& why) {
  return Fail(ErrorCode::kInvalidArgument, "params." + p.name + ": " + why);
}

// Text from env or a file, as the param's type.
Result<json> Convert(const Param& p, const std::string& text) {
  switch (p.type) {
    case ParamType::kString:
      return json(text);
    case ParamType::kInt: {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc{} || end != text.data() + text.size()) {
        return Bad(p, "'" + text + "' is not an integer");
      }
      return json(n);
    }
    case ParamType::kDouble: {
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec != std::errc{} || end != text.data() + text.size()) {
        return Bad(p, "'" + text + "' is not a number");
      }
      return json(d);
    }
    case ParamType::kBool:
      if (text == "true" || text == "yes" || text == "on" || text == "1") return json(true);
      if (text == "false" || text == "no" || text == "off" || text == "0") return json(false);
      return Bad(p, "'" + text + "' is not a bool (true/false, yes/no, on/off, 1/0)");
    case ParamType::kJson: {
      json parsed = json::parse(text, nullptr, false);
      if (parsed.is_discarded()) return Bad(p, "is not valid JSON");
      return parsed;
    }
  }
  return json(text);
}

// The param's value as the source gives it; nullopt when the source has nothing.
Result<std::optional<expr::Value>> Fetch(const Param& p, const ParamInputs& in,
                                         const expr::Activation& vars) {
  using Found = std::optional<expr::Value>;
  auto from_json = [&](const json& doc) -> Result<Found> {
    const json* at = p.path->Find(doc);
    if (at == nullptr || at->is_null()) return Found();
    return Found(expr::FromJson(*at));
  };
  switch (p.source) {
    case ParamSource::kEvent:
      return from_json(in.event);
    case ParamSource::kResource:
      return from_json(in.resource);
    case ParamSource::kEnv: {
      const char* value = std::getenv(p.text.c_str());
      if (value == nullptr || *value == '\0') return Found();
      return Found(expr::FromJson(HF_TRY(Convert(p, value))));
    }
    case ParamSource::kFile: {
      std::error_code ec;
      const auto size = std::filesystem::file_size(p.text, ec);
      if (ec) return Found();
      if (size > kMaxFileBytes) return Bad(p, "file " + p.text + " is larger than 1 MiB");
      const auto text = ReadFile(p.text);
      if (!text) return Bad(p, "cannot read " + p.text);
      const std::string trimmed(Trim(*text));
      return Found(expr::FromJson(HF_TRY(Convert(p, trimmed))));
    }
    case ParamSource::kApi: {
      auto path = p.api_path->Render(vars, &http::UrlEncode);
      if (!path) return Bad(p, path.error().message);
      if (!path->starts_with('/') || path->find("/../") != std::string::npos ||
          path->ends_with("/..")) {
        return Bad(p, "'" + *path + "' is not a path under the API");
      }
      auto answer = in.get(*path);
      if (!answer && answer.error().code == ErrorCode::kNotFound) return Found();
      if (!answer && answer.error().Transient()) return std::unexpected(answer.error());
      if (!answer) return Bad(p, "GET " + *path + ": " + answer.error().message);
      return Found(expr::FromJson(*answer));
    }
    case ParamSource::kExpression: {
      auto value = p.program->Evaluate(vars);
      if (!value) return Bad(p, value.error().message);
      return Found(std::move(*value));
    }
    case ParamSource::kValue:
      return Found(expr::FromJson(p.value));
  }
  return Found();
}

}  // namespace

bool ReadsStatus(const std::vector<Param>& params) {
  return std::ranges::any_of(params, [](const Param& p) {
    switch (p.source) {
      case ParamSource::kApi:
        return true;
      case ParamSource::kResource:
        return p.path->text().starts_with("status");
      case ParamSource::kExpression:
        return p.program->source().find("status") != std::string::npos;
      default:
        return false;
    }
  });
}

Result<void> ResolveParams(const std::vector<Param>& params, const ParamInputs& in,
                           expr::Activation& vars) {
  for (const auto& p : params) {
    auto value = HF_TRY(Fetch(p, in, vars));
    if (!value && p.default_value) value = expr::FromJson(*p.default_value);
    if (!value && p.required) return Bad(p, "has no value and no default");
    vars.insert_or_assign(p.name, value ? std::move(*value) : expr::FromJson(nullptr));
  }
  return {};
}

}  // namespace hf::adapter
