#include "jobs/local_job_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/file.hpp"
#include "common/log.hpp"

extern char** environ;

namespace hf::jobs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const log::Logger kLog{"jobs"};

constexpr const char* kState = "state.json";
constexpr const char* kResult = "result.json";
constexpr const char* kClusterJson = "cluster.json";
constexpr const char* kLogFile = "log";
// Directories being prepared for a claim; never job names (those cannot start with '.').
constexpr std::string_view kStagingPrefix = ".claim-";

// Writes via a temp file and rename(2), so readers see the old or the new file, never a part.
// Fails (without creating it) if the directory is gone.
Result<void> WriteAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) {
      return Fail(ErrorCode::kUnavailable, "cannot write job state", path);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Fail(ErrorCode::kUnavailable, "cannot write job state", path + ": " + strerror(errno));
  }
  return {};
}

// The start time of a live (non-zombie) process, from /proc/<pid>/stat; nullopt if it is gone.
std::optional<uint64_t> ProcessStart(pid_t pid) {
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

bool Alive(pid_t pid, uint64_t start) {
  auto now = ProcessStart(pid);
  return now && *now == start;
}

// Runner instances alive in this process, so that a job of a destroyed runner is adopted by a
// new one in the same process (e.g. an adapter restarted inside `hyperfleet dev`).
std::mutex live_mu;
std::set<uint64_t> live_runners;  // guarded by live_mu
std::atomic<uint64_t> next_runner_token{1};

bool RunnerAlive(uint64_t token) {
  std::lock_guard lock(live_mu);
  return live_runners.count(token) > 0;
}

// The process group leader started for job `name` (its environment holds JOB_NAME=name), if it
// still runs. Only needed when the runner that spawned it died before recording its pid.
std::optional<pid_t> FindJobProcess(const std::string& name) {
  const std::string needle = "JOB_NAME=" + name;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string file = entry.path().filename().string();
    if (file.empty() || !std::all_of(file.begin(), file.end(), ::isdigit)) continue;
    const pid_t pid = std::stoi(file);
    if (::getpgid(pid) != pid) continue;  // jobs lead their own process group
    auto environ_text = ReadFile(entry.path().string() + "/environ");
    if (!environ_text) continue;
    std::string_view rest(*environ_text);
    while (!rest.empty()) {
      const size_t end = rest.find('\0');
      if (rest.substr(0, end) == needle) return pid;
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  return std::nullopt;
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 200 || name[0] == '.') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

JobPhase ParsePhase(const std::string& s) {
  if (s == "running") return JobPhase::kRunning;
  if (s == "succeeded") return JobPhase::kSucceeded;
  if (s == "failed") return JobPhase::kFailed;
  return JobPhase::kPending;
}

std::optional<Time> TimeField(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  auto t = ParseTime(j[key].get<std::string>());
  return t ? std::optional<Time>(*t) : std::nullopt;
}

JobState FromJson(const json& j) {
  JobState s;
  s.name = j.value("name", "");
  s.cluster_id = j.value("cluster_id", "");
  s.generation = j.value("generation", int64_t{0});
  s.phase = ParsePhase(j.value("phase", ""));
  s.reason = j.value("reason", "");
  s.message = j.value("message", "");
  s.data = j.contains("data") ? j["data"] : json();
  if (j.contains("exit_code") && j["exit_code"].is_number())
    s.exit_code = j["exit_code"].get<int>();
  s.created_time = TimeField(j, "created_time").value_or(Time{});
  s.finished_time = TimeField(j, "finished_time");
  return s;
}

// The job's outcome from its result file, if it wrote a usable one.
std::optional<JobState> FromResultFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return std::nullopt;
  JobState s;
  json r = json::parse(*text, nullptr, false);
  std::string status = r.is_object() ? r.value("status", "") : "";
  if (status != "success" && status != "failure") {
    s.phase = JobPhase::kFailed;
    s.reason = "InvalidResult";
    s.message = "the result file is not {\"status\": \"success\"|\"failure\", ...}";
    return s;
  }
  s.phase = status == "success" ? JobPhase::kSucceeded : JobPhase::kFailed;
  auto text_field = [&](const char* key) {
    return r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : std::string();
  };
  s.reason = text_field("reason");
  s.message = text_field("message");
  if (r.contains("data")) s.data = r["data"];
  return s;
}

std::string Describe(int wait_status) {
  if (WIFEXITED(wait_status)) return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
  return "killed by signal " + std::to_string(WTERMSIG(wait_status));
}

// Starts argv in a new process group with stdout/stderr appended to log_path.
Result<pid_t> Spawn(const JobSpec& spec, const std::map<std::string, std::string>& extra_env,
                    const std::string& log_path) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string_view::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  for (const auto& [k, v] : spec.env) env[k] = v;
  for (const auto& [k, v] : extra_env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // The job must not inherit our sockets: an orphaned job holding the listening ports would keep
  // a crashed adapter (or `dev`) from starting again.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!spec.workdir.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec.workdir.c_str());
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
                "cannot start '" + spec.argv[0] + "': " + std::string(strerror(rc)));
  }
  return pid;
}

}  // namespace

