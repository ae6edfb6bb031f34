#include "model/kinds.hpp"

namespace hf::model {

std::string ResourceKind::Href(std::string_view id) const {
  return std::string(kApiBasePath) + "/" + std::string(plural) + "/" + std::string(id);
}

const ResourceKind* FindKind(std::string_view name) {
  for (const ResourceKind* k : kResourceKinds) {
    if (k->name == name) return k;
  }
  return nullptr;
}

const ResourceKind* FindKindByPlural(std::string_view plural) {
  for (const ResourceKind* k : kResourceKinds) {
    if (k->plural == plural) return k;
  }
  return nullptr;
}

std::string KindPluralsText() {
  std::string text;
  for (size_t i = 0; i < kResourceKinds.size(); ++i) {
    if (i > 0) text += i + 1 == kResourceKinds.size() ? " or " : ", ";
    text += kResourceKinds[i]->plural;
  }
  return text;
}

}  // namespace hf::model
