#include "adapter/field_path.hpp"

#include <algorithm>
#include <cctype>

namespace hf::adapter {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

}  // namespace

std::string ScalarText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

Result<FieldPath> FieldPath::Parse(std::string_view text) {
  FieldPath path;
  path.text_ = std::string(text);
  auto bad = [&](const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument, "invalid field path '" + path.text_ + "': " + why);
  };
  if (text.empty()) return bad("empty");
  size_t i = 0;
  bool expect_name = true;  // at the start or after '.'
  while (i < text.size()) {
    if (text[i] == '[') {
      size_t close = text.find(']', i);
      if (close == std::string_view::npos) return bad("missing ']'");
      std::string inner = Trim(text.substr(i + 1, close - i - 1));
      if (inner.empty()) return bad("empty []");
      Step step;
      if (inner.front() == '"' || inner.front() == '\'') {
        step.key = Unquote(inner);
        if (step.key.size() + 2 != inner.size())
          return bad("unterminated quote in [" + inner + "]");
      } else if (auto eq = inner.find('='); eq != std::string::npos) {
        step.kind = Step::Kind::kMatch;
        step.key = Trim(inner.substr(0, eq));
        step.match_value = Unquote(Trim(inner.substr(eq + 1)));
        if (step.key.empty()) return bad("[" + inner + "] needs a field name before '='");
      } else if (std::all_of(inner.begin(), inner.end(),
                             [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        step.kind = Step::Kind::kIndex;
        step.index = std::stoul(inner);
      } else {
        return bad("[" + inner + "] is not an index, a \"quoted key\" or field=value");
      }
      path.steps_.push_back(std::move(step));
      i = close + 1;
      expect_name = false;
      continue;
    }
    if (text[i] == '.') {
      if (expect_name) return bad("empty segment");
      expect_name = true;
      ++i;
      continue;
    }
    if (!expect_name) return bad("expected '.' or '[' at position " + std::to_string(i));
    size_t end = text.find_first_of(".[]", i);
    if (end == std::string_view::npos) end = text.size();
    if (end < text.size() && text[end] == ']') return bad("unexpected ']'");
    Step step;
    step.key = std::string(text.substr(i, end - i));
    path.steps_.push_back(std::move(step));
    i = end;
    expect_name = false;
  }
  if (expect_name) return bad("ends with '.'");
  return path;
}

const nlohmann::json* FieldPath::Find(const nlohmann::json& root) const {
  const nlohmann::json* at = &root;
  for (const auto& step : steps_) {
    switch (step.kind) {
      case Step::Kind::kKey: {
        if (!at->is_object()) return nullptr;
        auto it = at->find(step.key);
        if (it == at->end()) return nullptr;
        at = &*it;
        break;
      }
      case Step::Kind::kIndex:
        if (!at->is_array() || step.index >= at->size()) return nullptr;
        at = &(*at)[step.index];
        break;
      case Step::Kind::kMatch: {
        if (!at->is_array()) return nullptr;
        const nlohmann::json* found = nullptr;
        for (const auto& element : *at) {
          if (!element.is_object()) continue;
          auto it = element.find(step.key);
          if (it != element.end() && !it->is_structured() && ScalarText(*it) == step.match_value) {
            found = &element;
            break;
          }
        }
        if (!found) return nullptr;
        at = found;
        break;
      }
    }
  }
  return at->is_null() ? nullptr : at;
}

}  // namespace hf::adapter
