#include "model/adapter_condition_type.hpp"

#include <cctype>

#include "model/condition.hpp"

namespace hf::model {

std::string AdapterConditionType(std::string_view adapter) {
  std::string out;
  out.reserve(adapter.size() + condition_type::kAdapterSuffix.size());
  bool word_start = true;
  for (const char ch : adapter) {
    if (ch == '-') {
      word_start = true;
      continue;
    }
    out += word_start ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    word_start = false;
  }
  return out + std::string(condition_type::kAdapterSuffix);
}

}  // namespace hf::model
