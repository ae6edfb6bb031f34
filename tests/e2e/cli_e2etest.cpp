// The binary's command line: help, usage errors, config errors, and `migrate` on both databases.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing/env.hpp"
#include "testing/pg_database.hpp"
#include "testing/process.hpp"

namespace hf::testing {
namespace {

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* sub :
       {"api", "outbox", "ticker", "adapter", "migrate", "dev", "clusters", "nodepools"}) {
    auto r = RunHyperfleet({sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub << ": " << r.output;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub;
  }
  auto api = RunHyperfleet({"api", "--help"});
  for (const char* flag : {"--db", "--broker", "--port", "--health-port", "--metrics-port",
                           "--with-outbox", "--skip-migrations", "--config", "--log-level"}) {
    EXPECT_NE(api.output.find(flag), std::string::npos) << flag;
  }
  auto ticker = RunHyperfleet({"ticker", "--help"});
  for (const char* flag : {"--resource-type", "--poll-interval", "--backoff-base", "--backoff-max",
                           "--debounce", "--max-age-ready", "--api-url"}) {
    EXPECT_NE(ticker.output.find(flag), std::string::npos) << flag;
  }
}

TEST(Cli, UsageErrorsAreOneLineWithExitCode2) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"frobnicate"}, {"api", "--no-such-flag"}, {}, {"migrate", "--port", "1"}}) {
    auto r = RunHyperfleet(args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }
  // A mistyped command is named, with the help of the level it was typed at.
  EXPECT_EQ(RunHyperfleet({"frobnicate"}).output,
            "hyperfleet: unknown command 'frobnicate' (see hyperfleet --help)\n");
  EXPECT_EQ(RunHyperfleet({"clusters", "lst"}).output,
            "hyperfleet: unknown command 'lst' (see hyperfleet clusters --help)\n");
}

TEST(Cli, ConfigErrorsNameTheKey) {
  std::string dir = MakeTempDir("hf-cli");
  std::ofstream(dir + "/bad.yaml") << "db: sqlite:x.db\nporrt: 1\n";
  auto r = RunHyperfleet({"api", "--config", dir + "/bad.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown config key 'porrt'"), std::string::npos) << r.output;
  auto env = RunHyperfleet({"api"}, {{"HYPERFLEET_PORT", "eighty"}});
  EXPECT_EQ(env.exit_code, 2) << env.output;
  EXPECT_NE(env.output.find("HYPERFLEET_PORT"), std::string::npos) << env.output;
  auto batch = RunHyperfleet({"outbox"}, {{"HYPERFLEET_OUTBOX_BATCH_SIZE", "0"}});
  EXPECT_EQ(batch.exit_code, 2) << batch.output;
  EXPECT_EQ(batch.output,
            "hyperfleet outbox: outbox_batch_size must be between 1 and 10000, got 0\n");
  auto handlers = RunHyperfleet({"api"}, {{"HYPERFLEET_MAX_RUNNING_HANDLERS", "-1"}});
  EXPECT_EQ(handlers.exit_code, 2) << handlers.output;
  EXPECT_EQ(handlers.output, "hyperfleet api: max_running_handlers must not be negative, got -1\n");
  auto port = RunHyperfleet({"api", "--port", "99999"});
  EXPECT_EQ(port.exit_code, 2) << port.output;
  EXPECT_EQ(port.output, "hyperfleet api: port must be a TCP port (0-65535), got 99999\n");
  auto url = RunHyperfleet({"migrate", "--db", "mysql://nope"});
  EXPECT_EQ(url.exit_code, 2) << url.output;
  EXPECT_NE(url.output.find("unsupported database URL"), std::string::npos) << url.output;
}

std::string ExampleAdapter(const std::string& name) {
  return EnvOrEmpty("HF_SOURCE_DIR") + "/deploy/adapters/" + name + ".yaml";
}

TEST(Cli, AdapterTakesThePubSubCredentialsFileFromTheSettings) {
  // Not the metadata server: the configured key file is what it tries, and says so.
  auto r = RunHyperfleet(
      {"adapter", "--config", ExampleAdapter("validation"), "--broker", "googlepubsub", "--api-url",
       "http://127.0.0.1:1", "--health-port", "0", "--metrics-port", "0"},
      {{"PUBSUB_EMULATOR_HOST", ""},
       {"HYPERFLEET_PUBSUB_CREDENTIALS_FILE", "/nonexistent/key.json"}});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cannot read credentials file /nonexistent/key.json"), std::string::npos)
      << r.output;
}