std::string_view ToString(JobPhase phase) {
  switch (phase) {
    case JobPhase::kPending:
      return "pending";
    case JobPhase::kRunning:
      return "running";
    case JobPhase::kSucceeded:
      return "succeeded";
    case JobPhase::kFailed:
      return "failed";
  }
  return "pending";
}

Result<std::unique_ptr<LocalJobRunner>> LocalJobRunner::Open(LocalJobRunnerOptions options) {
  std::error_code ec;
  fs::create_directories(options.state_dir, ec);
  if (ec || !fs::is_directory(options.state_dir)) {
    return Fail(ErrorCode::kUnavailable,
                "cannot create job state directory '" + options.state_dir + "': " + ec.message());
  }
  std::unique_ptr<LocalJobRunner> runner(new LocalJobRunner(std::move(options)));
  for (const auto& entry : fs::directory_iterator(runner->options_.state_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory()) continue;
    if (name.starts_with(kStagingPrefix)) {
      // Left by a claimer that died before renaming it into place; old enough to be no one's.
      std::error_code age_ec;
      const auto modified = fs::last_write_time(entry.path(), age_ec);
      if (!age_ec && fs::file_time_type::clock::now() - modified > std::chrono::minutes(1)) {
        fs::remove_all(entry.path(), age_ec);
      }
      continue;
    }
    if (ValidName(name)) (void)runner->Read(name, true);
  }
  return runner;
}

LocalJobRunner::LocalJobRunner(LocalJobRunnerOptions options)
    : options_(std::move(options)),
      self_pid_(::getpid()),
      self_start_(ProcessStart(::getpid()).value_or(0)),
      token_(next_runner_token++),
      watcher_([this] { WatchLoop(); }) {
  std::lock_guard lock(live_mu);
  live_runners.insert(token_);
}

