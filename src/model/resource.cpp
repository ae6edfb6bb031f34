#include "model/resource.hpp"

namespace hf::model {

const Condition* Resource::FindCondition(std::string_view type) const {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

}  // namespace hf::model