TEST(Cli, TheTopicVariableDoesNotMoveANodepoolAdapter) {
  const std::string dir = MakeTempDir("hf-cli-topic");
  auto subscribed_topic = [&](const std::string& adapter, std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        HyperfleetBinary(),   "adapter",       "--config", ExampleAdapter(adapter), "--api-url",
        "http://127.0.0.1:1", "--health-port", "0",        "--metrics-port",        "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    Process p(argv, {{"HYPERFLEET_TOPIC", "custom.clusters"}, {"HYPERFLEET_DATA_DIR", dir}},
              dir + "/" + adapter + std::to_string(extra.size()) + ".log");
    std::string topic;
    for (int i = 0; i < 200 && topic.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      const std::string log = p.Log();
      const auto at = log.find("\"msg\":\"subscribed\"");
      if (at == std::string::npos) continue;
      const auto line = log.substr(log.rfind('\n', at) + 1);
      const auto key = line.find("\"topic\":\"");
      if (key != std::string::npos) {
        topic = line.substr(key + 9, line.find('"', key + 9) - key - 9);
      }
    }
    return topic;
  };
  EXPECT_EQ(subscribed_topic("validation", {}), "custom.clusters");
  EXPECT_EQ(subscribed_topic("nodepool-validation", {}), "hyperfleet.nodepools.changed.v1");
  EXPECT_EQ(subscribed_topic("nodepool-validation", {"--topic", "custom.nodepools"}),
            "custom.nodepools");
}

TEST(Cli, ServersWaitForADatabaseThatDoesNotAnswerYet) {
  // Nothing listens there: the outbox retries (bounded by db_startup_wait) instead of exiting,
  // says why and what to check, and SIGTERM still ends it at once.
  const std::string url = "postgres://postgres@127.0.0.1:" + std::to_string(FreePort()) + "/none";
  const std::vector<std::string> argv = {HyperfleetBinary(), "outbox", "--db",           url,
                                         "--health-port",    "0",      "--metrics-port", "0"};
  const std::string dir = MakeTempDir("hf-cli-dbwait");
  Process waiting(argv, {{"HYPERFLEET_DB_STARTUP_WAIT", "60s"}}, dir + "/outbox.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(waiting.Running()) << waiting.Log();
  EXPECT_NE(waiting.Log().find("database unavailable; retrying"), std::string::npos)
      << waiting.Log();
  EXPECT_NE(waiting.Log().find("HYPERFLEET_DB"), std::string::npos) << waiting.Log();
  EXPECT_EQ(waiting.Stop(SIGTERM, std::chrono::milliseconds(3000)), 1) << waiting.Log();
  EXPECT_NE(waiting.Log().find("stopped while waiting for the database"), std::string::npos)
      << waiting.Log();
  // 0s: fail at once, as before.
  std::vector<std::string> now(argv.begin() + 1, argv.end());
  auto r = RunHyperfleet(now, {{"HYPERFLEET_DB_STARTUP_WAIT", "0s"}});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("database unavailable"), std::string::npos) << r.output;
}

void ExpectMigrateTwice(const std::string& url) {
  auto first = RunHyperfleet({"migrate", "--db", url});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("applied 0001"), std::string::npos) << first.output;
  auto second = RunHyperfleet({"migrate", "--db", url});
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

TEST(Cli, SecretsComeFromFiles) {
  const std::string dir = MakeTempDir("hf-cli-secrets");
  std::ofstream(dir + "/db-url") << "sqlite:" << dir << "/from-file.db\n";  // a mounted Secret
  auto ok = RunHyperfleet({"migrate"}, {{"HYPERFLEET_DB_FILE", dir + "/db-url"}});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/from-file.db")) << ok.output;
  auto missing = RunHyperfleet({"migrate"}, {{"HYPERFLEET_DB_FILE", dir + "/nope"}});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_EQ(missing.output, "hyperfleet migrate: db_file: cannot read '" + dir +
                                "/nope' (mount the Secret there, or unset db_file)\n");
  auto rabbit = RunHyperfleet({"outbox"}, {{"HYPERFLEET_RABBITMQ_URL_FILE", dir + "/none"}});
  EXPECT_EQ(rabbit.exit_code, 2) << rabbit.output;
  EXPECT_NE(rabbit.output.find("rabbitmq_url_file"), std::string::npos) << rabbit.output;
  auto half_tls = RunHyperfleet({"api", "--tls-cert-file", dir + "/tls.crt"});
  EXPECT_EQ(half_tls.exit_code, 2) << half_tls.output;
  EXPECT_NE(half_tls.output.find("tls_key_file"), std::string::npos) << half_tls.output;
}

}  // namespace
}  // namespace hf::testing
