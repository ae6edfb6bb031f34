#include "search/filter.hpp"

namespace hf::search {

std::string_view ToString(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    case CompareOp::kIn:
      return "in";
    case CompareOp::kBetween:
      return "between";
    case CompareOp::kIsNull:
      return "is null";
    case CompareOp::kIsNotNull:
      return "is not null";
    case CompareOp::kLike:
      return "like";
    case CompareOp::kILike:
      return "ilike";
  }
  return "?";
}

}  // namespace hf::search
