#include "adapter/text_template.hpp"

#include <charconv>

namespace hf::adapter {
namespace {

// Moves a compile error's "column C" by `offset` characters (the placeholder's place in the
// whole text); other messages get the placeholder's column in front.
std::string Shift(const std::string& message, size_t offset) {
  const std::string_view prefix = "column ";
  if (message.starts_with(prefix)) {
    size_t column = 0;
    const char* begin = message.data() + prefix.size();
    auto [end, ec] = std::from_chars(begin, message.data() + message.size(), column);
    if (ec == std::errc{}) {
      return "column " + std::to_string(column + offset) + std::string(end);
    }
  }
  return "column " + std::to_string(offset + 1) + ": " + message;
}

// How an error shows a placeholder: "{{ <its expression, trimmed> }}".
std::string Shown(const expr::Program& program) {
  std::string_view text = program.source();
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return "{{ " + std::string(text) + " }}";
}

}  // namespace

Result<TextTemplate> TextTemplate::Parse(std::string_view text) {
  TextTemplate t;
  t.text_ = std::string(text);
  size_t i = 0;
  while (true) {
    const size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      t.parts_.push_back({std::string(text.substr(i)), std::nullopt});
      break;
    }
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  "column " + std::to_string(open + 1) + ": unclosed '{{'");
    }
    const std::string_view source = text.substr(open + 2, close - open - 2);
    if (source.find_first_not_of(" \t") == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  "column " + std::to_string(open + 1) + ": empty '{{ }}'");
    }
    auto program = expr::Program::Compile(source);
    if (!program) {
      return Fail(ErrorCode::kInvalidArgument, Shift(program.error().message, open + 2));
    }
    t.parts_.push_back({std::string(text.substr(i, open - i)), std::move(*program)});
    i = close + 2;
  }
  return t;
}

Result<std::string> TextTemplate::Render(const expr::Activation& vars,
                                         std::string (*escape)(std::string_view)) const {
  std::string out;
  for (const auto& part : parts_) {
    out += part.literal;
    if (!part.value) continue;
    auto fail = [&](const std::string& why) {
      return Fail(ErrorCode::kInvalidArgument, Shown(*part.value) + ": " + why);
    };
    auto value = part.value->Evaluate(vars);
    if (!value) return fail(value.error().message);
    auto text = ValueText(*value);
    if (!text) return fail(text.error().message);
    out += escape ? escape(*text) : *text;
  }
  return out;
}

Result<nlohmann::json> TextTemplate::RenderValue(const expr::Activation& vars) const {
  if (parts_.size() != 2 || !parts_[0].literal.empty() || !parts_[1].literal.empty()) {
    return HF_TRY(Render(vars));
  }
  const expr::Program& program = *parts_[0].value;
  auto value = program.Evaluate(vars);
  if (!value) {
    return Fail(ErrorCode::kInvalidArgument, Shown(program) + ": " + value.error().message);
  }
  auto json = expr::ToJson(*value);
  if (!json) {
    return Fail(ErrorCode::kInvalidArgument, Shown(program) + ": " + json.error().message);
  }
  return std::move(*json);
}

std::set<std::string> TextTemplate::variables() const {
  std::set<std::string> out;
  for (const auto& part : parts_) {
    if (part.value) out.insert(part.value->variables().begin(), part.value->variables().end());
  }
  return out;
}

Result<std::string> ValueText(const expr::Value& value) {
  if (const std::string* s = value.AsString()) return *s;
  const std::string type = expr::TypeName(value);
  if (type == "int" || type == "uint" || type == "double" || type == "bool") {
    auto json = HF_TRY(expr::ToJson(value));
    return json.dump();
  }
  return Fail(ErrorCode::kInvalidArgument, "gives a " + type + ", not text");
}

}  // namespace hf::adapter
