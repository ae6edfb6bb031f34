#include "client/token_source.hpp"

#include <memory>

#include "common/text.hpp"
#include "common/watched_file.hpp"

namespace hf::client {

TokenSource TokenFromFile(std::string path) {
  auto file = std::make_shared<WatchedFile>(std::move(path));
  return [file]() -> Result<std::string> {
    auto content = file->Read();
    if (!content) {
      return Fail(ErrorCode::kUnauthenticated,
                  "cannot read the token file: " + content.error().message);
    }
    std::string token(Trim(**content));
    if (token.empty()) {
      return Fail(ErrorCode::kUnauthenticated, "the token file " + file->path() + " is empty");
    }
    return token;
  };
}

TokenSource FixedToken(std::string token) {
  return [token = std::string(Trim(token))]() -> Result<std::string> { return token; };
}

}  // namespace hf::client
