#include "expr/detail/lexer.hpp"

#include <cerrno>
#include <cstdlib>

#include "expr/detail/utf8.hpp"

namespace hf::expr::detail {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsIdentStart(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  return (c | 0x20) - 'a' + 10;
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      SkipSpace();
      Token t;
      t.offset = pos_;
      if (pos_ >= src_.size()) {
        out.push_back(std::move(t));
        return out;
      }
      HF_CHECK(Next(t));
      out.push_back(std::move(t));
    }
  }

 private:
  std::unexpected<Error> Bad(size_t at, std::string_view problem) const {
    return Fail(ErrorCode::kInvalidArgument, Where(src_, at, problem));
  }

  void SkipSpace() {
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '/') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }

  Result<void> Next(Token& t) {
    const char c = Peek();
    if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return Number(t);
    if (c == '"' || c == '\'') return String(t, false, false);
    if (IsIdentStart(c)) {
      // String prefixes: r, b, and both in either order, any case.
      size_t n = 0;
      bool raw = false, bytes = false;
      while (n < 2 && (Peek(n) == 'r' || Peek(n) == 'R' || Peek(n) == 'b' || Peek(n) == 'B')) {
        const bool is_raw = Peek(n) == 'r' || Peek(n) == 'R';
        if ((is_raw && raw) || (!is_raw && bytes)) break;
        (is_raw ? raw : bytes) = true;
        ++n;
      }
      if (n > 0 && (Peek(n) == '"' || Peek(n) == '\'')) {
        pos_ += n;
        return String(t, raw, bytes);
      }
      const size_t start = pos_;
      while (IsIdentChar(Peek())) ++pos_;
      t.kind = Token::Kind::kIdent;
      t.text = std::string(src_.substr(start, pos_ - start));
      return Ok();
    }
    if (c == '`') {
      const size_t start = ++pos_;
      while (pos_ < src_.size() && src_[pos_] != '`') {
        const char q = src_[pos_];
        if (!IsIdentChar(q) && q != '.' && q != '-' && q != '/' && q != ' ')
          return Bad(pos_, "invalid character in a quoted identifier");
        ++pos_;
      }
      if (pos_ >= src_.size()) return Bad(start - 1, "unterminated quoted identifier");
      t.kind = Token::Kind::kQuotedIdent;
      t.text = std::string(src_.substr(start, pos_ - start));
      if (t.text.empty()) return Bad(start - 1, "empty quoted identifier");
      ++pos_;
      return Ok();
    }
    static constexpr std::string_view kTwo[] = {"<=", ">=", "==", "!=", "&&", "||"};
    for (std::string_view op : kTwo) {
      if (src_.substr(pos_, 2) == op) {
        t.kind = Token::Kind::kPunct;
        t.text = std::string(op);
        pos_ += 2;
        return Ok();
      }
    }
    if (std::string_view("()[]{}.,?:!+-*/%<>=").find(c) != std::string_view::npos) {
      t.kind = Token::Kind::kPunct;
      t.text = std::string(1, c);
      ++pos_;
      return Ok();
    }
    return Bad(pos_,
               "unexpected character '" + std::string(src_.substr(pos_, Utf8Length(c))) + "'");
  }

  Result<void> Number(Token& t) {
    const size_t start = pos_;
    if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X')) {
      pos_ += 2;
      const size_t digits = pos_;
      while (IsHex(Peek())) ++pos_;
      if (pos_ == digits) return Bad(start, "invalid hex literal");
      return Integer(t, start, src_.substr(digits, pos_ - digits), 16);
    }
    while (IsDigit(Peek())) ++pos_;
    bool is_double = false;
    if (Peek() == '.' && IsDigit(Peek(1))) {
      is_double = true;
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      size_t n = 1;
      if (Peek(n) == '+' || Peek(n) == '-') ++n;
      if (IsDigit(Peek(n))) {
        is_double = true;
        pos_ += n;
        while (IsDigit(Peek())) ++pos_;
      }
    }
    if (is_double) {
      const std::string text(src_.substr(start, pos_ - start));
      t.kind = Token::Kind::kDouble;
      t.value = Value(std::strtod(text.c_str(), nullptr));
      if (IsIdentStart(Peek())) return Bad(pos_, "invalid number literal");
      return Ok();
    }
    return Integer(t, start, src_.substr(start, pos_ - start), 10);
  }

  Result<void> Integer(Token& t, size_t start, std::string_view digits, int base) {
    const std::string text(digits);
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, base);
    if (errno == ERANGE) return Bad(start, "integer literal out of range");
    t.uint = v;
    if (Peek() == 'u' || Peek() == 'U') {
      ++pos_;
      t.kind = Token::Kind::kUint;
    } else {
      t.kind = Token::Kind::kInt;
    }
    if (IsIdentChar(Peek())) return Bad(pos_, "invalid number literal");
    return Ok();
  }

  Result<void> String(Token& t, bool raw, bool bytes) {
    const size_t start = pos_;
    const char quote = Peek();
    const bool triple = Peek(1) == quote && Peek(2) == quote;
    pos_ += triple ? 3 : 1;
    std::string out;
    while (true) {
      if (pos_ >= src_.size()) return Bad(start, "unterminated string literal");
      const char c = src_[pos_];
      if (c == quote && (!triple || (Peek(1) == quote && Peek(2) == quote))) {
        pos_ += triple ? 3 : 1;
        break;
      }
      if (!triple && (c == '\n' || c == '\r')) return Bad(pos_, "newline in string literal");
      if (c != '\\' || raw) {
        out += c;
        ++pos_;
        continue;
      }
      HF_CHECK(Escape(out, bytes));
    }
    if (bytes) {
      t.kind = Token::Kind::kBytes;
      t.value = Value(Bytes{std::move(out)});
    } else {
      if (!IsValidUtf8(out)) return Bad(start, "invalid UTF-8 in string literal");
      t.kind = Token::Kind::kString;
      t.value = Value(std::move(out));
    }
    return Ok();
  }

  // Reads one escape sequence at pos_ (a backslash) into `out`.
  Result<void> Escape(std::string& out, bool bytes) {
    const size_t at = pos_;
    const char e = Peek(1);
    pos_ += 2;
    switch (e) {
      case 'a':
        out += '\a';
        return Ok();
      case 'b':
        out += '\b';
        return Ok();
      case 'f':
        out += '\f';
        return Ok();
      case 'n':
        out += '\n';
        return Ok();
      case 'r':
        out += '\r';
        return Ok();
      case 't':
        out += '\t';
        return Ok();
      case 'v':
        out += '\v';
        return Ok();
      case '\\':
      case '?':
      case '"':
      case '\'':
      case '`':
        out += e;
        return Ok();
      case 'x':
      case 'X':
      case 'u':
      case 'U': {
        const int n = (e == 'x' || e == 'X') ? 2 : e == 'u' ? 4 : 8;
        if ((e == 'u' || e == 'U') && bytes) return Bad(at, "\\u escape in bytes literal");
        uint32_t v = 0;
        for (int i = 0; i < n; ++i) {
          if (!IsHex(Peek())) return Bad(at, "invalid escape sequence");
          v = v * 16 + HexValue(src_[pos_++]);
        }
        return Emit(out, v, bytes && n == 2, at);
      }
      default:
        if (e >= '0' && e <= '3' && Peek() >= '0' && Peek() <= '7' && Peek(1) >= '0' &&
            Peek(1) <= '7') {
          const uint32_t v = (e - '0') * 64 + (Peek() - '0') * 8 + (Peek(1) - '0');
          pos_ += 2;
          return Emit(out, v, bytes, at);
        }
        return Bad(at, "invalid escape sequence");
    }
  }

  Result<void> Emit(std::string& out, uint32_t v, bool as_byte, size_t at) {
    if (as_byte) {
      out += char(v);
      return Ok();
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return Bad(at, "invalid code point");
    AppendUtf8(out, v);
    return Ok();
  }

  std::string_view src_;
  size_t pos_ = 0;
};

}  // namespace

std::string Where(std::string_view source, size_t offset, std::string_view problem) {
  size_t line = 1, column = 1;
  const bool multi = source.find('\n') != std::string_view::npos;
  for (size_t i = 0; i < offset && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  std::string out = multi ? "line " + std::to_string(line) + ", " : "";
  return out + "column " + std::to_string(column) + ": " + std::string(problem);
}

Result<std::vector<Token>> Lex(std::string_view source) { return Lexer(source).Run(); }

}  // namespace hf::expr::detail
