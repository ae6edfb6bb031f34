// The CEL engine (expr/expr.hpp) on arbitrary source text: a compile error, or a program whose
// evaluation (with a small cost limit, over a few JSON variables) gives a value or an error;
// never a crash, a hang or an uncaught exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "expr/expr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto program = hf::expr::Program::Compile(text);
  if (!program) return 0;
  static const hf::expr::Activation vars = {
      {"x", hf::expr::FromJson(nlohmann::json::parse(
                R"({"a": 1, "b": [1, 2.5, "s", null, true], "c": {"d": {"e": "f"}}})"))},
      {"s", hf::expr::Value("héllo")},
      {"n", hf::expr::Value(int64_t{-3})}};
  auto value = program->Evaluate(vars, hf::expr::Limits{.max_cost = 20'000});
  if (value) (void)hf::expr::ToJson(*value);
  return 0;
}
