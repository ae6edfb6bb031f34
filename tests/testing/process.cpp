#include "testing/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "common/file.hpp"
#include "testing/env.hpp"
#include "testing/loopback.hpp"

extern char** environ;

namespace hf::testing {
namespace {

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& log_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos && env.count(entry.substr(0, eq))) continue;
    env_strings.push_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

Process::Process(std::vector<std::string> argv, std::map<std::string, std::string> extra_env,
                 std::string log_path)
    : log_path_(std::move(log_path)) {
  pid_ = Spawn(argv, extra_env, log_path_);
}

Process::~Process() {
  if (Running()) {
    if (Stop(SIGTERM, std::chrono::milliseconds(5000)) < 0) Stop(SIGKILL);
  }
}

bool Process::Running() {
  if (pid_ <= 0 || exit_code_ >= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = DecodeStatus(status);
    return false;
  }
  return r == 0;
}

int Process::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exit_code_;
}

int Process::Stop(int signal, std::chrono::milliseconds timeout) {
  if (!Running()) return exit_code_;
  kill(pid_, signal);
  return Wait(timeout);
}

std::string Process::Log() const { return hf::ReadFile(log_path_).value_or(""); }

RunResult Run(const std::vector<std::string>& argv,
              const std::map<std::string, std::string>& extra_env,
              std::chrono::milliseconds timeout) {
  std::string dir = MakeTempDir("hf-run");
  std::string log = dir + "/out.log";
  RunResult result;
  {
    Process p(argv, extra_env, log);
    result.exit_code = p.Wait(timeout);
    if (result.exit_code < 0) result.exit_code = p.Stop(SIGKILL);
    result.output = p.Log();
  }
  std::remove(log.c_str());
  rmdir(dir.c_str());
  return result;
}

int FreePort() {
  // Outside the kernel's ephemeral range (32768–60999), so no client socket of a parallel test
  // can be holding it, and below the services' range (20000–32000, see with-test-services.sh),
  // so a service being restarted finds its port free; random, so parallel test processes rarely
  // pick the same one; never twice from one process; checked by binding it on all interfaces.
  static std::mutex mu;
  static std::set<int> handed_out;
  static std::mt19937 rng{std::random_device{}()};
  std::lock_guard lock(mu);
  std::uniform_int_distribution<int> pick(10000, 19999);
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const int port = pick(rng);
    if (handed_out.count(port)) continue;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (free) {
      handed_out.insert(port);
      return port;
    }
  }
  return 0;
}

bool WaitForPort(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = ConnectToLoopback(port);
    if (fd >= 0) {
      close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

std::string HyperfleetBinary() {
  std::string b = EnvOrEmpty("HF_BINARY");
  return b.empty() ? std::string("build/bin/hyperfleet") : b;
}

RunResult RunHyperfleet(std::vector<std::string> args,
                        const std::map<std::string, std::string>& extra_env) {
  args.insert(args.begin(), HyperfleetBinary());
  return Run(args, extra_env);
}

}  // namespace hf::testing
