#include "expr/detail/parser.hpp"

#include <limits>
#include <set>

#include "expr/detail/lexer.hpp"
#include "expr/detail/macros.hpp"

namespace hf::expr::detail {
namespace {

const std::set<std::string_view> kReserved = {
    "as",  "break", "const",   "continue",  "else",   "for", "function", "if",   "import",
    "let", "loop",  "package", "namespace", "return", "var", "void",     "while"};

// Global functions written with a dotted name.
const std::set<std::string_view> kNamespacedFunctions = {"optional.of", "optional.ofNonZeroValue",
                                                         "optional.none", "strings.quote"};

class Parser {
 public:
  Parser(std::string_view source, std::vector<Token> tokens)
      : src_(source), tokens_(std::move(tokens)) {}

  Result<ExprPtr> Run() {
    auto e = HF_TRY(ParseExpr());
    if (Cur().kind != Token::Kind::kEnd) return Bad(Cur().offset, "unexpected " + Describe(Cur()));
    return e;
  }

 private:
  // Counts nesting on entry and undoes it on exit.
  struct Nest {
    explicit Nest(int& depth) : depth_(depth) { ++depth_; }
    ~Nest() { --depth_; }
    int& depth_;
  };

  std::unexpected<Error> Bad(size_t at, std::string_view problem) const {
    return Fail(ErrorCode::kInvalidArgument, Where(src_, at, problem));
  }

  const Token& Cur() const { return tokens_[pos_]; }
  const Token& Ahead(size_t n) const { return tokens_[std::min(pos_ + n, tokens_.size() - 1)]; }
  bool IsPunct(std::string_view p, size_t ahead = 0) const {
    const Token& t = Ahead(ahead);
    return t.kind == Token::Kind::kPunct && t.text == p;
  }
  bool Accept(std::string_view p) {
    if (!IsPunct(p)) return false;
    ++pos_;
    return true;
  }
  Result<void> Expect(std::string_view p) {
    if (Accept(p)) return Ok();
    return Bad(Cur().offset, "expected '" + std::string(p) + "', found " + Describe(Cur()));
  }
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::kEnd:
        return "end of expression";
      case Token::Kind::kPunct:
      case Token::Kind::kIdent:
        return "'" + t.text + "'";
      default:
        return "literal";
    }
  }

  // Finishes a node: computes its height and enforces the nesting limit.
  Result<ExprPtr> Done(std::unique_ptr<Expr> e) {
    UpdateHeight(*e);
    if (e->height > kMaxNesting) return Bad(e->offset, "expression nested too deeply");
    return ExprPtr(std::move(e));
  }

