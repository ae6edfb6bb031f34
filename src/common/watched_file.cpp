#include "common/watched_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/file.hpp"

namespace hf {

WatchedFile::WatchedFile(std::string path) : path_(std::move(path)) {}

WatchedFile::Stamp WatchedFile::Stat() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return {};
  return {static_cast<unsigned long long>(st.st_ino), static_cast<unsigned long long>(st.st_size),
          static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec, true};
}

bool WatchedFile::Changed() const {
  std::lock_guard lock(mu_);
  return Stat() != stamp_ || !content_;
}

Result<std::shared_ptr<const std::string>> WatchedFile::Read() {
  std::lock_guard lock(mu_);
  Stamp now = Stat();
  if (content_ && now.ok && now == stamp_) return content_;
  auto text = ReadFile(path_);
  if (!text) {
    int err = errno;
    content_.reset();
    stamp_ = {};
    return Fail(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                "cannot read " + path_ + ": " + std::strerror(err));
  }
  stamp_ = now;
  content_ = std::make_shared<const std::string>(std::move(*text));
  return content_;
}

}  // namespace hf