LocalJobRunner::~LocalJobRunner() {
  {
    std::lock_guard lock(live_mu);
    live_runners.erase(token_);
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  watcher_.join();
}

std::string LocalJobRunner::Dir(const std::string& name) const {
  return options_.state_dir + "/" + name;
}

void LocalJobRunner::OnFinished(std::function<void(const JobState&)> callback) {
  std::lock_guard lock(mu_);
  on_finished_ = std::move(callback);
}

Result<JobRunner::Created> LocalJobRunner::CreateIfAbsent(const JobSpec& spec) {
  if (!ValidName(spec.name)) {
    return Fail(ErrorCode::kInvalidArgument,
                "invalid job name '" + spec.name + "' (use letters, digits, '-', '_', '.')");
  }
  if (spec.argv.empty()) return Fail(ErrorCode::kInvalidArgument, "job has no command");
  const std::string dir = Dir(spec.name);
  const Time now = Now();
  json state = {{"name", spec.name},
                {"cluster_id", spec.cluster_id},
                {"generation", spec.generation},
                {"created_time", FormatTime(now)},
                {"deadline", FormatTime(now + spec.timeout)},
                {"owner_pid", self_pid_},
                {"owner_start", self_start_},
                {"owner_token", token_},
                {"phase", "pending"}};
  // The common case, an event about a job that exists: nothing to prepare.
  if (fs::exists(dir) && !Abandoned(spec.name)) {
    auto existing = HF_TRY(Read(spec.name, true));
    if (existing) return Created{std::move(*existing), false};
  }
  // The name is claimed by renaming a fully written directory into place, so a claim is never
  // seen without its owner: whatever moment a claimer dies at, the claim can be judged.
  const std::string staging = options_.state_dir + "/" + std::string(kStagingPrefix) +
                              std::to_string(self_pid_) + "-" + std::to_string(token_) + "-" +
                              std::to_string(++staging_counter_);
  std::error_code ec;
  Result<void> staged = Ok();
  if (::mkdir(staging.c_str(), 0755) != 0) {
    staged = Fail(ErrorCode::kUnavailable, "cannot create job directory",
                  staging + ": " + strerror(errno));
  }
  if (staged) staged = WriteAtomically(staging + "/" + kState, state.dump());
  if (staged) staged = WriteAtomically(staging + "/" + kClusterJson, spec.cluster_json);
  for (int attempt = 0; staged && ::rename(staging.c_str(), dir.c_str()) != 0; ++attempt) {
    if (errno != EEXIST && errno != ENOTEMPTY) {
      staged = Fail(ErrorCode::kUnavailable, "cannot claim job", dir + ": " + strerror(errno));
      break;
    }
    // A claim whose claimer crashed before starting the job is taken over: the job never ran.
    if (attempt == 0 && Abandoned(spec.name)) {
      auto released = ReleaseAbandoned(spec.name);
      if (!released) staged = Fail(released.error());
      if (released && *released) continue;
    }
    fs::remove_all(staging, ec);
    if (!staged) break;
    auto existing = HF_TRY(Read(spec.name, true));
    if (existing) return Created{std::move(*existing), false};
    return Fail(ErrorCode::kUnavailable, "job " + spec.name + " vanished while being read");
  }
  if (!staged) {
    fs::remove_all(staging, ec);
    return Fail(staged.error());
  }
  // This call owns the name now.
  std::map<std::string, std::string> env = {{"CLUSTER_ID", spec.cluster_id},
                                            {"GENERATION", std::to_string(spec.generation)},
                                            {"CLUSTER_JSON", dir + "/" + kClusterJson},
                                            {"RESULT_FILE", dir + "/" + kResult},
                                            {"JOB_NAME", spec.name}};
  auto pid = Spawn(spec, env, dir + "/" + kLogFile);
  if (!pid) {
    state["phase"] = "failed";
    state["reason"] = "LaunchFailed";
    state["message"] = pid.error().message;
    state["finished_time"] = FormatTime(now);
    HF_CHECK(WriteAtomically(dir + "/" + kState, state.dump()));
    kLog.Warn("job failed to start", {{"job", spec.name}, {"error", pid.error().message}});
    return Created{FromJson(state), true};
  }
  Watched w;
  w.pid = *pid;
  w.pid_start = ProcessStart(*pid).value_or(0);
  w.deadline = now + spec.timeout;
  state["phase"] = "running";
  state["pid"] = w.pid;
  state["pid_start"] = w.pid_start;
  auto written = WriteAtomically(dir + "/" + kState, state.dump());
  {
    std::lock_guard lock(mu_);
    watched_[spec.name] = w;  // even if the write failed: the child must be reaped
  }
  wake_.notify_all();
  if (!written) return Fail(written.error());
  kLog.Info("job started", {{"job", spec.name},
                            {"cluster_id", spec.cluster_id},
                            {"generation", spec.generation},
                            {"pid", w.pid}});
  return Created{FromJson(state), true};
}

Result<std::optional<JobState>> LocalJobRunner::Get(const std::string& name) {
  if (!ValidName(name)) return std::optional<JobState>();
  return Read(name, true);
}

Result<std::optional<JobState>> LocalJobRunner::Read(const std::string& name, bool adopt) {
  const std::string dir = Dir(name);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<JobState>();
    return Fail(ErrorCode::kUnavailable, "cannot read job", dir + ": " + strerror(errno));
  }
  auto text = ReadFile(dir + "/" + kState);
  json j = text ? json::parse(*text, nullptr, false) : json();
  if (!j.is_object()) {
    // Claimed but not launched yet, or its creator died mid-launch.
    JobState s;
    s.name = name;
    s.created_time = Time(std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::seconds(st.st_mtim.tv_sec)));
    if (Now() - s.created_time > options_.launch_grace) {
      s.phase = JobPhase::kFailed;
      s.reason = "LaunchInterrupted";
      s.message = "the job was claimed but never started";
    }
    return std::optional<JobState>(std::move(s));
  }
  JobState s;
  try {
    s = FromJson(j);
  } catch (const nlohmann::json::exception& e) {
    s.name = name;
    s.phase = JobPhase::kFailed;
    s.reason = "CorruptState";
    s.message = std::string("the job's state.json is unreadable: ") + e.what();
    return std::optional<JobState>(std::move(s));
  }
  if (adopt && s.phase == JobPhase::kRunning) Adopt(name, j);
  if (adopt && s.phase == JobPhase::kPending && OwnerGone(j) && fs::exists(dir + "/" + kLogFile)) {
    // Spawned, but its starter died before recording the process: find it and watch it, or
    // take the outcome it left behind.
    if (auto pid = FindJobProcess(name)) {
      j["phase"] = "running";
      j["pid"] = *pid;
      j["pid_start"] = ProcessStart(*pid).value_or(0);
      Adopt(name, j);
      s.phase = JobPhase::kRunning;
    } else {
      return std::optional<JobState>(Finish(name, Watched{}, std::nullopt));
    }
  }
  return std::optional<JobState>(std::move(s));
}

