#include "search/detail/lexer.hpp"

#include <array>
#include <cstdio>

namespace hf::search::detail {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentifierStart(char c) { return IsLetter(c) || c == '_'; }
bool IsIdentifierPart(char c) {
  return IsLetter(c) || IsDigit(c) || c == '_' || c == '.' || c == '-' || c == '/';
}

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if it is malformed.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = i + 2; k < i + n; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xBF) return 0;
  }
  return n;
}

// The character at s[i] for a message: 'x', or \xNN for control bytes.
std::string DescribeChar(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x20 || b == 0x7F) {
    std::array<char, 8> buf{};
    std::snprintf(buf.data(), buf.size(), "\\x%02X", b);
    return buf.data();
  }
  return "'" + std::string(s.substr(i, Utf8Length(s, i))) + "'";
}

std::string At(size_t pos) { return " at position " + std::to_string(pos); }

}  // namespace

std::unexpected<Error> SyntaxError(std::string_view what) {
  return Fail(ErrorCode::kBadRequest, "failed to parse search query: " + std::string(what));
}

Result<std::vector<Token>> Tokenize(std::string_view s) {
  // Reject bytes no database would accept before looking at the grammar.
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '\0') return SyntaxError("NUL character" + At(i + 1));
    const size_t n = Utf8Length(s, i);
    if (n == 0) return SyntaxError("invalid UTF-8" + At(i + 1));
    i += n;
  }

  std::vector<Token> tokens;
  size_t i = 0;
  const auto emit = [&](TokenKind kind, size_t start, std::string text) {
    tokens.push_back(Token{kind, std::move(text), start + 1});
  };
  while (i < s.size()) {
    const char c = s[i];
    const size_t start = i;
    if (IsSpace(c)) {
      ++i;
    } else if (c == '\'') {
      std::string text;
      for (++i;; ++i) {
        if (i == s.size()) return SyntaxError("unterminated string starting" + At(start + 1));
        if (s[i] != '\'') {
          text += s[i];
        } else if (i + 1 < s.size() && s[i + 1] == '\'') {
          text += '\'';
          ++i;
        } else {
          break;
        }
      }
      ++i;  // the closing quote
      emit(TokenKind::kString, start, std::move(text));
    } else if (IsDigit(c) || (c == '-' && i + 1 < s.size() && IsDigit(s[i + 1]))) {
      ++i;
      while (i < s.size() && IsDigit(s[i])) ++i;
      if (i + 1 < s.size() && s[i] == '.' && IsDigit(s[i + 1])) {
        ++i;
        while (i < s.size() && IsDigit(s[i])) ++i;
      }
      emit(TokenKind::kNumber, start, std::string(s.substr(start, i - start)));
    } else if (IsIdentifierStart(c)) {
      while (i < s.size() && IsIdentifierPart(s[i])) ++i;
      emit(TokenKind::kIdentifier, start, std::string(s.substr(start, i - start)));
    } else {
      const bool has_eq = i + 1 < s.size() && s[i + 1] == '=';
      TokenKind kind;
      switch (c) {
        case '=':
          kind = TokenKind::kEq;
          break;
        case '<':
          kind = has_eq ? TokenKind::kLe : TokenKind::kLt;
          break;
        case '>':
          kind = has_eq ? TokenKind::kGe : TokenKind::kGt;
          break;
        case '!':
          if (!has_eq) return SyntaxError("unexpected character '!'" + At(start + 1));
          kind = TokenKind::kNe;
          break;
        case '(':
          kind = TokenKind::kLParen;
          break;
        case ')':
          kind = TokenKind::kRParen;
          break;
        case '[':
          kind = TokenKind::kLBracket;
          break;
        case ']':
          kind = TokenKind::kRBracket;
          break;
        case ',':
          kind = TokenKind::kComma;
          break;
        default:
          return SyntaxError("unexpected character " + DescribeChar(s, i) + At(start + 1));
      }
      const bool two_chars = has_eq && (c == '<' || c == '>' || c == '!');
      i += two_chars ? 2 : 1;
      emit(kind, start, std::string(s.substr(start, i - start)));
    }
  }
  emit(TokenKind::kEnd, s.size(), "");
  return tokens;
}

bool IsKeyword(const Token& token, std::string_view keyword) {
  if (token.kind != TokenKind::kIdentifier || token.text.size() != keyword.size()) return false;
  for (size_t i = 0; i < keyword.size(); ++i) {
    char c = token.text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != keyword[i]) return false;
  }
  return true;
}

bool IsReservedWord(const Token& token) {
  for (std::string_view word :
       {"and", "or", "not", "in", "between", "is", "null", "like", "ilike"}) {
    if (IsKeyword(token, word)) return true;
  }
  return false;
}

std::string Describe(const Token& token) {
  constexpr size_t kMaxShown = 64;
  switch (token.kind) {
    case TokenKind::kEnd:
      return "the end of the query";
    case TokenKind::kString:
      return "a string";
    case TokenKind::kNumber:
      return "the number " + token.text.substr(0, kMaxShown);
    case TokenKind::kIdentifier:
      if (token.text.size() > kMaxShown) return "'" + token.text.substr(0, kMaxShown) + "…'";
      return "'" + token.text + "'";
    default:
      return "'" + token.text + "'";
  }
}

}  // namespace hf::search::detail
