#include "api/loopback_guard.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "api/problem_details.hpp"

namespace hf::api {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "name:port" / "[v6]:port" → "name" / "v6"; "" when the syntax is broken (an unclosed
// bracket, a port that is not digits).
std::string StripPort(std::string_view authority) {
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "";
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "";
      port = rest.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return "";  // a bare IPv6 address
  }
  if (!std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return "";
  }
  return Lower(host);
}

bool IsLoopbackName(const std::string& host) {
  std::string name = host;
  if (name.ends_with('.')) name.pop_back();  // "localhost." is the same name
  if (name == "localhost" || name.ends_with(".localhost")) return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, name.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, name.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// "http://localhost:8000" → "localhost:8000"; "" for any other scheme or a path.
std::string_view OriginAuthority(std::string_view origin) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() > scheme.size() && Lower(origin.substr(0, scheme.size())) == scheme) {
      std::string_view authority = origin.substr(scheme.size());
      if (authority.find_first_of("/?#@") != std::string_view::npos) return {};
      return authority;
    }
  }
  return {};
}

constexpr const char* kHowToServeOthers =
    "; to serve other hosts, turn on authentication (hyperfleet dev --auth) or name them in "
    "allowed_hosts (--allowed-hosts)";

}  // namespace

bool IsAllowedHost(std::string_view host, const std::vector<std::string>& allowed_hosts) {
  const std::string name = StripPort(host);
  if (name.empty()) return false;
  if (IsLoopbackName(name)) return true;
  return std::any_of(allowed_hosts.begin(), allowed_hosts.end(),
                     [&name](const std::string& allowed) { return Lower(allowed) == name; });
}

http::Handler LoopbackGuard(http::Handler next, std::vector<std::string> allowed_hosts) {
  return [next = std::move(next),
          allowed = std::move(allowed_hosts)](const http::Request& req) -> http::Response {
    const std::string host = req.Header("host");
    if (!IsAllowedHost(host, allowed)) {
      return MisdirectedRequest(
          "this server (hyperfleet dev without authentication) answers only requests for "
          "localhost or a loopback address, not Host '" +
              host.substr(0, 64) + "'" + kHowToServeOthers,
          req.path);
    }
    if (auto it = req.headers.find("origin"); it != req.headers.end()) {
      const std::string_view authority = OriginAuthority(it->second);
      if (authority.empty() || !IsAllowedHost(authority, allowed)) {
        return CrossOriginForbidden(
            "this server (hyperfleet dev without authentication) refuses requests from web "
            "pages of other sites (Origin '" +
                it->second.substr(0, 64) + "')" + kHowToServeOthers,
            req.path);
      }
    }
    return next(req);
  };
}

}  // namespace hf::api
