#include "adapter/name_template.hpp"

#include <algorithm>
#include <cctype>

#include "common/text.hpp"

namespace hf::adapter {

Result<NameTemplate> NameTemplate::Parse(std::string_view text,
                                         const std::vector<std::string>& known,
                                         const std::vector<std::string>& required) {
  NameTemplate t;
  t.text_ = std::string(text);
  auto bad = [&](const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument, "template '" + t.text_ + "': " + why);
  };
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find("{{", i);
    if (open == std::string_view::npos) open = text.size();
    if (open > i) t.parts_.push_back({false, std::string(text.substr(i, open - i))});
    if (open == text.size()) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return bad("unclosed '{{'");
    std::string name(Trim(text.substr(open + 2, close - open - 2)));
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return bad("unknown variable '" + name + "' (known: " + list + ")");
    }
    t.parts_.push_back({true, name});
    i = close + 2;
  }
  for (const auto& r : required) {
    bool found = std::any_of(t.parts_.begin(), t.parts_.end(),
                             [&](const Part& p) { return p.variable && p.text == r; });
    if (!found) return bad("must include {{" + r + "}}");
  }
  return t;
}

std::string NameTemplate::Render(const std::map<std::string, std::string>& vars) const {
  std::string out;
  for (const auto& p : parts_) {
    if (!p.variable) {
      out += p.text;
    } else if (auto it = vars.find(p.text); it != vars.end()) {
      out += it->second;
    }
  }
  return out;
}

}  // namespace hf::adapter
