#pragma once

// Child processes for the local runner (Linux): starting a command in its own process group,
// noticing that it ended, killing its group, and recognising a process again after a restart
// (by pid plus /proc start time, so a reused pid is not mistaken for it).

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace hf::jobs::detail {

struct SpawnRequest {
  std::vector<std::string> argv;           // argv[0]: a path, or a name looked up on $PATH
  std::map<std::string, std::string> env;  // with the variables InheritedByJobs lets through
  std::string workdir;                     // empty: this process's current directory
  std::string log_path;                    // stdout and stderr are appended here (created)
};

// Starts the command as the leader of a new process group, stdin from /dev/null, no inherited
// descriptors beyond 0-2, default signal dispositions and an empty signal mask. Errors:
// kInvalidArgument when it cannot be started (not found, not executable, bad workdir).
Result<pid_t> SpawnInNewGroup(const SpawnRequest& request);

// Whether a variable of this process reaches a job: only the basics a program needs (PATH,
// HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TZ, TMPDIR, TERM). Anything else — cloud
// credentials, broker URLs with passwords — stays out; a job gets what its config's env names.
bool InheritedByJobs(std::string_view name);

// The start time (clock ticks since boot, /proc/<pid>/stat field 22) of a live, non-zombie
// process; nullopt if there is none with that pid.
std::optional<uint64_t> ProcessStartTime(pid_t pid);

// Whether the process `pid` that started at `start` still runs (false once the pid is reused).
bool ProcessAlive(pid_t pid, uint64_t start);

// How a process that ended did so. wait_status is set when it was our child (reaped with
// waitpid); absent for another process's child, whose exit status cannot be known.
struct ProcessExit {
  std::optional<int> wait_status;
};

// Without blocking: nullopt while `pid` (started at `start`) runs, else how it ended. Reaps it
// when it is our child.
std::optional<ProcessExit> PollExit(pid_t pid, uint64_t start);

// A descriptor that becomes readable (POLLIN) when the process `pid` ends (a pidfd), or -1 when
// there is none to be had (the process is gone already, or the kernel has no pidfd_open): then
// only PollExit tells. For a process that is not our child, `start` (its /proc start time)
// guards against a reused pid; our unreaped child cannot be reused. The caller closes it.
int OpenExitDescriptor(pid_t pid, std::optional<uint64_t> start);

// Sends SIGKILL to the process group led by `leader` (no-op for leader <= 0 or a gone group).
void KillGroup(pid_t leader);

// "exited with code N" / "killed by signal N".
std::string DescribeWaitStatus(int wait_status);

// A process group leader whose environment holds `entry` ("NAME=value"), if one runs. Scans
// /proc; for finding a process whose starter died before recording its pid.
std::optional<pid_t> FindGroupLeaderWithEnv(std::string_view entry);

}  // namespace hf::jobs::detail
