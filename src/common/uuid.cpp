#include "common/uuid.hpp"

#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace hf {
namespace {

// Cryptographic random bytes, drawn from OpenSSL 4 KiB at a time per thread: each RAND_bytes
// call costs a getpid() system call (its fork check), once per request otherwise.
void RandomBytes(uint8_t* out, int n) {
  thread_local std::array<uint8_t, 4096> buffer;
  thread_local size_t used = buffer.size();
  if (used + static_cast<size_t>(n) > buffer.size()) {
    if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
      throw std::runtime_error("OpenSSL RAND_bytes failed");
    }
    used = 0;
  }
  std::memcpy(out, buffer.data() + used, static_cast<size_t>(n));
  used += static_cast<size_t>(n);
}

}  // namespace

std::string UuidV7Generator::Next() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return NextAt(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()));
}

std::string UuidV7Generator::NextAt(uint64_t unix_ms) {
  std::array<uint8_t, 16> b{};
  RandomBytes(b.data(), static_cast<int>(b.size()));
  uint64_t ms;
  uint16_t counter;
  {
    std::lock_guard lock(mu_);
    if (unix_ms > last_ms_) {
      last_ms_ = unix_ms;
      // Start low in the 12-bit space so many ids fit in one millisecond.
      counter_ = static_cast<uint16_t>(b[6] & 0x03) << 8 | b[7];
    } else if (counter_ >= 0x0FFF) {
      ++last_ms_;
      counter_ = 0;
    } else {
      ++counter_;
    }
    ms = last_ms_;
    counter = counter_;
  }
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | ((counter >> 8) & 0x0F));
  b[7] = static_cast<uint8_t>(counter & 0xFF);
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0F]);
  }
  return out;
}

std::string NewUuidV7() {
  static UuidV7Generator generator;
  return generator.Next();
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace hf
