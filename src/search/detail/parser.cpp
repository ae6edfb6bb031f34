#include "search/detail/parser.hpp"

#include <utility>

#include "search/detail/lexer.hpp"

namespace hf::search::detail {
namespace {

// Recursive descent over the token list; one method per grammar rule (see parser.hpp).
class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<Expr> ParseQuery() {
    Expr expr = HF_TRY(ParseOr(0));
    if (Peek().kind != TokenKind::kEnd) return Expected("'and', 'or' or the end of the query");
    return expr;
  }

 private:
  const Token& Peek() const { return tokens_[next_]; }
  const Token& Advance() { return tokens_[next_ == tokens_.size() - 1 ? next_ : next_++]; }
  bool AcceptKeyword(std::string_view keyword) {
    if (!IsKeyword(Peek(), keyword)) return false;
    Advance();
    return true;
  }
  std::unexpected<Error> Expected(std::string_view what) const {
    return SyntaxError("expected " + std::string(what) + " but found " + Describe(Peek()) +
                       " at position " + std::to_string(Peek().pos));
  }

  // Parses `operand (keyword operand)*` into one flattened node of `kind`.
  template <typename ParseOperand>
  Result<Expr> ParseChain(std::string_view keyword, Expr::Kind kind, ParseOperand parse_operand) {
    Expr first = HF_TRY(parse_operand());
    if (!IsKeyword(Peek(), keyword)) return first;
    Expr chain{.kind = kind, .comparison = {}, .operands = {}};
    chain.operands.push_back(std::move(first));
    while (AcceptKeyword(keyword)) chain.operands.push_back(HF_TRY(parse_operand()));
    return chain;
  }

  Result<Expr> ParseOr(int depth) {
    return ParseChain("or", Expr::Kind::kOr, [&] { return ParseAnd(depth); });
  }

  Result<Expr> ParseAnd(int depth) {
    return ParseChain("and", Expr::Kind::kAnd, [&] { return ParseUnary(depth); });
  }

  Result<Expr> ParseUnary(int depth) {
    const bool is_not = IsKeyword(Peek(), "not");
    const bool is_group = Peek().kind == TokenKind::kLParen;
    if ((is_not || is_group) && depth >= kMaxNesting) {
      return SyntaxError("expression nested more than " + std::to_string(kMaxNesting) +
                         " levels deep at position " + std::to_string(Peek().pos));
    }
    if (is_not) {
      Advance();
      Expr operand = HF_TRY(ParseUnary(depth + 1));
      Expr negation{.kind = Expr::Kind::kNot, .comparison = {}, .operands = {}};
      negation.operands.push_back(std::move(operand));
      return negation;
    }
    if (is_group) {
      Advance();
      Expr inner = HF_TRY(ParseOr(depth + 1));
      if (Peek().kind != TokenKind::kRParen) return Expected("')'");
      Advance();
      return inner;
    }
    return ParseComparison();
  }

  Result<Expr> ParseComparison() {
    const Token& field = Peek();
    if (field.kind != TokenKind::kIdentifier || IsReservedWord(field)) {
      return Expected("a field name or '('");
    }
    Advance();
    ComparisonExpr cmp{.field = field.text, .pos = field.pos, .op = CompareOp::kEq, .values = {}};
    const Token& op = Peek();
    switch (op.kind) {
      case TokenKind::kEq:
        cmp.op = CompareOp::kEq;
        break;
      case TokenKind::kNe:
        cmp.op = CompareOp::kNe;
        break;
      case TokenKind::kLt:
        cmp.op = CompareOp::kLt;
        break;
      case TokenKind::kLe:
        cmp.op = CompareOp::kLe;
        break;
      case TokenKind::kGt:
        cmp.op = CompareOp::kGt;
        break;
      case TokenKind::kGe:
        cmp.op = CompareOp::kGe;
        break;
      default:
        if (IsKeyword(op, "like")) {
          cmp.op = CompareOp::kLike;
        } else if (IsKeyword(op, "ilike")) {
          cmp.op = CompareOp::kILike;
        } else if (IsKeyword(op, "in")) {
          cmp.op = CompareOp::kIn;
        } else if (IsKeyword(op, "between")) {
          cmp.op = CompareOp::kBetween;
        } else if (IsKeyword(op, "is")) {
          cmp.op = CompareOp::kIsNull;
        } else {
          return Expected("an operator (=, !=, <, <=, >, >=, in, between, is, like, ilike)");
        }
    }
    Advance();

    switch (cmp.op) {
      case CompareOp::kIn:
        cmp.values = HF_TRY(ParseList());
        break;
      case CompareOp::kBetween:
        cmp.values.push_back(HF_TRY(ParseValue()));
        if (!AcceptKeyword("and")) return Expected("'and'");
        cmp.values.push_back(HF_TRY(ParseValue()));
        break;
      case CompareOp::kIsNull:
        if (AcceptKeyword("not")) cmp.op = CompareOp::kIsNotNull;
        if (!AcceptKeyword("null")) return Expected("'null'");
        break;
      default:
        cmp.values.push_back(HF_TRY(ParseValue()));
        break;
    }
    return Expr{.kind = Expr::Kind::kComparison, .comparison = std::move(cmp), .operands = {}};
  }

  // "[" value ("," value)* "]" or the same in parentheses.
  Result<std::vector<Literal>> ParseList() {
    TokenKind close;
    if (Peek().kind == TokenKind::kLBracket) {
      close = TokenKind::kRBracket;
    } else if (Peek().kind == TokenKind::kLParen) {
      close = TokenKind::kRParen;
    } else {
      return Expected("'[' or '('");
    }
    Advance();
    std::vector<Literal> values;
    for (;;) {
      values.push_back(HF_TRY(ParseValue()));
      if (Peek().kind == close) break;
      if (Peek().kind != TokenKind::kComma) {
        return Expected(close == TokenKind::kRBracket ? "',' or ']'" : "',' or ')'");
      }
      Advance();
    }
    Advance();
    return values;
  }

  Result<Literal> ParseValue() {
    const Token& token = Peek();
    Literal literal{.kind = Literal::Kind::kString, .text = token.text, .pos = token.pos};
    if (token.kind == TokenKind::kNumber) {
      literal.kind = Literal::Kind::kNumber;
    } else if (token.kind != TokenKind::kString) {
      return Expected("a quoted string or a number");
    }
    Advance();
    return literal;
  }

  std::vector<Token> tokens_;
  size_t next_ = 0;
};

}  // namespace

Result<Expr> Parse(std::string_view query) {
  std::vector<Token> tokens = HF_TRY(Tokenize(query));
  return Parser(std::move(tokens)).ParseQuery();
}

}  // namespace hf::search::detail
