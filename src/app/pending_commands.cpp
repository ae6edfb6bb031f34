// Subcommands whose components land in later issues: each states it plainly and fails.
#include <iostream>

#include "app/commands.hpp"

namespace hf::app {
namespace {

[[maybe_unused]] int NotYet(const char* name) {
  std::cerr << "hyperfleet " << name << ": not implemented yet in this build\n";
  return 1;
}

}  // namespace

}  // namespace hf::app
