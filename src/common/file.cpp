#include "common/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hf {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return content.str();
}

Result<void> WriteNewFile(const std::string& path, const std::string& text, unsigned mode,
                          bool sync) {
  auto error = [&] {
    return Fail(ErrorCode::kUnavailable, "cannot write " + path,
                path + ": " + std::strerror(errno));
  };
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return error();  // an existing file is not ours to remove
  auto fail = [&] {
    auto e = error();
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
    return e;
  };
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail();
    done += static_cast<size_t>(n);
  }
  if (sync && ::fsync(fd) != 0) return fail();
  const int closed = ::close(fd);
  fd = -1;  // released even when close fails
  if (closed != 0) return fail();
  return {};
}

Result<void> WriteFileAtomically(const std::string& path, const std::string& text, unsigned mode,
                                 bool sync) {
  static std::atomic<unsigned long> counter{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(++counter);
  if (auto written = WriteNewFile(tmp, text, mode, sync); !written) {
    return Fail(ErrorCode::kUnavailable, "cannot write " + path, written.error().detail);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto error =
        Fail(ErrorCode::kUnavailable, "cannot write " + path, path + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return error;
  }
  return {};
}

}  // namespace hf
