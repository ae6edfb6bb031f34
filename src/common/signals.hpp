#pragma once

#include "common/time.hpp"

namespace hf {

// Blocks SIGINT and SIGTERM in the calling thread (and the threads it starts afterwards), so
// that WaitForTerminationSignal() can receive them synchronously. Call first thing in main.
void BlockTerminationSignals();
// Waits for SIGINT or SIGTERM; returns the signal number.
int WaitForTerminationSignal();
// The same, for at most `timeout`: the signal number, or 0 when none came.
int WaitForTerminationSignal(Duration timeout);

}  // namespace hf
