// The adapter config loader (adapter/adapter_config.hpp) on arbitrary YAML: a config or one
// clear Error, never a crash or an uncaught exception (yaml-cpp's stop at its edge).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapter/adapter_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  (void)hf::adapter::ParseAdapterConfig(yaml, "/nonexistent/adapters", "fuzz.yaml");
  return 0;
}