bool LocalJobRunner::OwnerGone(const nlohmann::json& state) const {
  const pid_t owner = state.value("owner_pid", 0);
  const uint64_t owner_start = state.value("owner_start", uint64_t{0});
  const uint64_t owner_token = state.value("owner_token", uint64_t{0});
  if (owner == self_pid_ && owner_start == self_start_) {
    return owner_token != token_ && !RunnerAlive(owner_token);
  }
  return owner <= 0 || !Alive(owner, owner_start);
}

bool LocalJobRunner::Abandoned(const std::string& name) const {
  const std::string dir = Dir(name);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return false;
  auto text = ReadFile(dir + "/" + kState);
  json j = text ? json::parse(*text, nullptr, false) : json();
  if (!j.is_object()) {
    const Time claimed(std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::seconds(st.st_mtim.tv_sec)));
    return Now() - claimed > options_.launch_grace;
  }
  return j.value("phase", "") == "pending" && OwnerGone(j) && !fs::exists(dir + "/" + kLogFile);
}

Result<bool> LocalJobRunner::ReleaseAbandoned(const std::string& name) {
  const std::string lock_path = options_.state_dir + "/.claims.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Fail(ErrorCode::kUnavailable, "cannot open job lock",
                lock_path + ": " + strerror(errno));
  }
  ::flock(fd, LOCK_EX);
  bool released = false;
  std::error_code ec;
  if (Abandoned(name)) {  // still, now that no other runner can be releasing it
    fs::remove_all(Dir(name), ec);
    released = !ec;
    if (released)
      kLog.Warn("took over a job whose starter died before starting it", {{"job", name}});
  }
  ::close(fd);  // releases the lock
  if (ec) return Fail(ErrorCode::kUnavailable, "cannot release job " + name, ec.message());
  return released;
}

// Watches a running job whose owning process is gone (a previous run of this adapter).
void LocalJobRunner::Adopt(const std::string& name, const nlohmann::json& state) {
  if (!OwnerGone(state)) return;  // its owner will finish it
  {
    std::lock_guard lock(mu_);
    if (watched_.count(name)) return;
    Watched w;
    w.pid = state.value("pid", 0);
    w.pid_start = state.value("pid_start", uint64_t{0});
    w.deadline = TimeField(state, "deadline").value_or(Now());
    watched_[name] = w;
  }
  json mine = state;
  mine["owner_pid"] = self_pid_;
  mine["owner_start"] = self_start_;
  mine["owner_token"] = token_;
  (void)WriteAtomically(Dir(name) + "/" + kState, mine.dump());
  kLog.Info("adopted running job", {{"job", name}, {"pid", state.value("pid", 0)}});
  wake_.notify_all();
}

Result<void> LocalJobRunner::Delete(const std::string& name) {
  if (!ValidName(name)) return {};
  auto text = ReadFile(Dir(name) + "/" + kState);
  json j = text ? json::parse(*text, nullptr, false) : json();
  {
    std::lock_guard lock(mu_);
    if (auto it = watched_.find(name); it != watched_.end()) it->second.deleted = true;
  }
  if (j.is_object() && j.value("phase", "") == "running") {
    pid_t pid = j.value("pid", 0);
    if (pid > 0 && Alive(pid, j.value("pid_start", uint64_t{0}))) ::killpg(pid, SIGKILL);
  }
  std::error_code ec;
  fs::remove_all(Dir(name), ec);
  if (ec) return Fail(ErrorCode::kUnavailable, "cannot delete job " + name, ec.message());
  kLog.Info("job deleted", {{"job", name}});
  return {};
}

