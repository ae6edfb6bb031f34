#pragma once

// Splits CEL source into tokens (google/cel-spec doc/langdef.md "Syntax": literals with every
// escape, raw and triple-quoted strings, hex and unsigned integers, `//` comments).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "expr/value.hpp"

namespace hf::expr::detail {

struct Token {
  enum class Kind {
    kInt,          // magnitude in `uint` (a '-' before it is a separate token)
    kUint,         // `uint`
    kDouble,       // `value`
    kString,       // `value`
    kBytes,        // `value`
    kIdent,        // `text`
    kQuotedIdent,  // `text` (a backquoted field name)
    kPunct,        // `text`: one of ( ) [ ] { } . , ? : ! + - * / % < <= > >= == != && || =
    kEnd,
  };
  Kind kind = Kind::kEnd;
  size_t offset = 0;  // in bytes
  std::string text;
  uint64_t uint = 0;
  Value value;
};

// Errors: kInvalidArgument "column C: <problem>" (with the line when `source` has several).
Result<std::vector<Token>> Lex(std::string_view source);

// "column C: problem" or "line L, column C: problem" for the byte `offset` of `source`, lines
// and columns 1-based, counted in characters.
std::string Where(std::string_view source, size_t offset, std::string_view problem);

}  // namespace hf::expr::detail
