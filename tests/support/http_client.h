// A small blocking HTTP/1.1 client on raw sockets, for integration tests.
//
// It speaks exactly what it is told: request() frames a well-formed request,
// sendRaw() writes any bytes at all, and readResponse() parses one response
// (Content-Length, chunked with trailers, or close-delimited; 1xx interim
// responses are skipped and recorded). The connection is kept alive and
// reused; request() reconnects only when the server said it would close or
// already closed (connectCount() tells a test whether a connection was
// reused). Every call has a deadline (the client timeout); failures come back
// as Response::error, never as exceptions or aborts, so a test can assert on
// them. While sending a body it also reads, so echoing a 10 MiB body cannot
// deadlock.
//
// Not thread-safe: one client per thread. IPv4 literal hosts only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace courier::test {

using Ms = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
// Request headers in the order given; repeats allowed.
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  int status = 0;  // 0: no (valid) response; see `error`
  std::string reason;
  int minor_version = 1;
  std::multimap<std::string, std::string> headers;   // names lower-cased
  std::multimap<std::string, std::string> trailers;  // names lower-cased
  std::string body;                                  // decoded (de-chunked)
  std::string raw;           // every byte of this response as received, incl. interim ones
  std::string error;         // why there is no response (timeout, closed, malformed ...)
  std::vector<int> interim;  // 1xx statuses seen before the final one
  bool chunked = false;
  struct Chunk {
    size_t size;
    Clock::time_point at;  // when its last byte arrived
  };
  std::vector<Chunk> chunks;  // chunked bodies only
  Clock::time_point sent_at, head_at, done_at;

  bool ok() const { return status != 0 && error.empty(); }
  // First value of a header (name in any case), or "" if absent.
  std::string header(std::string_view name) const;
  bool has(std::string_view name) const;
  size_t count(std::string_view name) const;
  std::string trailer(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, Ms timeout = Ms(10000), std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads its response. Adds `Host` unless given, and
  // `Content-Length` when there is a body (or the method is POST/PUT/PATCH)
  // unless Content-Length or Transfer-Encoding is given; `body` is sent as
  // is (a caller that sets Transfer-Encoding frames it).
  Response request(std::string_view method, std::string_view target, const Headers& headers = {},
                   std::string_view body = {});
  Response get(std::string_view target, const Headers& headers = {}) {
    return request("GET", target, headers);
  }
  Response post(std::string_view target, std::string_view body, const Headers& headers = {}) {
    return request("POST", target, headers, body);
  }
  // Sends the body chunked, one chunk per element, then `trailers`.
  Response requestChunked(std::string_view method, std::string_view target, const Headers& headers,
                          const std::vector<std::string>& chunks, const Headers& trailers = {});

  // Raw access for malformed-input and pipelining tests. sendRaw() connects
  // if needed. readRaw() returns the bytes that arrive (including any already
  // buffered) until `until` has been seen, the peer closes, or `timeout`.
  bool sendRaw(std::string_view bytes);
  std::string readRaw(Ms timeout, std::string_view until = {});
  // Parses the next response on the connection (e.g. after sendRaw).
  Response readResponse(bool head_request = false);
  // True once the peer has closed (EOF or reset) and nothing is buffered;
  // waits up to `wait` for that to happen.
  bool isClosed(Ms wait = Ms(0));

  bool connect();  // opens a new connection (closing any current one)
  void close();
  bool connected() const { return fd_ >= 0; }
  int connectCount() const { return connects_; }
  void setTimeout(Ms timeout) { timeout_ = timeout; }
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  bool ensureConnected(std::string& error);
  bool peerClosed();
  bool sendAll(std::string_view data, Clock::time_point deadline, std::string& error);
  // Reads whatever arrives next into in_; false on EOF, error or deadline.
  bool readMore(Clock::time_point deadline, std::string& error);
  Response send(std::string_view method, const std::string& wire);

  std::string host_;
  uint16_t port_;
  Ms timeout_;
  int fd_ = -1;
  int connects_ = 0;
  bool eof_ = false;
  bool server_will_close_ = false;
  std::string in_;  // received, not yet consumed
};

}  // namespace courier::test
