#include "jobs/local_job_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "common/file.hpp"
#include "common/log.hpp"
#include "jobs/detail/process.hpp"
#include "jobs/job_result.hpp"

namespace hf::jobs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const log::Logger kLog{"jobs"};

constexpr const char* kState = "state.json";
constexpr const char* kResult = "result.json";
constexpr const char* kClusterJson = "cluster.json";
constexpr const char* kLogFile = "log";
// The state.json key of JobState::resource_id, and the one written before it was renamed.
constexpr const char* kResourceIdKey = "resource_id";
constexpr const char* kOldResourceIdKey = "cluster_id";
// Set in each job's environment; finds a job's process when its starter died before recording it.
constexpr const char* kJobNameEnv = "JOB_NAME";
// Directories being prepared for a claim; never job names (those cannot start with '.').
constexpr std::string_view kStagingPrefix = ".claim-";

// Runner instances alive in this process, so that a job of a destroyed runner is adopted by a
// new one in the same process (e.g. an adapter restarted inside `hyperfleet dev`).
std::mutex live_mu;
std::set<uint64_t> live_runners;  // guarded by live_mu
std::atomic<uint64_t> next_runner_token{1};

bool RunnerAlive(uint64_t token) {
  std::lock_guard lock(live_mu);
  return live_runners.count(token) > 0;
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
  s.resource_id =
      j.contains(kResourceIdKey) ? j.value(kResourceIdKey, "") : j.value(kOldResourceIdKey, "");
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

// The job's outcome from its result file, if it wrote one.
std::optional<JobState> FromResultFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return std::nullopt;
  JobState s;
  auto result = ParseJobResult(*text);
  if (!result) {
    s.phase = JobPhase::kFailed;
    s.reason = "InvalidResult";
    s.message = "the result file is not " + std::string(kJobResultFormat);
    return s;
  }
  s.phase = result->phase;
  s.reason = std::move(result->reason);
  s.message = std::move(result->message);
  s.data = std::move(result->data);
  return s;
}

}  // namespace

Result<std::unique_ptr<LocalJobRunner>> LocalJobRunner::Open(LocalJobRunnerOptions options) {
  if (options.state_dir.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "local job runner: state_dir is required");
  }
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
      self_start_(detail::ProcessStartTime(::getpid()).value_or(0)),
      token_(next_runner_token++),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
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
  Wake();
  watcher_.join();
  for (const auto& [name, w] : watched_) {
    if (w.exit_fd >= 0) ::close(w.exit_fd);
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void LocalJobRunner::Wake() {
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
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
                {kResourceIdKey, spec.resource_id},
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
  // No one reads a staging directory: its files are written in place, and published whole by
  // the directory's rename (two renames fewer per job than writing each atomically).
  if (staged) staged = WriteNewFile(staging + "/" + kState, state.dump());
  if (staged) staged = WriteNewFile(staging + "/" + kClusterJson, spec.resource_json);
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
  detail::SpawnRequest request{.argv = spec.argv,
                               .env = spec.env,
                               .workdir = spec.workdir,
                               .log_path = dir + "/" + kLogFile};
  request.env["CLUSTER_ID"] = spec.resource_id;
  request.env["GENERATION"] = std::to_string(spec.generation);
  request.env["CLUSTER_JSON"] = dir + "/" + kClusterJson;
  request.env["RESULT_FILE"] = dir + "/" + kResult;
  request.env[kJobNameEnv] = spec.name;
  auto pid = detail::SpawnInNewGroup(request);
  if (!pid) {
    state["phase"] = "failed";
    state["reason"] = "LaunchFailed";
    state["message"] = pid.error().message;
    state["finished_time"] = FormatTime(now);
    HF_CHECK(WriteFileAtomically(dir + "/" + kState, state.dump()));
    kLog.Warn("job failed to start", {{"job", spec.name}, {"error", pid.error().message}});
    return Created{FromJson(state), true};
  }
  Watched w;
  w.pid = *pid;
  w.pid_start = detail::ProcessStartTime(*pid).value_or(0);
  w.exit_fd = detail::OpenExitDescriptor(*pid, std::nullopt);  // our child
  w.deadline = now + spec.timeout;
  state["phase"] = "running";
  state["pid"] = w.pid;
  state["pid_start"] = w.pid_start;
  auto written = WriteFileAtomically(dir + "/" + kState, state.dump());
  {
    std::lock_guard lock(mu_);
    watched_[spec.name] = w;  // even if the write failed: the child must be reaped
  }
  Wake();
  if (!written) return Fail(written.error());
  kLog.Info("job started", {{"job", spec.name},
                            {"resource_id", spec.resource_id},
                            {"generation", spec.generation},
                            {"pid", w.pid}});
  return Created{FromJson(state), true};
}

Result<std::optional<JobState>> LocalJobRunner::Get(const std::string& name) {
  if (!ValidName(name)) return std::optional<JobState>();
  auto state = HF_TRY(Read(name, true));
  // A claim whose claimer died before starting it never ran: absent, so that CreateIfAbsent
  // takes it over (the adapter asks Get first; a "pending" answer would wait forever). Only a
  // pending job can be one, so the common case reads its state once.
  if (state && state->phase == JobPhase::kPending && Abandoned(name)) {
    return std::optional<JobState>();
  }
  return state;
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
    if (auto pid = detail::FindGroupLeaderWithEnv(std::string(kJobNameEnv) + "=" + name)) {
      j["phase"] = "running";
      j["pid"] = *pid;
      j["pid_start"] = detail::ProcessStartTime(*pid).value_or(0);
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
  return owner <= 0 || !detail::ProcessAlive(owner, owner_start);
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
    w.exit_fd = detail::OpenExitDescriptor(w.pid, w.pid_start);
    w.deadline = TimeField(state, "deadline").value_or(Now());
    watched_[name] = w;
  }
  json mine = state;
  mine["owner_pid"] = self_pid_;
  mine["owner_start"] = self_start_;
  mine["owner_token"] = token_;
  (void)WriteFileAtomically(Dir(name) + "/" + kState, mine.dump());
  kLog.Info("adopted running job", {{"job", name}, {"pid", state.value("pid", 0)}});
  Wake();
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
    if (detail::ProcessAlive(pid, j.value("pid_start", uint64_t{0}))) detail::KillGroup(pid);
  }
  std::error_code ec;
  fs::remove_all(Dir(name), ec);
  if (ec) return Fail(ErrorCode::kUnavailable, "cannot delete job " + name, ec.message());
  kLog.Info("job deleted", {{"job", name}});
  return {};
}