Result<std::vector<JobState>> LocalJobRunner::ListByCluster(const std::string& cluster_id) {
  std::vector<JobState> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.state_dir, ec)) {
    if (!entry.is_directory() || !ValidName(entry.path().filename().string())) continue;
    auto state = Read(entry.path().filename().string(), false);
    if (state && *state && (*state)->cluster_id == cluster_id) out.push_back(std::move(**state));
  }
  if (ec) return Fail(ErrorCode::kUnavailable, "cannot list jobs", ec.message());
  return out;
}

void LocalJobRunner::WatchLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.poll_interval);
    if (stopping_) break;
    std::map<std::string, Watched> snapshot = watched_;
    lock.unlock();
    std::vector<std::pair<std::string, std::optional<JobState>>> done;
    for (auto& [name, w] : snapshot) {
      std::optional<int> wait_status;
      bool ended = false;
      int status = 0;
      pid_t r = w.pid > 0 ? ::waitpid(w.pid, &status, WNOHANG) : -1;
      if (r == w.pid) {
        ended = true;
        wait_status = status;
      } else if (r < 0) {
        ended = !Alive(w.pid, w.pid_start);  // not our child: a job adopted from another process
      }
      if (!ended && !w.timed_out && Now() > w.deadline) {
        kLog.Warn("job timed out; killing its process group", {{"job", name}, {"pid", w.pid}});
        ::killpg(w.pid, SIGKILL);
        w.timed_out = true;
        std::lock_guard relock(mu_);
        if (auto it = watched_.find(name); it != watched_.end()) it->second.timed_out = true;
      }
      if (!ended) continue;
      if (w.pid > 0) ::killpg(w.pid, SIGKILL);  // leftovers of the job's group, if any
      done.emplace_back(
          name, w.deleted ? std::nullopt : std::optional<JobState>(Finish(name, w, wait_status)));
    }
    lock.lock();
    for (const auto& [name, state] : done) watched_.erase(name);
    auto callback = on_finished_;
    lock.unlock();
    for (const auto& [name, state] : done) {
      if (state && callback) callback(*state);
    }
    lock.lock();
  }
}

JobState LocalJobRunner::Finish(const std::string& name, const Watched& w,
                                std::optional<int> wait_status) {
  const std::string dir = Dir(name);
  auto text = ReadFile(dir + "/" + kState);
  json j = text ? json::parse(*text, nullptr, false) : json::object();
  if (!j.is_object()) j = json::object();
  JobState outcome;
  if (w.timed_out) {
    outcome.phase = JobPhase::kFailed;
    outcome.reason = "TimedOut";
    auto created = TimeField(j, "created_time");
    outcome.message =
        "the job exceeded its timeout" +
        (created
             ? " of " + FormatDuration(std::chrono::duration_cast<Duration>(w.deadline - *created))
             : std::string());
  } else if (auto result = FromResultFile(dir + "/" + kResult)) {
    outcome = std::move(*result);
  } else if (wait_status) {
    bool ok = WIFEXITED(*wait_status) && WEXITSTATUS(*wait_status) == 0;
    outcome.phase = ok ? JobPhase::kSucceeded : JobPhase::kFailed;
    outcome.reason = ok ? "Completed" : (WIFEXITED(*wait_status) ? "NonZeroExit" : "Killed");
    outcome.message = "the job " + Describe(*wait_status);
  } else {
    outcome.phase = JobPhase::kFailed;
    outcome.reason = "AdapterRestarted";
    outcome.message = "the job ended while its adapter was not running and wrote no result";
  }
  if (outcome.reason.empty()) {
    outcome.reason = outcome.phase == JobPhase::kSucceeded ? "Completed" : "Failed";
  }
  if (wait_status && WIFEXITED(*wait_status)) j["exit_code"] = WEXITSTATUS(*wait_status);
  j["phase"] = ToString(outcome.phase);
  j["reason"] = outcome.reason;
  j["message"] = outcome.message;
  if (!outcome.data.is_null()) j["data"] = outcome.data;
  j["finished_time"] = FormatTime(Now());
  if (auto written = WriteAtomically(dir + "/" + kState, j.dump()); !written) {
    kLog.Warn("cannot record job outcome", {{"job", name}, {"error", written.error().ToString()}});
  }
  JobState s = outcome;
  try {
    s = FromJson(j);
  } catch (const nlohmann::json::exception&) {
  }
  s.name = name;
  kLog.Info("job finished", {{"job", name}, {"phase", ToString(s.phase)}, {"reason", s.reason}});
  return s;
}

}  // namespace hf::jobs
