// The HTTP filter API: what every filter under filters/ implements.
//
// A stream (one request and its response) runs through a FilterChain:
// decode* calls go down the chain in config order (request direction) and
// end at the router; encode* calls come back up in reverse order (response
// direction). Filters never see codec types: HTTP/1.1 and HTTP/2 look alike.
//
// Contracts:
// - Threading: a filter object lives on one worker thread, for one stream.
//   Callbacks are only valid on that thread and until onDestroy().
// - end_stream: set exactly once per direction, on the last call carrying
//   that direction (headers if there is no body, else the last data, or
//   never on data when trailers follow).
// - Ownership: headers, data and trailers belong to the chain; a filter may
//   modify them in place. Data passed to decodeData/encodeData may be moved
//   out of (e.g. into a cache) or changed.
// - Stopping: return StopIteration (headers) or StopIterationAndBuffer /
//   StopIterationNoBuffer (data) to hold the stream; later call
//   continueDecoding()/continueEncoding() exactly once to resume. Resuming
//   twice is a bug (asserted in debug builds).
// - Body callbacks are opt-in: a filter that leaves wantsDecodeBody() /
//   wantsEncodeBody() false is skipped for data and trailers.
// - Replacing a response: encodeHeaders() may rewrite the headers in place
//   (status and fields) and encodeData() the body; injectEncodedBody()
//   adds a body to a response that had none.
// - Local replies: sendLocalReply() ends the stream from inside the chain
//   with a JSON error (SPEC "Errors"); the filter must then return Stop*.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/buffer/buffer.h"
#include "proxy/http/header_map.h"

struct event_base;

namespace courier::config {
struct RouteConfig;
}
namespace courier::event {
class Dispatcher;
}
namespace courier::redis {
class Client;
}
namespace courier::stats {
class WorkerStats;
}

namespace courier::http {

enum class FilterHeadersStatus { Continue, StopIteration };
enum class FilterDataStatus { Continue, StopIterationAndBuffer, StopIterationNoBuffer };
enum class FilterTrailersStatus { Continue, StopIteration };

// Facts about a stream that filters and the access log read.
struct StreamInfo {
  StreamInfo() = default;
  StreamInfo(const StreamInfo&) = delete;  // request_id may point into it
  StreamInfo& operator=(const StreamInfo&) = delete;

  // x-request-id: the client's (a view into the request head) or one made
  // by courier (a view into request_id_storage; no allocation per request).
  std::string_view request_id;
  char request_id_storage[36];
  std::string downstream_address;  // peer IP as text
  // Set only when [server] trusted_proxies is: the right-most untrusted
  // x-forwarded-for hop if the peer is trusted, else the peer.
  std::string client_address;
  // The request as the client sent it (filters and the router may rewrite
  // the headers); views into the request head, valid for the stream's life.
  std::string_view client_path;
  std::string_view client_authority;
  std::chrono::steady_clock::time_point start;
  uint8_t downstream_http_major = 1;
  const config::RouteConfig* route = nullptr;  // nullptr: no route matched
  int response_code = 0;
  uint64_t request_body_bytes = 0;
  uint64_t response_body_bytes = 0;
  std::string upstream_address;
  std::string details;  // why courier answered itself, if it did
  // No client sent this request: courier made it (a cache refreshing a
  // stale entry). Internal streams are not rate limited, counted or logged.
  bool internal = false;

