#include "auth/role.hpp"

namespace hf::auth {

std::string_view ToString(Role role) {
  switch (role) {
    case Role::kReader:
      return "reader";
    case Role::kAdapter:
      return "adapter";
    case Role::kAdmin:
      return "admin";
  }
  return "reader";
}

std::optional<Role> ParseRole(std::string_view text) {
  for (Role r : {Role::kReader, Role::kAdapter, Role::kAdmin}) {
    if (text == ToString(r)) return r;
  }
  return std::nullopt;
}

}  // namespace hf::auth
