// The Dockerfile cannot be built here (no Docker daemon, no registry), so this checks what can
// be checked offline: the runtime stage's package list provides every shared library the built
// binary loads (ldd → dpkg -S, through the packages' Depends), and the files it copies exist.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <queue>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "deploy/repo_files.hpp"
#include "testing/process.hpp"

namespace hf::deploy_test {
namespace {

namespace fs = std::filesystem;

std::string Dockerfile() { return ReadFile(SourceDir() / "Dockerfile"); }

// The Dockerfile with line continuations joined: one instruction per line.
std::vector<std::string> Instructions(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string line, current;
  while (std::getline(in, line)) {
    if (current.empty() && (line.empty() || line[0] == '#')) continue;
    if (!line.empty() && line.back() == '\\') {
      current += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    current += line;
    out.push_back(current);
    current.clear();
  }
  return out;
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// The packages of `ARG RUNTIME_PACKAGES="…"`.
std::set<std::string> RuntimePackages(const std::string& dockerfile) {
  static const std::regex kArg(R"re(^ARG RUNTIME_PACKAGES="([^"]*)")re");
  for (const auto& i : Instructions(dockerfile)) {
    std::smatch m;
    if (std::regex_search(i, m, kArg)) {
      auto words = Words(m[1].str());
      return {words.begin(), words.end()};
    }
  }
  return {};
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

// Every installed package's Depends and Pre-Depends, from one dpkg-query call.
std::map<std::string, std::string> InstalledDepends(const std::string& dpkg_query) {
  std::map<std::string, std::string> out;
  auto r = ::hf::testing::Run({dpkg_query, "-W", "-f=${Package}\t${Depends}, ${Pre-Depends}\n"});
  std::stringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    auto tab = line.find('\t');
    if (tab != std::string::npos) out[line.substr(0, tab)] += line.substr(tab + 1) + ", ";
  }
  return out;
}

// The Debian package that installed each of `paths` (absent when none), from one dpkg -S call.
// usrmerge: dpkg may know /usr/lib/… for /lib/… and the other way round, so both are asked.
std::map<std::string, std::string> OwningPackages(const std::string& dpkg,
                                                  const std::vector<std::string>& paths) {
  std::vector<std::string> argv = {dpkg, "-S"};
  std::map<std::string, std::string> alias;  // asked path -> original path
  for (const auto& p : paths) {
    std::string canonical = fs::weakly_canonical(p).string();
    for (const auto& q : {p, canonical}) {
      std::string other = q.rfind("/usr/", 0) == 0 ? q.substr(4) : "/usr" + q;
      for (const auto& asked : {q, other}) {
        if (alias.emplace(asked, p).second) argv.push_back(asked);
      }
    }
  }
  std::map<std::string, std::string> out;
  auto r = ::hf::testing::Run(argv);  // exits 1 when some path is unknown: that is expected
  std::stringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    auto sep = line.find(": ");
    if (sep == std::string::npos) continue;
    auto it = alias.find(line.substr(sep + 2));
    if (it == alias.end()) continue;
    std::string pkg = line.substr(0, sep);
    out.emplace(it->second, pkg.substr(0, pkg.find(':')));  // drop ":amd64"
  }
  return out;
}

// Packages named by a Depends/Pre-Depends field: the first of each group of alternatives.
std::vector<std::string> ParseDepends(const std::string& field) {
  std::vector<std::string> out;
  std::stringstream in(field);
  std::string group;
  while (std::getline(in, group, ',')) {
    std::string first = Trim(group.substr(0, group.find('|')));
    first = first.substr(0, first.find_first_of(" (:"));
    if (!first.empty()) out.push_back(first);
  }
  return out;
}

// `roots` and everything they depend on, as installed on this machine.
std::set<std::string> DependencyClosure(const std::map<std::string, std::string>& depends,
                                        const std::set<std::string>& roots) {
  std::set<std::string> seen(roots.begin(), roots.end());
  std::queue<std::string> todo;
  for (const auto& r : roots) todo.push(r);
  while (!todo.empty()) {
    auto it = depends.find(todo.front());
    todo.pop();
    if (it == depends.end()) continue;
    for (const auto& dep : ParseDepends(it->second)) {
      if (seen.insert(dep).second) todo.push(dep);
    }
  }
  return seen;
}

TEST(Dockerfile, BuildsWithInstallDepsAndRunsAsNonRootHyperfleet) {
  std::string text = Dockerfile();
  ASSERT_FALSE(text.empty()) << "no Dockerfile at the repository root";
  auto instructions = Instructions(text);
  std::vector<std::string> froms;
  for (const auto& i : instructions) {
    if (i.rfind("FROM ", 0) == 0) froms.push_back(Words(i)[1]);
  }
  ASSERT_EQ(froms.size(), 2u) << "a build stage and a runtime stage";
  for (const auto& f : froms) EXPECT_EQ(f.rfind("debian:bookworm", 0), 0u) << f;
  EXPECT_NE(text.find("HF_DEPS=build scripts/install-deps.sh"), std::string::npos);
  EXPECT_NE(text.find("cmake --preset release"), std::string::npos);
  EXPECT_NE(text.find("--target hyperfleet"), std::string::npos);
  EXPECT_NE(text.find("ENTRYPOINT [\"hyperfleet\"]"), std::string::npos);
  std::string user;
  for (const auto& i : instructions) {
    if (i.rfind("USER ", 0) == 0) user = Words(i)[1];
  }
  ASSERT_FALSE(user.empty()) << "the image runs as root";
  EXPECT_NE(user.substr(0, user.find(':')), "0");
  EXPECT_NE(user.substr(0, user.find(':')), "root");
  // The deploy/helm pods run as uid 10001 (runAsNonRoot needs a numeric USER).
  EXPECT_EQ(user, "10001:10001");

  // Every file the build context must provide exists, and .dockerignore keeps it.
  std::string ignore = ReadFile(SourceDir() / ".dockerignore");
  EXPECT_NE(ignore.find(".git"), std::string::npos);
  EXPECT_NE(ignore.find("build"), std::string::npos);
  int copies = 0;
  for (const auto& i : instructions) {
    if (i.rfind("COPY ", 0) != 0 || i.find("--from=") != std::string::npos) continue;
    auto w = Words(i);
    for (size_t k = 1; k + 1 < w.size(); ++k) {
      ++copies;
      EXPECT_TRUE(fs::exists(SourceDir() / w[k])) << i << ": " << w[k] << " does not exist";
      EXPECT_TRUE(w[k] == "." || ignore.find(w[k]) == std::string::npos) << w[k] << " ignored";
    }
  }
  EXPECT_GE(copies, 3);
  EXPECT_NE(text.find("/usr/share/hyperfleet/jobs/"), std::string::npos);
  EXPECT_NE(text.find("/etc/hyperfleet/adapters/"), std::string::npos);
}

TEST(Dockerfile, RuntimePackagesProvideEveryLibraryTheBinaryLoads) {
  const std::string binary = ::hf::testing::HyperfleetBinary();
  if (!fs::exists(binary)) {
    if (::hf::testing::UnderTestServices()) GTEST_FAIL() << binary << " is not built";
    GTEST_SKIP() << binary << " is not built (cmake --build build --target hyperfleet)";
  }
  const std::string ldd = FindOnPath("ldd");
  const std::string readelf = FindOnPath("readelf");
  const std::string dpkg = FindOnPath("dpkg");
  const std::string dpkg_query = FindOnPath("dpkg-query");
  if (ldd.empty() || readelf.empty() || dpkg.empty() || dpkg_query.empty()) {
    GTEST_SKIP() << "needs ldd, readelf and dpkg (a Debian machine)";
  }
  auto packages = RuntimePackages(Dockerfile());
  ASSERT_FALSE(packages.empty()) << "no ARG RUNTIME_PACKAGES=\"…\" in the Dockerfile";
  // Every listed name is a real package (the build machine is Debian bookworm as well).
  for (const auto& p : packages) {
    auto r = ::hf::testing::Run({dpkg_query, "-W", "-f=${Status}", p});
    EXPECT_EQ(r.output, "install ok installed") << p << " is not a package installed here";
  }

  // The libraries the binary names itself (NEEDED) come from packages listed explicitly ...
  auto needed_run = ::hf::testing::Run({readelf, "-d", binary});
  ASSERT_EQ(needed_run.exit_code, 0) << needed_run.output;
  std::set<std::string> needed;
  static const std::regex kNeeded(R"(\(NEEDED\)\s+Shared library: \[([^\]]+)\])");
  for (std::sregex_iterator it(needed_run.output.begin(), needed_run.output.end(), kNeeded), end;
       it != end; ++it) {
    needed.insert((*it)[1].str());
  }
  ASSERT_GE(needed.size(), 5u) << needed_run.output;

  // ... and every library ldd resolves (transitively) comes with them.
  auto ldd_run = ::hf::testing::Run({ldd, binary});
  ASSERT_EQ(ldd_run.exit_code, 0) << ldd_run.output;
  ASSERT_EQ(ldd_run.output.find("not found"), std::string::npos) << ldd_run.output;
  auto closure = DependencyClosure(InstalledDepends(dpkg_query), packages);
  static const std::regex kLine(R"(^\s*(\S+) => (/\S+))");
  std::map<std::string, std::string> libraries;  // soname -> path
  std::stringstream lines(ldd_run.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kLine)) libraries[m[1].str()] = m[2].str();
  }
  std::vector<std::string> paths;
  for (const auto& [lib, path] : libraries) paths.push_back(path);
  auto owners = OwningPackages(dpkg, paths);
  for (const auto& [lib, path] : libraries) {
    auto owner = owners.find(path);
    ASSERT_NE(owner, owners.end()) << lib << " (" << path << ") belongs to no package";
    const std::string& pkg = owner->second;
    if (needed.contains(lib)) {
      EXPECT_TRUE(packages.contains(pkg))
          << "hyperfleet links " << lib << " from " << pkg << ", missing from RUNTIME_PACKAGES";
    } else {
      EXPECT_TRUE(closure.contains(pkg))
          << lib << " (package " << pkg << ") is not pulled in by RUNTIME_PACKAGES";
    }
  }
  EXPECT_GE(libraries.size(), needed.size());
}

}  // namespace
}  // namespace hf::deploy_test
