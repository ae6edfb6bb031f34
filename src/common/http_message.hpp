#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hf::http {

// An HTTP request as handlers see it: no sockets, no Beast types.
struct Request {
  std::string method;  // "GET"
  std::string target;  // raw target, e.g. "/a/b?x=1"
  std::string path;    // decoded path without the query, trailing '/' removed (except "/")
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // lower-case names
  std::string body;
  std::string remote;

  // The first value of a query parameter, if present.
  std::optional<std::string> Query(std::string_view name) const;
  // Every value of a (repeatable) query parameter.
  std::vector<std::string> QueryAll(std::string_view name) const;
  // A header by lower-case name, or "".
  std::string Header(std::string_view lower_name) const;
};

// The sending end of a streamed response body (Response::stream), e.g. Server-Sent Events.
// Thread-safe; it may outlive its connection, whose end makes Send() fail.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Queues `data` for the client, without blocking. False once the stream is closed: by Close(),
  // the client leaving, the server draining (Server::Stop), or the client falling more than the
  // server's per-stream backlog behind; the producer should then drop it.
  virtual bool Send(std::string data) = 0;
  // Ends the body once what is queued is written; the connection then closes. Idempotent.
  virtual void Close() = 0;
  [[nodiscard]] virtual bool closed() const = 0;
};

struct Response;
// Hands a deferred answer back to the server (Response::deferred): call it once, from any thread,
// with a function that makes the answer; the server runs that function on the connection's
// thread (an exception is answered 500) and writes what it returns.
using Finish = std::function<void(std::function<Response()>)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: the body is streamed instead of `body`. The server sends the status and headers
  // (HTTP/1.1: chunked; the connection is not reused), then calls `stream` once with the sending
  // end, on a server thread: it must not block. The stream holds no handler slot.
  std::function<void(std::shared_ptr<BodyStream>)> stream{};
  // Set: the answer comes later, e.g. from an asynchronous database read, and everything else
  // here is ignored. The server calls `deferred` once, on a server thread, with the Finish that
  // answers the request: it must not block. The request holds no handler slot meanwhile (it
  // still counts as in flight until answered) and stays valid until it is answered.
  std::function<void(Finish)> deferred{};
};

// Splits "path?query" and percent-decodes both; false if the encoding is broken.
bool ParseTarget(std::string_view target, std::string& path,
                 std::vector<std::pair<std::string, std::string>>& query);
// Percent-encodes a query value or path segment.
std::string UrlEncode(std::string_view text);

}  // namespace hf::http
