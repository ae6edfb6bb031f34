#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace hf {

// Generates RFC 9562 UUIDv7 strings (lowercase, 36 chars). Within one millisecond the 12-bit
// counter in rand_a increases, so ids from one generator sort in creation order; when the counter
// would overflow, the timestamp is advanced by one millisecond. Thread-safe.
class UuidV7Generator {
 public:
  std::string Next();
  // Like Next() at a given Unix time in milliseconds (for tests).
  std::string NextAt(uint64_t unix_ms);

 private:
  std::mutex mu_;  // guards last_ms_ and counter_
  uint64_t last_ms_ = 0;
  uint16_t counter_ = 0;
};

// A new UUIDv7 from the process-wide generator.
std::string NewUuidV7();

// True for a canonical UUID string (8-4-4-4-12 hex digits, any version, either case).
bool IsUuid(std::string_view text);

}  // namespace hf
