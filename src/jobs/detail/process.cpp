#include "jobs/detail/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "common/file.hpp"

extern char** environ;

namespace hf::jobs::detail {

bool InheritedByJobs(std::string_view name) {
  for (std::string_view allowed :
       {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM"}) {
    if (name == allowed) return true;
  }
  return name.starts_with("LC_");
}

Result<pid_t> SpawnInNewGroup(const SpawnRequest& request) {
  if (request.argv.empty()) return Fail(ErrorCode::kInvalidArgument, "no command to start");
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string_view::npos && InheritedByJobs(entry.substr(0, eq))) {
      env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  for (const auto& [k, v] : request.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = request.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, request.log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // The child must not inherit our sockets: an orphaned job holding the listening ports would
  // keep a crashed adapter (or `dev`) from starting again.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!request.workdir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, request.workdir.c_str());
  }
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "cannot start '" + request.argv[0] + "': " + std::string(strerror(rc)));
  }
  return pid;
}

std::optional<uint64_t> ProcessStartTime(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat->substr(close + 2));
  std::string state;
  fields >> state;  // field 3
  if (state == "Z" || state == "X") return std::nullopt;
  std::string skip;
  for (int i = 4; i < 22; ++i) fields >> skip;
  uint64_t start = 0;
  fields >> start;  // field 22
  return start;
}

bool ProcessAlive(pid_t pid, uint64_t start) {
  auto now = ProcessStartTime(pid);
  return now && *now == start;
}

std::optional<ProcessExit> PollExit(pid_t pid, uint64_t start) {
  int status = 0;
  const pid_t r = pid > 0 ? ::waitpid(pid, &status, WNOHANG) : -1;
  if (r == pid) return ProcessExit{status};
  // Not our child (e.g. adopted from a previous run): it ended when it no longer runs.
  if (r < 0 && !ProcessAlive(pid, start)) return ProcessExit{};
  return std::nullopt;
}

int OpenExitDescriptor(pid_t pid, std::optional<uint64_t> start) {
  if (pid <= 0) return -1;
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return -1;
  if (start && !ProcessAlive(pid, *start)) {  // reused before the open, or ended already
    ::close(fd);
    return -1;
  }
  return fd;
}

void KillGroup(pid_t leader) {
  if (leader > 0) ::killpg(leader, SIGKILL);
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
  return "killed by signal " + std::to_string(WTERMSIG(wait_status));
}

std::optional<pid_t> FindGroupLeaderWithEnv(std::string_view entry) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator("/proc", ec)) {
    const std::string file = dir.path().filename().string();
    if (file.empty() || !std::all_of(file.begin(), file.end(), ::isdigit)) continue;
    const pid_t pid = std::stoi(file);
    if (::getpgid(pid) != pid) continue;
    auto environ_text = ReadFile(dir.path().string() + "/environ");
    if (!environ_text) continue;
    std::string_view rest(*environ_text);
    while (!rest.empty()) {
      const size_t end = rest.find('\0');
      if (rest.substr(0, end) == entry) return pid;
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  return std::nullopt;
}

}  // namespace hf::jobs::detail
