#include "expr/value.hpp"

#include <cmath>
#include <limits>

#include "common/base64.hpp"
#include "expr/detail/time_text.hpp"

namespace hf::expr {

std::optional<Map::Key> Map::KeyOf(const Value& v, bool allow_double) {
  switch (v.kind()) {
    case Value::Kind::kBool:
      return Key(*v.AsBool());
    case Value::Kind::kInt:
      return Key(__int128(*v.AsInt()));
    case Value::Kind::kUint:
      return Key(__int128(*v.AsUint()));
    case Value::Kind::kString:
      return Key(*v.AsString());
    case Value::Kind::kDouble: {
      const double d = *v.AsDouble();
      if (!allow_double || !std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 0x1p64)
        return std::nullopt;
      return Key(__int128(d));
    }
    default:
      return std::nullopt;
  }
}

bool Map::Insert(Value key, Value value) {
  auto k = KeyOf(key);
  if (!k) return false;
  return entries_.try_emplace(std::move(*k), std::move(key), std::move(value)).second;
}

const Value* Map::Find(const Value& key) const {
  const auto k = KeyOf(key, true);
  if (!k) return nullptr;
  const auto it = entries_.find(*k);
  return it == entries_.end() ? nullptr : &it->second.second;
}

const Value* Map::Find(std::string_view key) const {
  const auto it = entries_.find(Key(std::string(key)));
  return it == entries_.end() ? nullptr : &it->second.second;
}

Value Value::OptionalOf(Value v) {
  Value out;
  out.v_ = Optional{std::make_shared<const Value>(std::move(v))};
  return out;
}

Value Value::OptionalNone() {
  Value out;
  out.v_ = Optional{};
  return out;
}

std::optional<bool> Value::AsBool() const {
  if (const bool* b = std::get_if<bool>(&v_)) return *b;
  return std::nullopt;
}

const std::string* Value::AsString() const { return std::get_if<std::string>(&v_); }

const List* Value::AsList() const {
  const auto* p = std::get_if<std::shared_ptr<const List>>(&v_);
  return p ? p->get() : nullptr;
}

const Map* Value::AsMap() const {
  const auto* p = std::get_if<std::shared_ptr<const Map>>(&v_);
  return p ? p->get() : nullptr;
}

const Value* Value::OptionalValue() const {
  const auto* p = std::get_if<Optional>(&v_);
  return p ? p->value.get() : nullptr;
}

Value FromJson(const nlohmann::json& json) {
  switch (json.type()) {
    case nlohmann::json::value_t::boolean:
      return Value(json.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value(json.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = json.get<uint64_t>();
      if (u <= uint64_t(std::numeric_limits<int64_t>::max())) return Value(int64_t(u));
      return Value(u);
    }
    case nlohmann::json::value_t::number_float:
      return Value(json.get<double>());
    case nlohmann::json::value_t::string:
      return Value(json.get<std::string>());
    case nlohmann::json::value_t::array: {
      List list;
      list.reserve(json.size());
      for (const auto& item : json) list.push_back(FromJson(item));
      return Value(std::move(list));
    }
    case nlohmann::json::value_t::object: {
      Map map;
      for (const auto& [key, item] : json.items()) map.Insert(Value(key), FromJson(item));
      return Value(std::move(map));
    }
    default:
      return Value();
  }
}

Result<nlohmann::json> ToJson(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kNull:
      return nlohmann::json(nullptr);
    case Value::Kind::kBool:
      return nlohmann::json(*value.AsBool());
    case Value::Kind::kInt:
      return nlohmann::json(*value.AsInt());
    case Value::Kind::kUint:
      return nlohmann::json(*value.AsUint());
    case Value::Kind::kDouble: {
      const double d = *value.AsDouble();
      if (std::isnan(d)) return nlohmann::json("NaN");
      if (std::isinf(d)) return nlohmann::json(d > 0 ? "Infinity" : "-Infinity");
      return nlohmann::json(d);
    }
    case Value::Kind::kString:
      return nlohmann::json(*value.AsString());
    case Value::Kind::kBytes:
      return nlohmann::json(Base64Encode(value.AsBytes()->data));
    case Value::Kind::kList: {
      auto out = nlohmann::json::array();
      for (const Value& item : *value.AsList()) out.push_back(HF_TRY(ToJson(item)));
      return out;
    }
    case Value::Kind::kMap: {
      auto out = nlohmann::json::object();
      for (const auto& [k, entry] : *value.AsMap()) {
        const auto& [key, item] = entry;
        std::string name;
        if (const auto* s = key.AsString()) {
          name = *s;
        } else if (const auto b = key.AsBool()) {
          name = *b ? "true" : "false";
        } else if (const auto* i = key.AsInt()) {
          name = std::to_string(*i);
        } else {
          name = std::to_string(*key.AsUint());
        }
        if (out.contains(name)) {
          return Fail(ErrorCode::kInvalidArgument, "map keys print alike as JSON: '" + name + "'");
        }
        out[name] = HF_TRY(ToJson(item));
      }
      return out;
    }
    case Value::Kind::kTimestamp:
      return nlohmann::json(detail::FormatTimestamp(*value.AsTimestamp()));
    case Value::Kind::kDuration:
      return nlohmann::json(detail::FormatDuration(*value.AsDuration()));
    case Value::Kind::kType:
      return nlohmann::json(value.AsType()->name);
    case Value::Kind::kOptional: {
      const Value* inner = value.OptionalValue();
      return inner ? ToJson(*inner) : nlohmann::json(nullptr);
    }
  }
  return nlohmann::json(nullptr);
}

std::string TypeName(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kNull:
      return "null_type";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kUint:
      return "uint";
    case Value::Kind::kDouble:
      return "double";
    case Value::Kind::kString:
      return "string";
    case Value::Kind::kBytes:
      return "bytes";
    case Value::Kind::kList:
      return "list";
    case Value::Kind::kMap:
      return "map";
    case Value::Kind::kTimestamp:
      return "timestamp";
    case Value::Kind::kDuration:
      return "duration";
    case Value::Kind::kType:
      return "type";
    case Value::Kind::kOptional: {
      const Value* inner = value.OptionalValue();
      return inner ? TypeName(*inner) : "null_type";
    }
  }
  return "null_type";
}

}  // namespace hf::expr
