// The binary's command line: help, usage errors, config errors, and `migrate` on both databases.
#include <gtest/gtest.h>

#include <fstream>

#include "testing/env.hpp"
#include "testing/pg_database.hpp"
#include "testing/process.hpp"

namespace hf::testing {
namespace {

RunResult Hyperfleet(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), HyperfleetBinary());
  return Run(args, env);
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* sub :
       {"api", "outbox", "ticker", "adapter", "migrate", "dev", "clusters", "nodepools"}) {
    auto r = Hyperfleet({sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub << ": " << r.output;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub;
  }
  auto api = Hyperfleet({"api", "--help"});
  for (const char* flag : {"--db", "--broker", "--port", "--health-port", "--metrics-port",
                           "--with-outbox", "--skip-migrations", "--config", "--log-level"}) {
    EXPECT_NE(api.output.find(flag), std::string::npos) << flag;
  }
  auto ticker = Hyperfleet({"ticker", "--help"});
  for (const char* flag : {"--resource-type", "--poll-interval", "--backoff-base", "--backoff-max",
                           "--debounce", "--max-age-ready", "--api-url"}) {
    EXPECT_NE(ticker.output.find(flag), std::string::npos) << flag;
  }
}

TEST(Cli, UsageErrorsAreOneLineWithExitCode2) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"frobnicate"}, {"api", "--no-such-flag"}, {}, {"migrate", "--port", "1"}}) {
    auto r = Hyperfleet(args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  // A mistyped command is named, with the help of the level it was typed at.
  EXPECT_EQ(Hyperfleet({"frobnicate"}).output,
            "hyperfleet: unknown command 'frobnicate' (see hyperfleet --help)\n");
  EXPECT_EQ(Hyperfleet({"clusters", "lst"}).output,
            "hyperfleet: unknown command 'lst' (see hyperfleet clusters --help)\n");
}

TEST(Cli, ConfigErrorsNameTheKey) {
  std::string dir = MakeTempDir("hf-cli");
  std::ofstream(dir + "/bad.yaml") << "db: sqlite:x.db\nporrt: 1\n";
  auto r = Hyperfleet({"api", "--config", dir + "/bad.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown config key 'porrt'"), std::string::npos) << r.output;
  auto env = Hyperfleet({"api"}, {{"HYPERFLEET_PORT", "eighty"}});
  EXPECT_EQ(env.exit_code, 2) << env.output;
  EXPECT_NE(env.output.find("HYPERFLEET_PORT"), std::string::npos) << env.output;
  auto port = Hyperfleet({"api", "--port", "99999"});
  EXPECT_EQ(port.exit_code, 2) << port.output;
  EXPECT_EQ(port.output, "hyperfleet api: port must be a TCP port (0-65535), got 99999\n");
  auto url = Hyperfleet({"migrate", "--db", "mysql://nope"});
  EXPECT_EQ(url.exit_code, 2) << url.output;
  EXPECT_NE(url.output.find("unsupported database URL"), std::string::npos) << url.output;
}

void ExpectMigrateTwice(const std::string& url) {
  auto first = Hyperfleet({"migrate", "--db", url});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("applied 0001"), std::string::npos) << first.output;
  auto second = Hyperfleet({"migrate", "--db", url});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(second.output.find("applied"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find("up to date"), std::string::npos) << second.output;
}

TEST(Cli, MigrateSqliteTwiceIsANoOp) {
  ExpectMigrateTwice("sqlite:" + MakeTempDir("hf-migrate") + "/hf.db");
}

TEST(Cli, MigratePostgresTwiceIsANoOp) {
  HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
  PgDatabase db(dsn);
  ASSERT_TRUE(db.error().empty()) << db.error();
  ExpectMigrateTwice(db.url());
}

}  // namespace
}  // namespace hf::testing
