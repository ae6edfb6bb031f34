// The search language (search/search.hpp) and the order parameter (search/order.hpp) on
// arbitrary text: a Filter, nullopt or an Error, never a crash or an uncaught exception.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "search/search.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)hf::search::ParseSearch(text);
  (void)hf::search::ParseOrder({text});
  return 0;
}
