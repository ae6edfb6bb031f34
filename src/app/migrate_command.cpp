// `hyperfleet migrate`: applies pending database migrations and says which.
#include <iostream>

#include "app/commands.hpp"
#include "app/components.hpp"

namespace hf::app {

int RunMigrate(Settings& s, CLI::App&) {
  auto store = store::OpenStore(s.db, {});
  if (!store) return StartupFailure("migrate", store.error());
  auto report = (*store)->Migrate();
  if (!report) return StartupFailure("migrate", report.error());
  for (const auto& name : report->applied) std::cout << "applied " << name << "\n";
  std::cout << "schema is up to date (" << report->total << " migrations)\n";
  return 0;
}

}  // namespace hf::app
