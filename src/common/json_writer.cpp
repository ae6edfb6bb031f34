#include "common/json_writer.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "common/text.hpp"

namespace hf {

namespace {

// Whether any of the 8 bytes of `x` needs a look: a control character, '"', '\\' or non-ASCII
// (the usual SWAR tests for a zero byte and for bytes below a bound).
bool NeedsLook(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const auto has_zero = [](uint64_t y) { return (y - kOnes) & ~y & kHigh; };
  return ((x & kHigh) | ((x - kOnes * 0x20) & ~x & kHigh) | has_zero(x ^ (kOnes * '"')) |
          has_zero(x ^ (kOnes * '\\'))) != 0;
}

// How many leading bytes of `s` are written as they are (no escape, ASCII).
size_t PlainPrefix(std::string_view s) {
  size_t i = 0;
  // Eight bytes at a time: most strings (ids, names, times, keys) are all plain.
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, sizeof word);
    if (NeedsLook(word)) break;
  }
  if (i < s.size() && s.size() - i < 8 && s.size() >= 8) {  // the tail, as the last eight bytes
    uint64_t word;
    std::memcpy(&word, s.data() + s.size() - 8, sizeof word);
    if (!NeedsLook(word)) return s.size();
  }
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    ++i;
  }
  return i;
}

// Appends `before`, `s`, `after` to `out` in one step (the hot path of a list page: thousands of
// small strings, each once its own three appends).
void AppendWrapped(std::string& out, char before, std::string_view s, std::string_view after) {
  const size_t n = out.size();
  const size_t size = n + 1 + s.size() + after.size();
  // (The size the callback gets is not `size` in libstdc++ 12 when the string grows: its
  // capacity is passed instead. So the callback returns `size` itself.)
  out.resize_and_overwrite(size, [&](char* p, size_t) {
    p[n] = before;
    std::memcpy(p + n + 1, s.data(), s.size());
    std::memcpy(p + n + 1 + s.size(), after.data(), after.size());
    return size;
  });
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t prefix = PlainPrefix(s);
  if (prefix == s.size()) {
    AppendWrapped(out, '"', s, "\"");
    return;
  }
  const size_t start = out.size();
  out += '"';
  size_t plain = 0;           // start of the run of bytes copied as they are
  bool checked_utf8 = false;  // the whole string, once, at its first non-ASCII byte
  for (size_t i = prefix; i < s.size(); ++i) {
    i += PlainPrefix(s.substr(i));
    if (i >= s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80 && !checked_utf8) {
      if (!IsValidUtf8(s)) {
        // nlohmann's rules for how many bytes one U+FFFD replaces are its own: it writes these.
        out.resize(start);
        out += nlohmann::json(std::string(s))
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
      }
      checked_utf8 = true;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + plain, i - plain);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    plain = i + 1;
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

void JsonWriter::BeginObject() {
  Separate();
  out_ += '{';
  first_.push_back(true);
}

void JsonWriter::EndObject() {
  out_ += '}';
  first_.pop_back();
}

void JsonWriter::BeginArray() {
  Separate();
  out_ += '[';
  first_.push_back(true);
}

void JsonWriter::EndArray() {
  out_ += ']';
  first_.pop_back();
}

void JsonWriter::Key(std::string_view key) {
  Separate();
  if (PlainPrefix(key) == key.size()) {
    AppendWrapped(out_, '"', key, "\":");
  } else {
    AppendJsonString(out_, key);
    out_ += ':';
  }
  after_key_ = true;
}

void JsonWriter::String(std::string_view value) {
  Separate();
  AppendJsonString(out_, value);
}

void JsonWriter::Int(int64_t value) {
  Separate();
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out_.append(digits, end);
}

void JsonWriter::Bool(bool value) {
  Separate();
  out_ += value ? "true" : "false";
}

void JsonWriter::Value(const nlohmann::json& value) {
  Separate();
  out_ += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hf
