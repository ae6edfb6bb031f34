#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace hf::testing {

// A child process (e.g. the real `hyperfleet` binary) with stdout+stderr in a log file.
// The destructor sends SIGTERM, waits a little, then SIGKILLs.
class Process {
 public:
  Process(std::vector<std::string> argv, std::map<std::string, std::string> extra_env,
          std::string log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // Sends `signal` and waits up to `timeout` for the exit; returns the exit code (128+signal
  // if killed by a signal), or -1 if it is still running.
  int Stop(int signal, std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));
  // Waits for the process to exit by itself; exit code or -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  std::string Log() const;
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
};

// Runs a command to completion; returns {exit code, combined output}.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
RunResult Run(const std::vector<std::string>& argv,
              const std::map<std::string, std::string>& extra_env = {},
              std::chrono::milliseconds timeout = std::chrono::milliseconds(60'000));

// Runs the hyperfleet binary under test with `args` to completion.
RunResult RunHyperfleet(std::vector<std::string> args,
                        const std::map<std::string, std::string>& extra_env = {});

// A TCP port that was free a moment ago, below the ephemeral and the services' ranges
// (10000–19999).
int FreePort();
// Polls until something accepts TCP connections on 127.0.0.1:port, or the timeout passes.
bool WaitForPort(int port, std::chrono::milliseconds timeout);
// The path of the hyperfleet binary under test ($HF_BINARY).
std::string HyperfleetBinary();

}  // namespace hf::testing
