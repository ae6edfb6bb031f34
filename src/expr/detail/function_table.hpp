#pragma once

// The functions an expression may call by name, grouped by family (one file each): core (size,
// type, dyn), conversions, strings (with the strings extension), timestamps, optionals. Operators
// are not here (operators.hpp).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"
#include "expr/value.hpp"

namespace hf::expr::detail {

// The evaluation budget (Limits::max_cost). Not thread-safe: one per evaluation.
class Cost {
 public:
  explicit Cost(int64_t max) : left_(max) {}
  // Spends `n` steps; "cost limit exceeded" once the budget is gone.
  Result<void> Charge(int64_t n);
  // Whether the budget is gone (an error then is not one that && or exists() may absorb).
  bool exhausted() const { return left_ < 0; }

 private:
  int64_t left_;
};

// An evaluation error: kInvalidArgument with a one-line message.
std::unexpected<Error> EvalError(std::string message);
// "no such overload: size(bool)", "no such overload: string.contains(int)".
std::unexpected<Error> NoSuchOverload(std::string_view function, std::span<const Value> args,
                                      bool member);

// A function's implementation. For a member call `x.f(a)`, args is {x, a}.
using Function = Result<Value> (*)(std::span<const Value> args, Cost& cost);

enum class CallStyle { kGlobal, kMember, kBoth };

class FunctionTable {
 public:
  void Add(std::string_view name, CallStyle style, Function f);
  // nullptr when there is no such function for that call style.
  Function Find(std::string_view name, bool member) const;

  // Every built-in function (built once, immutable after).
  static const FunctionTable& Builtins();

 private:
  std::unordered_map<std::string, Function> global_;
  std::unordered_map<std::string, Function> member_;
};

// Each family registers its functions.
void AddCoreFunctions(FunctionTable& table);
void AddConversionFunctions(FunctionTable& table);
void AddStringFunctions(FunctionTable& table);
void AddTimestampFunctions(FunctionTable& table);
void AddOptionalFunctions(FunctionTable& table);

}  // namespace hf::expr::detail
