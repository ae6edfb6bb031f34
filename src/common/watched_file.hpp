#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/result.hpp"

namespace hf {

// A file that is re-read when it changes: a rotated token, a renewed certificate, a new JWKS.
// Kubernetes updates projected tokens and mounted Secrets by swapping a symlink, so the check
// follows links and compares inode, size and modification time. Thread-safe.
class WatchedFile {
 public:
  explicit WatchedFile(std::string path);

  const std::string& path() const { return path_; }
  // The current content: read again only when the file changed since the last call.
  // kNotFound/kUnavailable naming the path when it cannot be read; a failed re-read keeps
  // failing until the file is readable again (a stale copy is never served as current).
  [[nodiscard]] Result<std::shared_ptr<const std::string>> Read();
  // Whether the file changed (or became readable/unreadable) since the last Read().
  [[nodiscard]] bool Changed() const;

 private:
  struct Stamp {
    unsigned long long inode = 0, size = 0;
    long long mtime_ns = 0;
    bool ok = false;
    bool operator==(const Stamp&) const = default;
  };
  Stamp Stat() const;

  const std::string path_;
  mutable std::mutex mu_;
  Stamp stamp_;
  std::shared_ptr<const std::string> content_;
};

}  // namespace hf
