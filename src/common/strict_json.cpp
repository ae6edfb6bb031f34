#include "common/strict_json.hpp"

#include <cstdint>
#include <unordered_set>
#include <vector>

namespace hf {
namespace {

using nlohmann::json;

// Builds the value with nlohmann's own DOM builder and refuses what ParseStrictJson refuses,
// keeping the path to the current value for the violation.
class StrictSax {
 public:
  explicit StrictSax(json& root) : dom_(root, false) {}

  bool null() { return Value() && dom_.null(); }
  bool boolean(bool v) { return Value() && dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return Value() && dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) {
    if (!Value()) return false;
    if (v > static_cast<json::number_unsigned_t>(INT64_MAX)) {
      return Refuse(Path(), std::to_string(v), "max", "integer is larger than 2^63-1 (int64)");
    }
    return dom_.number_unsigned(v);
  }
  bool number_float(json::number_float_t v, const std::string& text) {
    if (!Value()) return false;
    if (text.find_first_of(".eE") == std::string::npos) {  // an integer literal beyond uint64
      const bool negative = text.starts_with('-');
      return Refuse(Path(), Cut(text), negative ? "min" : "max",
                    negative ? "integer is smaller than -2^63 (int64)"
                             : "integer is larger than 2^63-1 (int64)");
    }
    return dom_.number_float(v, text);
  }
  bool string(std::string& s) {
    if (!Value()) return false;
    if (s.find('\0') != std::string::npos) return Refuse(Path(), "", "format", kNulMessage);
    return dom_.string(s);
  }
  bool binary(json::binary_t& b) { return Value() && dom_.binary(b); }
  bool start_object(std::size_t n) {
    if (!Value()) return false;
    frames_.push_back({});
    return dom_.start_object(n);
  }
  bool key(std::string& k) {
    Frame& frame = frames_.back();
    frame.key = k;
    if (k.find('\0') != std::string::npos) return Refuse(Path(), "", "format", kNulMessage);
    if (!frame.keys.insert(k).second) {
      return Refuse(Path(), "", "unique", "duplicate key '" + Cut(k) + "'");
    }
    return dom_.key(k);
  }
  bool end_object() {
    frames_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (!Value()) return false;
    frames_.push_back({.array = true, .index = -1, .key = {}, .keys = {}});
    return dom_.start_array(n);
  }
  bool end_array() {
    frames_.pop_back();
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& ex) {
    std::string what = ex.what();
    if (auto end = what.find("] "); what.starts_with("[json.exception.") && end != what.npos) {
      what.erase(0, end + 2);
    }
    error_ = Error{ErrorCode::kMalformed, std::move(what), {}, {}};
    return false;
  }

  Error& error() { return error_; }

 private:
  static constexpr const char* kNulMessage = "must not contain the character U+0000";

  struct Frame {
    bool array = false;
    int64_t index = -1;                    // of the current element (arrays)
    std::string key;                       // of the current member (objects)
    std::unordered_set<std::string> keys;  // seen so far (objects)
  };

  // Long keys and literals are shown cut, so an answer stays small.
  static std::string Cut(const std::string& s) {
    constexpr size_t kShown = 64;
    return s.size() <= kShown ? s : s.substr(0, kShown) + "…";
  }

  // Called before each value: advances the index of the enclosing array.
  bool Value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }

  std::string Path() const {
    std::string path;
    for (const Frame& f : frames_) {
      if (f.array) {
        path += "[" + std::to_string(f.index) + "]";
      } else {
        path += (path.empty() ? "" : ".") + Cut(f.key);
      }
    }
    return path.empty() ? "body" : path;
  }

  bool Refuse(std::string field, std::string value, std::string constraint, std::string message) {
    error_ =
        Error{ErrorCode::kInvalidArgument, "Invalid field '" + field + "': " + message, {}, {}};
    error_.violations.push_back(
        {std::move(field), std::move(value), std::move(constraint), std::move(message)});
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::vector<Frame> frames_;
  Error error_;
};

}  // namespace

Result<nlohmann::json> ParseStrictJson(std::string_view text) {
  json root;
  StrictSax sax(root);
  if (!json::sax_parse(text, &sax)) return Fail(std::move(sax.error()));
  return root;
}

}  // namespace hf