  // The client as courier believes it (see client_address).
  std::string_view clientAddress() const {
    return client_address.empty() ? std::string_view(downstream_address) : client_address;
  }
};

struct RequestHeaders;

// Starts requests that no client sent (a cache refreshing a stale entry in
// the background). Each runs through its route's filters and the router
// like a client's request, with StreamInfo::internal set; its response is
// dropped once the filters have seen it. Worker thread only.
class InternalRequests {
 public:
  virtual ~InternalRequests() = default;
  virtual void start(std::unique_ptr<RequestHeaders> headers) = 0;
};

// Per-worker facilities a filter may use. Valid for the stream's life; they
// belong to the config generation the stream runs under.
struct WorkerServices {
  stats::WorkerStats* stats = nullptr;  // this worker's shard
  size_t route_stats_index = 0;         // the stream's route in `stats` (when routed)
  redis::Client* redis = nullptr;       // nullptr when the config has no [redis]
  // This worker's loop: post() reaches it from other threads (a response
  // shared across workers wakes its waiters this way).
  event::Dispatcher* dispatcher = nullptr;
  InternalRequests* internal_requests = nullptr;
};

class StreamFilterCallbacks {
 public:
  virtual ~StreamFilterCallbacks() = default;
  // Resume a direction this filter stopped.
  virtual void continueDecoding() = 0;
  virtual void continueEncoding() = 0;
  // Ends the stream with a JSON error reply (`error` is a SPEC error code,
  // e.g. "rate_limited"); `details` goes to the access log.
  virtual void sendLocalReply(int status, std::string_view error, std::string_view message,
                              std::string_view details = {}) = 0;
  // Answer the stream from this filter (e.g. a cache hit): the response
  // walks the encode side from this filter upwards.
  virtual void encodeHeaders(std::unique_ptr<ResponseHeaders> headers, bool end_stream) = 0;
  virtual void encodeData(Buffer& data, bool end_stream) = 0;
  virtual void encodeTrailers(std::unique_ptr<HeaderMap> trailers) = 0;
  // Only inside encodeHeaders() called with end_stream = true: gives the
  // response a body after all (a cache answering an origin's 304 with the
  // stored body). Later filters then see the headers without end_stream,
  // followed by `data` (drained) with end_stream.
  virtual void injectEncodedBody(Buffer& data) = 0;
  // Headers of this stream, once decoded (nullptr before).
  virtual RequestHeaders* requestHeaders() = 0;
  virtual StreamInfo& streamInfo() = 0;
  // The worker's event loop, for timers and async clients.
  virtual event_base* eventBase() = 0;
  virtual const WorkerServices& workerServices() = 0;
  // Back-pressure: the upstream side asks the downstream connection to stop
  // (false) or resume (true) reading request bytes.
  virtual void setDownstreamReadEnabled(bool enabled) = 0;
};

class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  virtual void setCallbacks(StreamFilterCallbacks& callbacks) { callbacks_ = &callbacks; }

  virtual FilterHeadersStatus decodeHeaders(RequestHeaders&, bool /*end_stream*/) {
    return FilterHeadersStatus::Continue;
  }
  virtual FilterDataStatus decodeData(Buffer&, bool /*end_stream*/) {
    return FilterDataStatus::Continue;
  }
  virtual FilterTrailersStatus decodeTrailers(HeaderMap&) { return FilterTrailersStatus::Continue; }

  virtual FilterHeadersStatus encodeHeaders(ResponseHeaders&, bool /*end_stream*/) {
    return FilterHeadersStatus::Continue;
  }
  virtual FilterDataStatus encodeData(Buffer&, bool /*end_stream*/) {
    return FilterDataStatus::Continue;
  }
  virtual FilterTrailersStatus encodeTrailers(HeaderMap&) { return FilterTrailersStatus::Continue; }

  virtual bool wantsDecodeBody() const { return false; }
  virtual bool wantsEncodeBody() const { return false; }

  // The downstream connection's write buffer went over (true) or back under
  // (false) its high-water mark: stop/resume producing response bytes.
  virtual void onDownstreamWatermark(bool /*above_high*/) {}
  // courier answers this stream itself (a 404, 429, 503 ...): the reply's
  // head, before it is written. The reply skips the encode callbacks, so a
  // filter that marks every response (e.g. RateLimit-* fields), or adds to
  // its own reply (Retry-After on a 429), does it here.
  virtual void onLocalReply(ResponseHeaders& /*headers*/) {}
  // courier is about to answer with its own error `status` (the origin is
  // unreachable, timed out, ...) and nothing has been sent yet. A filter
  // that can answer better (a cache serving a stale entry, RFC 5861
  // stale-if-error) starts its own response through its callbacks and
  // returns true; the error reply is then dropped. Asked last to first.
  virtual bool replaceLocalReply(int /*status*/) { return false; }
  // The stream ends (completed or reset); no callbacks after this.
  virtual void onDestroy() {}

 protected:
  StreamFilterCallbacks* callbacks_ = nullptr;
};

}  // namespace courier::http
