#include "search/detail/resource_columns.hpp"

#include <array>

namespace hf::search::detail {
namespace {

constexpr std::array<ResourceColumn, 14> kColumns{{
    {"id", ColumnType::kText},
    {"kind", ColumnType::kText},
    {"name", ColumnType::kText},
    {"href", ColumnType::kText},
    {"generation", ColumnType::kInteger},
    {"owner_id", ColumnType::kText},
    {"owner_kind", ColumnType::kText},
    {"owner_href", ColumnType::kText},
    {"created_time", ColumnType::kTime},
    {"updated_time", ColumnType::kTime},
    {"deleted_time", ColumnType::kTime},
    {"created_by", ColumnType::kText},
    {"updated_by", ColumnType::kText},
    {"deleted_by", ColumnType::kText},
}};

}  // namespace

const ResourceColumn* FindResourceColumn(std::string_view name) {
  for (const ResourceColumn& column : kColumns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

}  // namespace hf::search::detail
