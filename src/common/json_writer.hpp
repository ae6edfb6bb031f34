#pragma once

// Writes JSON text straight into a string, for the API's hot paths (a list page of 100 resources
// built as a nlohmann::json tree first cost more allocations than the rest of the request). The
// text is byte-for-byte what nlohmann::json::dump(-1, ' ', false, error_handler_t::replace)
// writes for the same document, provided the caller writes each object's keys in sorted order
// (nlohmann's objects are std::maps): compact, non-ASCII kept, control characters escaped as
// \b \f \n \r \t or \u00xx, invalid UTF-8 replaced by U+FFFD.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace hf {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // The next member's key; the next value written is its value.
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Bool(bool value);
  void Value(const nlohmann::json& value);
  // A member: Key(key), then the value.
  void Member(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void Member(std::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }

 private:
  void Separate();  // the comma before a value or key that is not the first of its container

  std::string& out_;
  std::vector<char> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// Appends `s` as a JSON string literal (quotes included), as JsonWriter writes strings.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace hf
