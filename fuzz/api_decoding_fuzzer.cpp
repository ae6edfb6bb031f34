// The API's JSON body decoders (api/request_decoding.hpp) on arbitrary bytes: a request body
// goes through DecodeObjectBody, then every decoder a route would apply to it. Any input must
// give a value or an Error, never a crash, a sanitizer report or an uncaught exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/request_decoding.hpp"
#include "service/kinds.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hf::service::Kinds kinds({"validation", "dns", "placement"},
                                        {"nodepool-validation"});
  hf::http::Request req;
  req.method = "POST";
  req.headers["content-type"] = "application/json";
  req.body.assign(reinterpret_cast<const char*>(data), size);
  auto json = hf::api::DecodeObjectBody(req);
  if (!json) return 0;
  for (const auto& kind : kinds.all()) (void)hf::api::DecodeCreate(*json, kind);
  (void)hf::api::DecodePatch(*json);
  (void)hf::api::DecodeStatusReport(*json);
  (void)hf::api::DecodeForceDeleteReason(*json);
  return 0;
}