Result<std::vector<JobState>> LocalJobRunner::ListByResource(const std::string& resource_id) {
  std::vector<JobState> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.state_dir, ec)) {
    if (!entry.is_directory() || !ValidName(entry.path().filename().string())) continue;
    auto state = Read(entry.path().filename().string(), false);
    if (state && *state && (*state)->resource_id == resource_id) out.push_back(std::move(**state));
  }
  if (ec) return Fail(ErrorCode::kUnavailable, "cannot list jobs", ec.message());
  return out;
}

void LocalJobRunner::WatchLoop() {
  const int interval_ms = static_cast<int>(std::clamp<int64_t>(
      std::chrono::ceil<std::chrono::milliseconds>(options_.poll_interval).count(), 1,
      std::numeric_limits<int>::max()));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    for (const auto& [name, w] : watched_) {
      if (w.exit_fd >= 0) fds.push_back({w.exit_fd, POLLIN, 0});
    }
    lock.unlock();
    (void)::poll(fds.data(), fds.size(), interval_ms);  // only this thread closes exit_fds
    uint64_t wakes = 0;
    if (wake_fd_ >= 0) (void)!::read(wake_fd_, &wakes, sizeof wakes);
    lock.lock();
    if (stopping_) break;
    std::map<std::string, Watched> snapshot = watched_;
    lock.unlock();
    std::vector<std::pair<std::string, std::optional<JobState>>> done;
    for (auto& [name, w] : snapshot) {
      const auto ended = detail::PollExit(w.pid, w.pid_start);
      if (!ended && !w.timed_out && Now() > w.deadline) {
        kLog.Warn("job timed out; killing its process group", {{"job", name}, {"pid", w.pid}});
        detail::KillGroup(w.pid);
        w.timed_out = true;
        std::lock_guard relock(mu_);
        if (auto it = watched_.find(name); it != watched_.end()) it->second.timed_out = true;
      }
      if (!ended) continue;
      detail::KillGroup(w.pid);  // leftovers of the job's group, if any
      done.emplace_back(name, w.deleted
                                  ? std::nullopt
                                  : std::optional<JobState>(Finish(name, w, ended->wait_status)));
    }
    lock.lock();
    for (const auto& [name, state] : done) {
      if (auto it = watched_.find(name); it != watched_.end()) {
        if (it->second.exit_fd >= 0) ::close(it->second.exit_fd);
        watched_.erase(it);
      }
    }
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
    outcome.message = "the job " + detail::DescribeWaitStatus(*wait_status);
  } else {
    outcome.phase = JobPhase::kFailed;
    outcome.reason = "AdapterRestarted";
    outcome.message = "the job ended while its adapter was not running and wrote no result";
  }
  if (wait_status && WIFEXITED(*wait_status)) j["exit_code"] = WEXITSTATUS(*wait_status);
  j["phase"] = ToString(outcome.phase);
  j["reason"] = outcome.reason;
  j["message"] = outcome.message;
  if (!outcome.data.is_null()) j["data"] = outcome.data;
  j["finished_time"] = FormatTime(Now());
  if (auto written = WriteFileAtomically(dir + "/" + kState, j.dump()); !written) {
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
