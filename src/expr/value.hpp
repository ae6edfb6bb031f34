#pragma once

// A CEL value (google/cel-spec doc/langdef.md "Values"): int, uint, double, string, bytes, bool,
// null, list, map, timestamp, duration, type, and optional. Values are immutable; lists, maps and
// optionals share their contents, so a copy is cheap.

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace hf::expr {

class Value;

// A point in time, UTC, with nanoseconds: seconds since the Unix epoch and 0 <= nanos < 1e9.
// CEL's range is 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
struct Timestamp {
  int64_t seconds = 0;
  int32_t nanos = 0;
  auto operator<=>(const Timestamp&) const = default;
};

// A signed span of time with nanoseconds: seconds and nanos carry the same sign, |nanos| < 1e9.
// CEL's range is the int64 range of nanoseconds, about ±292 years.
struct Duration {
  int64_t seconds = 0;
  int32_t nanos = 0;
  auto operator<=>(const Duration&) const = default;
};

// A byte string (distinct from a UTF-8 string).
struct Bytes {
  std::string data;
  auto operator<=>(const Bytes&) const = default;
};

// A type as a value (`type(1) == int`): its CEL name, e.g. "int", "google.protobuf.Timestamp".
struct Type {
  std::string name;
  bool operator==(const Type&) const = default;
};

struct NullValue {
  bool operator==(const NullValue&) const = default;
};

using List = std::vector<Value>;

// A map with int, uint, bool or string keys. Keys compare by CEL equality: the int 1 and the
// uint 1 are the same key. Iteration is in key order (bools, then numbers, then strings).
class Map {
 public:
  // The normalized key: bool, integer (int and uint in one space), or string.
  using Key = std::variant<bool, __int128, std::string>;

  // The key of `v`, or nullopt when `v` cannot be a map key (doubles, lists, …). An integral
  // double maps to the integer key when `allow_double` (lookups; never for insertion).
  static std::optional<Key> KeyOf(const Value& v, bool allow_double = false);

  // Inserts; false when the key is already there.
  bool Insert(Value key, Value value);
  // The value under `key`, or nullptr.
  const Value* Find(const Value& key) const;
  // The value under the string key, or nullptr.
  const Value* Find(std::string_view key) const;
  const Value* Find(const char* key) const { return Find(std::string_view(key)); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // Entries as (key, value), in key order.
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::map<Key, std::pair<Value, Value>, std::less<>> entries_;
};

class Value {
 public:
  enum class Kind {
    kNull,
    kBool,
    kInt,
    kUint,
    kDouble,
    kString,
    kBytes,
    kList,
    kMap,
    kTimestamp,
    kDuration,
    kType,
    kOptional,
  };

  Value() = default;  // null
  Value(NullValue) {}
  Value(bool b) : v_(b) {}
  Value(int64_t i) : v_(i) {}
  Value(int i) : v_(int64_t{i}) {}
  Value(uint64_t u) : v_(u) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(Bytes b) : v_(std::move(b)) {}
  Value(List l) : v_(std::make_shared<const List>(std::move(l))) {}
  Value(Map m) : v_(std::make_shared<const Map>(std::move(m))) {}
  Value(Timestamp t) : v_(t) {}
  Value(Duration d) : v_(d) {}
  Value(Type t) : v_(std::move(t)) {}

  // An optional holding `v` (optional.of), and the empty optional (optional.none()).
  static Value OptionalOf(Value v);
  static Value OptionalNone();

  // The enumerators follow the order of v_'s alternatives.
  Kind kind() const { return Kind(v_.index()); }

  // nullopt when not a bool.
  std::optional<bool> AsBool() const;
  // nullptr when not a string.
  const std::string* AsString() const;
  // Typed access; each returns nullptr when the value is of another kind.
  const int64_t* AsInt() const { return std::get_if<int64_t>(&v_); }
  const uint64_t* AsUint() const { return std::get_if<uint64_t>(&v_); }
  const double* AsDouble() const { return std::get_if<double>(&v_); }
  const Bytes* AsBytes() const { return std::get_if<Bytes>(&v_); }
  const List* AsList() const;
  const Map* AsMap() const;
  const Timestamp* AsTimestamp() const { return std::get_if<Timestamp>(&v_); }
  const Duration* AsDuration() const { return std::get_if<Duration>(&v_); }
  const Type* AsType() const { return std::get_if<Type>(&v_); }
  // For an optional: its value, or nullptr when empty. Only meaningful when kind() == kOptional.
  const Value* OptionalValue() const;
  bool IsNull() const { return kind() == Kind::kNull; }

 private:
  struct Optional {
    std::shared_ptr<const Value> value;  // nullptr: none
  };
  std::variant<NullValue, bool, int64_t, uint64_t, double, std::string, Bytes,
               std::shared_ptr<const List>, std::shared_ptr<const Map>, Timestamp, Duration, Type,
               Optional>
      v_;
};

// JSON → value: null, bool, integer → int (uint above INT64_MAX), floating → double, string,
// array → list, object → map with string keys.
Value FromJson(const nlohmann::json& json);

// Value → JSON: numbers as numbers (NaN and ±Infinity as the strings "NaN", "Infinity",
// "-Infinity"), bytes as base64, timestamps RFC 3339 ("2026-01-02T03:04:05Z", fractions only when
// non-zero), durations in seconds ("1.5s"), a type as its name, an optional as its value or null,
// map keys as strings. Errors: kInvalidArgument when two keys print alike (1 and "1").
Result<nlohmann::json> ToJson(const Value& value);

// The CEL type name: int uint double string bytes bool null_type list map timestamp duration
// type; an optional reports its value's type (null_type when empty).
std::string TypeName(const Value& value);

}  // namespace hf::expr
