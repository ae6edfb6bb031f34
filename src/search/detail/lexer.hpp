#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace hf::search::detail {

enum class TokenKind {
  kIdentifier,  // a field name or a keyword: [A-Za-z_][A-Za-z0-9_./-]*
  kString,      // '…' with '' standing for one quote; `text` holds the unescaped contents
  kNumber,      // -?[0-9]+(\.[0-9]+)?; `text` holds the literal as written
  kEq,          // =
  kNe,          // !=
  kLt,          // <
  kLe,          // <=
  kGt,          // >
  kGe,          // >=
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kEnd,  // end of input; always the last token
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  size_t pos = 0;  // 1-based byte position in the query
};

// Splits a query into tokens ending with one kEnd token. Rejects invalid UTF-8, NUL bytes,
// unterminated strings and characters outside the grammar with a SyntaxError.
Result<std::vector<Token>> Tokenize(std::string_view query);

// True if `token` is the identifier `keyword` in any letter case; `keyword` is lower case.
bool IsKeyword(const Token& token, std::string_view keyword);

// True for the words the grammar reserves (and, or, not, in, between, is, null, like, ilike).
bool IsReservedWord(const Token& token);

// How messages name a token: "'name'", "'('", "a string", "the number 5", "the end of the query".
std::string Describe(const Token& token);

// The kBadRequest error every syntax problem becomes: "failed to parse search query: <what>".
std::unexpected<Error> SyntaxError(std::string_view what);

}  // namespace hf::search::detail
