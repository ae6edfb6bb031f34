#include "auth/token_verifier.hpp"

#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "auth/detail/issuer_keys.hpp"
#include "auth/detail/jwk.hpp"
#include "auth/detail/jws.hpp"
#include "auth/detail/verified_tokens.hpp"
#include "common/base64.hpp"
#include "common/json_depth.hpp"

namespace hf::auth {
namespace {

using detail::IssuerKeys;
using detail::Jwk;
using detail::JwsAlgorithm;
using detail::KeySet;
using nlohmann::json;

// Larger tokens are refused before any parsing (real ones are 1-2 KiB).
constexpr size_t kMaxTokenSize = 16 * 1024;

Rejection Invalid(std::string reason, std::string detail) {
  return {Rejection::Kind::kInvalid, std::move(reason), std::move(detail)};
}

Rejection Malformed(std::string detail) { return Invalid("malformed", std::move(detail)); }

// A value from the token, safe to quote in a one-line detail: printable ASCII, at most 64
// characters.
std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out + (text.size() > 64 ? "...'" : "'");
}

// A base64url segment holding a JSON object.
std::optional<json> DecodeObject(std::string_view segment) {
  auto text = Base64UrlDecode(segment);
  if (!text || JsonNestedDeeperThan(*text)) return std::nullopt;
  json value = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

// "2026-12-05T10:00:00Z".
std::string FormatNumericDate(double seconds) {
  const auto whole = static_cast<std::time_t>(std::clamp(seconds, 0.0, 253402300799.0));
  std::tm tm{};
  ::gmtime_r(&whole, &tm);
  char text[32];
  return std::string(text, std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm));
}

// The string values of a claim that may be a string or an array of strings (aud, groups).
std::vector<std::string> Strings(const json& claims, const std::string& name) {
  std::vector<std::string> out;
  const auto it = claims.find(name);
  if (it == claims.end()) return out;
  if (it->is_string()) out.push_back(it->get<std::string>());
  if (it->is_array()) {
    for (const json& v : *it) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::string NonEmptyString(const json& claims, const std::string& name) {
  const auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The keys of `keys` that may check a token signed with `alg` and naming `kid` (empty: any
// key that fits the algorithm). unknown_key when no key has that kid (or none fits and the
// token names no kid); algorithm when the key named does not fit.
std::variant<std::vector<const Jwk*>, Rejection> Candidates(const std::vector<Jwk>& keys,
                                                            const JwsAlgorithm& alg,
                                                            const std::string& kid,
                                                            const std::string& issuer) {
  std::vector<const Jwk*> out;
  bool kid_known = false;
  for (const Jwk& key : keys) {
    if (!kid.empty() && key.kid != kid) continue;
    kid_known = true;
    if (key.Fits(alg)) out.push_back(&key);
  }
  if (!out.empty()) return out;
  if (kid.empty()) {
    return Invalid("unknown_key", "no " + std::string(alg.name) + " key in the JWKS of " + issuer);
  }
  if (!kid_known)
    return Invalid("unknown_key", "no key " + Quote(kid) + " in the JWKS of " + issuer);
  return Invalid("algorithm", "key " + Quote(kid) + " of " + issuer + " is not usable with " +
                                  std::string(alg.name));
}

// A NumericDate claim (RFC 7519 §2): absent → nullopt; not a number → a "claims" rejection.
std::variant<std::optional<double>, Rejection> NumericDate(const json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (!it->is_number()) {
    return Invalid("claims", std::string("token claim '") + name + "' is not a number");
  }
  return it->get<double>();
}

// The adapter `claims` name under `issuer` (adapter_name_claim cut by `pattern`); "" when none.
std::string AdapterName(const IssuerConfig& issuer, const std::regex* pattern, const json& claims) {
  if (issuer.adapter_name_claim.empty()) return {};
  return AdapterNameFrom(NonEmptyString(claims, issuer.adapter_name_claim), pattern);
}

class JwksTokenVerifier final : public TokenVerifier {
 public:
  JwksTokenVerifier(std::vector<IssuerConfig> issuers, VerifierOptions options)
      : options_(options), verified_(options.cache_ttl, options.cache_entries) {
    auto http = std::make_shared<const HttpClient>();
    for (IssuerConfig& issuer : issuers) {
      if (!issuer.adapter_name_pattern.empty()) {  // validated by Create
        adapter_patterns_.emplace(issuer.issuer_url,
                                  *CompileAdapterNamePattern(issuer.adapter_name_pattern));
      }
      std::string url = issuer.issuer_url;
      issuers_.emplace(std::move(url),
                       std::make_unique<IssuerKeys>(std::move(issuer), options_, http));
    }
  }

  std::variant<Principal, Rejection> Verify(std::string_view token) const override {
    if (auto known = verified_.Find(token)) return *known;
    auto verified = VerifyFully(token);
    if (const auto* principal = std::get_if<Principal>(&verified)) {
      verified_.Insert(token, *principal, principal->expires + options_.leeway);
    }
    return verified;
  }

 private:
  std::variant<Principal, Rejection> VerifyFully(std::string_view token) const {
    if (token.empty()) return Rejection{Rejection::Kind::kMissing, "missing", "no bearer token"};
    if (token.size() > kMaxTokenSize) {
      return Malformed("token is larger than " + std::to_string(kMaxTokenSize / 1024) + " KiB");
    }
    const size_t dot1 = token.find('.');
    const size_t dot2 = dot1 == token.npos ? token.npos : token.find('.', dot1 + 1);
    if (dot2 == token.npos || token.find('.', dot2 + 1) != token.npos) {
      return Malformed("token is not a JWS in compact form (three base64url parts)");
    }
    const auto header = DecodeObject(token.substr(0, dot1));
    if (!header) return Malformed("token header is not a base64url JSON object");
    const std::string alg_name = NonEmptyString(*header, "alg");
    const JwsAlgorithm* alg = detail::FindJwsAlgorithm(alg_name);
    if (!alg) {
      return Invalid("algorithm", "token algorithm " + Quote(alg_name) + " is not accepted (" +
                                      detail::AcceptedJwsAlgorithms() + ")");
    }
    if (header->contains("crit")) {
      return Malformed("token header names critical extensions ('crit'), none is supported");
    }
    if (header->contains("kid") && !(*header)["kid"].is_string()) {
      return Malformed("token header 'kid' is not a string");
    }
    const std::string kid = NonEmptyString(*header, "kid");

    const auto claims = DecodeObject(token.substr(dot1 + 1, dot2 - dot1 - 1));
    if (!claims) return Malformed("token payload is not a base64url JSON object");
    const auto signature = Base64UrlDecode(token.substr(dot2 + 1));
    if (!signature || signature->empty()) return Malformed("token signature is not base64url");

    const std::string iss = NonEmptyString(*claims, "iss");
    const auto found = issuers_.find(iss);
    if (found == issuers_.end()) {
      return Invalid("unknown_issuer", iss.empty()
                                           ? "token has no issuer ('iss')"
                                           : "token issuer " + Quote(iss) + " is not trusted");
    }
    IssuerKeys& keys = *found->second;
    if (auto bad = CheckSignature(keys, *alg, kid, token.substr(0, dot2), *signature)) {
      return *bad;
    }
    return CheckClaims(keys.issuer(), *claims);
  }

  // nullopt when one of the issuer's keys verifies the signature. An unknown key refreshes
  // the issuer's keys (IssuerKeys rate-limits that).
  static std::optional<Rejection> CheckSignature(IssuerKeys& issuer_keys, const JwsAlgorithm& alg,
                                                 const std::string& kid,
                                                 std::string_view signing_input,
                                                 const std::string& signature) {
    const std::string& issuer = issuer_keys.issuer().issuer_url;
    const auto unavailable = [&] {
      return Invalid("keys_unavailable",
                     issuer_keys.issuer().jwks_file.empty()
                         ? "the keys of issuer " + issuer + " could not be fetched (unreachable)"
                         : "the JWKS file of issuer " + issuer + " cannot be read");
    };
    Result<KeySet> keys = issuer_keys.Current();
    if (!keys) return unavailable();
    auto candidates = Candidates(**keys, alg, kid, issuer);
    if (auto* miss = std::get_if<Rejection>(&candidates); miss && miss->reason == "unknown_key") {
      keys = issuer_keys.Refresh();
      if (!keys) return unavailable();
      candidates = Candidates(**keys, alg, kid, issuer);
    }
    if (auto* bad = std::get_if<Rejection>(&candidates)) return *bad;
    for (const Jwk* key : std::get<std::vector<const Jwk*>>(candidates)) {
      if (detail::VerifyJws(alg, key->key.get(), signing_input, signature)) return std::nullopt;
    }
    return Invalid("signature", "token signature does not verify with the keys of " + issuer);
  }

  std::variant<Principal, Rejection> CheckClaims(const IssuerConfig& issuer,
                                                 const json& claims) const {
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto leeway = static_cast<double>(options_.leeway.count());
    auto exp = NumericDate(claims, "exp");
    auto nbf = NumericDate(claims, "nbf");
    auto iat = NumericDate(claims, "iat");
    for (auto* date : {&exp, &nbf, &iat}) {
      if (auto* bad = std::get_if<Rejection>(date)) return *bad;
    }
    const auto& expires = std::get<std::optional<double>>(exp);
    const auto& not_before = std::get<std::optional<double>>(nbf);
    const auto& issued = std::get<std::optional<double>>(iat);
    if (!expires) return Invalid("claims", "token has no expiry ('exp')");
    if (now > *expires + leeway) {
      return Rejection{Rejection::Kind::kExpired, "expired",
                       "token expired at " + FormatNumericDate(*expires)};
    }
    if (not_before && *not_before > now + leeway) {
      return Invalid("not_yet_valid",
                     "token is not valid before " + FormatNumericDate(*not_before));
    }
    if (issued && *issued > now + leeway) {
      return Invalid("not_yet_valid",
                     "token is issued in the future, at " + FormatNumericDate(*issued));
    }
    if (!issuer.audience.empty()) {
      const auto aud = Strings(claims, "aud");
      if (std::ranges::find(aud, issuer.audience) == aud.end()) {
        return Invalid("audience", "token audience does not include " + Quote(issuer.audience));
      }
    }
    const auto pattern = adapter_patterns_.find(issuer.issuer_url);
    Principal principal{
        .identity = NonEmptyString(claims, issuer.identity_claim),
        .role = issuer.role,
        .adapter = AdapterName(
            issuer, pattern == adapter_patterns_.end() ? nullptr : &pattern->second, claims),
        .issuer = issuer.issuer_url,
        .expires = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::duration<double>(*expires)))};
    if (principal.identity.empty()) principal.identity = NonEmptyString(claims, "sub");
    if (principal.identity.empty()) {
      return Invalid("claims", "token has neither '" + issuer.identity_claim + "' nor 'sub'");
    }
    if (!issuer.roles_claim.empty()) {
      for (const std::string& value : Strings(claims, issuer.roles_claim)) {
        const auto mapped = issuer.role_map.find(value);
        if (mapped != issuer.role_map.end())
          principal.role = std::max(principal.role, mapped->second);
      }
    }
    return principal;
  }

  const VerifierOptions options_;
  mutable detail::VerifiedTokens verified_;
  // By issuer_url. The maps are fixed after construction; each IssuerKeys guards itself, and
  // a const std::regex may be matched from many threads.
  std::map<std::string, std::unique_ptr<IssuerKeys>, std::less<>> issuers_;
  std::map<std::string, std::regex, std::less<>> adapter_patterns_;
};

}  // namespace

Result<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(std::vector<IssuerConfig> issuers,
                                                             VerifierOptions options) {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < issuers.size(); ++i) {
    const std::string where = "auth.issuers[" + std::to_string(i) + "]";
    if (auto valid = ValidateIssuer(issuers[i]); !valid) {
      return Fail(ErrorCode::kInvalidArgument, where + "." + valid.error().message);
    }
    if (!seen.emplace(issuers[i].issuer_url, i).second) {
      return Fail(ErrorCode::kInvalidArgument,
                  where + ".issuer_url: '" + issuers[i].issuer_url + "' is already auth.issuers[" +
                      std::to_string(seen[issuers[i].issuer_url]) + "]");
    }
  }
  return std::make_unique<JwksTokenVerifier>(std::move(issuers), options);
}

}  // namespace hf::auth
