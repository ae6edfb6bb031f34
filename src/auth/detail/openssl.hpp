#pragma once

// Owning handles for the OpenSSL 3 objects the JOSE code uses.

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <string>

namespace hf::auth::detail {

template <auto Free>
struct OpenSslFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslFree<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OpenSslFree<BN_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslFree<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OpenSslFree<OSSL_PARAM_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslFree<ECDSA_SIG_free>>;

// A key shared read-only between threads (OpenSSL 3 allows concurrent use of one EVP_PKEY).
using SharedPkey = std::shared_ptr<EVP_PKEY>;
inline SharedPkey Share(PkeyPtr key) { return SharedPkey(key.release(), EVP_PKEY_free); }

// The text of the oldest queued OpenSSL error (or "unknown error"); clears the queue.
std::string OpenSslError();

}  // namespace hf::auth::detail
