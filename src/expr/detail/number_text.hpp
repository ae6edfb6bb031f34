#pragma once

// Doubles as text, the way CEL implementations print and read them.

#include <optional>
#include <string>

namespace hf::expr::detail {

// The shortest text that reads back as `d`, in Go's %g style: "123.456", "-0.0045", "1e+06" (Go's
// %g, as cel-go prints), "NaN", "+Inf", "-Inf".
std::string FormatDouble(double d);

// A whole string as a double ("1.5", "-2e3", "NaN", "Infinity", "-Inf"); nullopt otherwise.
std::optional<double> ParseDouble(const std::string& s);

}  // namespace hf::expr::detail