  Result<ExprPtr> Call(size_t offset, Op op, std::string name, ExprPtr target,
                       std::vector<ExprPtr> args) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kCall;
    e->offset = offset;
    e->op = op;
    e->name = std::move(name);
    e->target = std::move(target);
    e->args = std::move(args);
    return Done(std::move(e));
  }

  Result<ExprPtr> Binary(size_t offset, Op op, ExprPtr l, ExprPtr r) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(l));
    args.push_back(std::move(r));
    return Call(offset, op, "", nullptr, std::move(args));
  }

  Result<ExprPtr> ParseExpr() {
    Nest nest(depth_);
    if (depth_ > kMaxNesting) return Bad(Cur().offset, "expression nested too deeply");
    const size_t at = Cur().offset;
    auto cond = HF_TRY(ParseOr());
    if (!IsPunct("?")) return cond;
    ++pos_;
    auto yes = HF_TRY(ParseOr());
    HF_CHECK(Expect(":"));
    auto no = HF_TRY(ParseExpr());
    std::vector<ExprPtr> args;
    args.push_back(std::move(cond));
    args.push_back(std::move(yes));
    args.push_back(std::move(no));
    return Call(at, Op::kConditional, "", nullptr, std::move(args));
  }

  Result<ExprPtr> ParseOr() {
    auto l = HF_TRY(ParseAnd());
    while (IsPunct("||")) {
      const size_t at = Cur().offset;
      ++pos_;
      l = HF_TRY(Binary(at, Op::kOr, std::move(l), HF_TRY(ParseAnd())));
    }
    return l;
  }

  Result<ExprPtr> ParseAnd() {
    auto l = HF_TRY(ParseRelation());
    while (IsPunct("&&")) {
      const size_t at = Cur().offset;
      ++pos_;
      l = HF_TRY(Binary(at, Op::kAnd, std::move(l), HF_TRY(ParseRelation())));
    }
    return l;
  }

  Result<ExprPtr> ParseRelation() {
    auto l = HF_TRY(ParseAddition());
    while (true) {
      const Token& t = Cur();
      Op op = Op::kNone;
      if (t.kind == Token::Kind::kPunct) {
        if (t.text == "<") op = Op::kLess;
        if (t.text == "<=") op = Op::kLessEqual;
        if (t.text == ">") op = Op::kGreater;
        if (t.text == ">=") op = Op::kGreaterEqual;
        if (t.text == "==") op = Op::kEqual;
        if (t.text == "!=") op = Op::kNotEqual;
        if (t.text == "=") return Bad(t.offset, "unexpected '=' (use '==')");
      } else if (t.kind == Token::Kind::kIdent && t.text == "in") {
        op = Op::kIn;
      }
      if (op == Op::kNone) return l;
      const size_t at = t.offset;
      ++pos_;
      l = HF_TRY(Binary(at, op, std::move(l), HF_TRY(ParseAddition())));
    }
  }

  Result<ExprPtr> ParseAddition() {
    auto l = HF_TRY(ParseMultiplication());
    while (IsPunct("+") || IsPunct("-")) {
      const size_t at = Cur().offset;
      const Op op = Cur().text == "+" ? Op::kAdd : Op::kSubtract;
      ++pos_;
      l = HF_TRY(Binary(at, op, std::move(l), HF_TRY(ParseMultiplication())));
    }
    return l;
  }

  Result<ExprPtr> ParseMultiplication() {
    auto l = HF_TRY(ParseUnary());
    while (IsPunct("*") || IsPunct("/") || IsPunct("%")) {
      const size_t at = Cur().offset;
      const Op op = Cur().text == "*"   ? Op::kMultiply
                    : Cur().text == "/" ? Op::kDivide
                                        : Op::kModulo;
      ++pos_;
      l = HF_TRY(Binary(at, op, std::move(l), HF_TRY(ParseUnary())));
    }
    return l;
  }

  Result<ExprPtr> ParseUnary() {
    Nest nest(depth_);
    if (depth_ > kMaxNesting) return Bad(Cur().offset, "expression nested too deeply");
    const size_t at = Cur().offset;
    if (IsPunct("!")) {
      ++pos_;
      std::vector<ExprPtr> args;
      args.push_back(HF_TRY(ParseUnary()));
      return Call(at, Op::kNot, "", nullptr, std::move(args));
    }
    if (IsPunct("-")) {
      ++pos_;
      // A negative number literal (so that -9223372036854775808 is an int).
      const Token& n = Cur();
      const bool postfix = IsPunct(".", 1) || IsPunct("[", 1);
      if (!postfix && n.kind == Token::Kind::kInt) {
        ++pos_;
        if (n.uint > uint64_t(std::numeric_limits<int64_t>::max()) + 1)
          return Bad(n.offset, "integer literal out of range");
        return Literal(at, Value(int64_t(0 - n.uint)));
      }
      if (!postfix && n.kind == Token::Kind::kDouble) {
        ++pos_;
        return Literal(at, Value(-*n.value.AsDouble()));
      }
      std::vector<ExprPtr> args;
      args.push_back(HF_TRY(ParseUnary()));
      return Call(at, Op::kNegate, "", nullptr, std::move(args));
    }
    return ParseMember();
  }

  Result<ExprPtr> Literal(size_t at, Value v) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kLiteral;
    e->offset = at;
    e->literal = std::move(v);
    return Done(std::move(e));
  }

  Result<std::vector<ExprPtr>> ParseArgs(std::string_view close) {
    std::vector<ExprPtr> args;
    if (Accept(close)) return args;
    while (true) {
      args.push_back(HF_TRY(ParseExpr()));
      if (Accept(close)) return args;
      HF_CHECK(Expect(","));
    }
  }

  // A field name after '.': an identifier (reserved words included) or a backquoted name.
  Result<std::string> FieldName() {
    const Token& t = Cur();
    if (t.kind != Token::Kind::kIdent && t.kind != Token::Kind::kQuotedIdent)
      return Bad(t.offset, "expected a field name, found " + Describe(t));
    ++pos_;
    return t.text;
  }

  Result<ExprPtr> ParseMember() {
    auto e = HF_TRY(ParsePrimary());
    while (true) {
      const size_t at = Cur().offset;
      if (Accept(".")) {
        const bool optional = Accept("?");
        const bool quoted = Cur().kind == Token::Kind::kQuotedIdent;
        auto field = HF_TRY(FieldName());
        if (!optional && !quoted && IsPunct("(")) {
          ++pos_;
          auto args = HF_TRY(ParseArgs(")"));
          e = HF_TRY(MemberCall(at, std::move(e), std::move(field), std::move(args)));
          continue;
        }
        auto s = std::make_unique<Expr>();
        s->kind = Expr::Kind::kSelect;
        s->offset = at;
        s->name = field;
        s->optional = optional;
        if (!optional && !quoted && (e->kind == Expr::Kind::kIdent || !e->qualified.empty()))
          s->qualified = (e->kind == Expr::Kind::kIdent ? e->name : e->qualified) + "." + field;
        s->target = std::move(e);
        e = HF_TRY(Done(std::move(s)));
      } else if (Accept("[")) {
        const Op op = Accept("?") ? Op::kOptionalIndex : Op::kIndex;
        auto index = HF_TRY(ParseExpr());
        HF_CHECK(Expect("]"));
        e = HF_TRY(Binary(at, op, std::move(e), std::move(index)));
      } else if (IsPunct("{") && (e->kind == Expr::Kind::kIdent || !e->qualified.empty())) {
        return Bad(at, "message construction is not supported");
      } else {
        return e;
      }
    }
  }

  Result<ExprPtr> MemberCall(size_t at, ExprPtr target, std::string name,
                             std::vector<ExprPtr> args) {
    // optional.of(x) and friends: a dotted global function name.
    if (target->kind == Expr::Kind::kIdent) {
      const std::string full = target->name + "." + name;
      if (kNamespacedFunctions.contains(full))
        return Call(at, Op::kNone, full, nullptr, std::move(args));
    }
    auto macro = HF_TRY(ExpandMacro(src_, at, name, target, args));
    if (macro) {
      if (macro->height > kMaxNesting) return Bad(at, "expression nested too deeply");
      return macro;
    }
    return Call(at, Op::kNone, std::move(name), std::move(target), std::move(args));
  }

  Result<ExprPtr> ParsePrimary() {
    Nest nest(depth_);
    if (depth_ > kMaxNesting) return Bad(Cur().offset, "expression nested too deeply");
    const Token& t = Cur();
    const size_t at = t.offset;
    switch (t.kind) {
      case Token::Kind::kInt:
        ++pos_;
        if (t.uint > uint64_t(std::numeric_limits<int64_t>::max()))
          return Bad(at, "integer literal out of range");
        return Literal(at, Value(int64_t(t.uint)));
      case Token::Kind::kUint:
        ++pos_;
        return Literal(at, Value(t.uint));
      case Token::Kind::kDouble:
      case Token::Kind::kString:
      case Token::Kind::kBytes:
        ++pos_;
        return Literal(at, t.value);
      case Token::Kind::kIdent:
        return ParseIdent();
      case Token::Kind::kQuotedIdent:
        return Bad(at, "a backquoted name is only allowed after '.'");
      case Token::Kind::kEnd:
        return Bad(at, "unexpected end of expression");
      case Token::Kind::kPunct:
        break;
    }
    if (IsPunct(".") && Ahead(1).kind == Token::Kind::kIdent) {
      ++pos_;  // a leading dot names the root scope; there are no containers, so it is a no-op
      return ParseIdent();
    }
    if (Accept("(")) {
      auto e = HF_TRY(ParseExpr());
      HF_CHECK(Expect(")"));
      return e;
    }
    if (Accept("[")) return ParseList(at);
    if (Accept("{")) return ParseMap(at);
    return Bad(at, "unexpected " + Describe(t));
  }

  Result<ExprPtr> ParseIdent() {
    const Token& t = Cur();
    const size_t at = t.offset;
    ++pos_;
    if (t.text == "true" || t.text == "false") return Literal(at, Value(t.text == "true"));
    if (t.text == "null") return Literal(at, Value());
    if (t.text == "in" || kReserved.contains(t.text))
      return Bad(at, "reserved word '" + t.text + "'");
    if (Accept("(")) {
      auto args = HF_TRY(ParseArgs(")"));
      ExprPtr none;
      auto macro = HF_TRY(ExpandMacro(src_, at, t.text, none, args));
      if (macro) return macro;
      return Call(at, Op::kNone, t.text, nullptr, std::move(args));
    }
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kIdent;
    e->offset = at;
    e->name = t.text;
    return Done(std::move(e));
  }

  Result<ExprPtr> ParseList(size_t at) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kList;
    e->offset = at;
    bool any_optional = false;
    std::vector<bool> optional;
    while (!Accept("]")) {
      const bool opt = Accept("?");
      any_optional |= opt;
      optional.push_back(opt);
      e->args.push_back(HF_TRY(ParseExpr()));
      if (Accept("]")) break;
      HF_CHECK(Expect(","));
    }
    if (any_optional) e->optional_elements = std::move(optional);
    return Done(std::move(e));
  }

  Result<ExprPtr> ParseMap(size_t at) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kMap;
    e->offset = at;
    while (!Accept("}")) {
      Expr::Entry entry;
      entry.optional = Accept("?");
      entry.key = HF_TRY(ParseExpr());
      HF_CHECK(Expect(":"));
      entry.value = HF_TRY(ParseExpr());
      e->entries.push_back(std::move(entry));
      if (Accept("}")) break;
      HF_CHECK(Expect(","));
    }
    return Done(std::move(e));
  }

  std::string_view src_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<ExprPtr> Parse(std::string_view source) {
  auto tokens = HF_TRY(Lex(source));
  return Parser(source, std::move(tokens)).Run();
}

}  // namespace hf::expr::detail
