#include "proxy/http/active_stream.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "proxy/common/log.h"
#include "proxy/http/client_address.h"
#include "proxy/http/local_reply.h"
#include "proxy/http/router_filter.h"
#include "proxy/router/route_table.h"
#include "proxy/server/access_log.h"
#include "proxy/server/stream_stats.h"

namespace courier::http {
namespace {

// A client-sent x-request-id is kept if it looks like an id, not a payload.
bool acceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  return true;
}

// A random (version 4) UUID, written into `out`, formatted a byte at a
// time from a table: snprintf, then a nibble loop, showed in profiles.
std::string_view newRequestId(FastRandom& rng, char (&out)[36]) {
  static constexpr auto kHexPairs = [] {
    std::array<char, 512> t{};
    constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) {
      t[2 * i] = kHex[i >> 4];
      t[2 * i + 1] = kHex[i & 15];
    }
    return t;
  }();
  uint64_t words[2] = {rng.next(), rng.next()};
  words[0] = (words[0] & ~0xf000ull) | 0x4000ull;        // version 4
  words[1] = (words[1] & ~(3ull << 62)) | (2ull << 62);  // RFC 4122 variant
  char* p = out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    unsigned byte = (words[i / 8] >> (56 - 8 * (i % 8))) & 0xff;
    std::memcpy(p, &kHexPairs[2 * byte], 2);
    p += 2;
  }
  return {out, sizeof out};
}

}  // namespace

ActiveStream::ActiveStream(WorkerContext& ctx, ResponseEncoder& encoder,
                           StreamConnection& connection, std::string_view peer_ip)
    : ctx_(ctx), gen_(ctx.generation), encoder_(encoder), connection_(connection) {
  info_.start = std::chrono::steady_clock::now();
  info_.downstream_address = peer_ip;
}

ActiveStream::~ActiveStream() {
  if (ctx_.idle_sweeper) ctx_.idle_sweeper->remove(this);
  if (chain_) chain_->destroy();
}

event_base* ActiveStream::eventBase() {
  return ctx_.dispatcher->base();
}

void ActiveStream::setForwardingHeaders() {
  HeaderMap& h = request_headers_->headers;
  const std::string_view* id = h.get("x-request-id");
  // Fields added here point into info_ (which lives as long as the
  // headers) instead of being copied into the map's arena.
  if (id && acceptableRequestId(*id)) {
    info_.request_id = *id;
  } else {
    if (id) h.remove("x-request-id");
    info_.request_id = newRequestId(ctx_.rng, info_.request_id_storage);
    h.addView("x-request-id", info_.request_id);
  }
  // Before our own hop is appended: that one is the peer, not a claim.
  const auto& trusted = gen_->config->server.trusted_proxies;
  if (!trusted.empty())
    info_.client_address = effectiveClientAddress(info_.downstream_address, h, trusted);
  // Append the peer to x-forwarded-for (RFC 7239's predecessor, as every proxy does).
  bool appended = false;
  for (auto& f : h.mutableFields()) {
    if (f.name != "x-forwarded-for") continue;
    std::string joined;
    joined.reserve(f.value.size() + 2 + info_.downstream_address.size());
    joined.append(f.value).append(", ").append(info_.downstream_address);
    f.value = h.copy(joined);
    appended = true;
    break;
  }
  if (!appended) h.addView("x-forwarded-for", info_.downstream_address);
  h.remove("x-forwarded-proto");
  h.addView("x-forwarded-proto", request_headers_->scheme);
}

void ActiveStream::decodeHeaders(std::unique_ptr<RequestHeaders> headers, bool end_stream) {
  request_headers_ = std::move(headers);
  request_complete_ = end_stream;
  info_.client_path = request_headers_->path;
  info_.client_authority = request_headers_->authority;
  info_.downstream_http_major = request_headers_->http_major;
  setForwardingHeaders();
  const config::RouteConfig* route = gen_->routes.match(*request_headers_);
  info_.route = route;
  if (!info_.internal) stats::streamStarted(*gen_, info_);
  if (!route) {
    sendLocalReply(404, "no_route", "no route matches this request", "no_route");
    return;
  }
  if (!info_.internal && ctx_.idle_sweeper) {
    idle_timeout_ = route->stream_idle_timeout.value_or(gen_->config->server.stream_idle_timeout);
    ctx_.idle_sweeper->add(this);
  }
  services_.stats = gen_->stats;
  services_.route_stats_index = route->index;
  services_.redis = gen_->redis.get();
  services_.dispatcher = ctx_.dispatcher;
  services_.internal_requests = ctx_.internal_requests;
  chain_ = std::make_unique<FilterChain>(*this, gen_->config->server.max_body_bytes);
  chain_->reserve(route->filters.size() + 1);
  for (const auto& filter_config : route->filters) chain_->add(filter_config->createFilter());
  chain_->add(std::make_unique<RouterFilter>(ctx_, *gen_, *route));
  chain_->decodeHeaders(end_stream);
}

void ActiveStream::decodeData(Buffer& data, bool end_stream) {
  ++activity_;
  request_complete_ = request_complete_ || end_stream;
  info_.request_body_bytes += data.length();
  if (chain_ && !chain_->destroyed()) {
    chain_->decodeData(data, end_stream);
  } else {
    data.clear();  // answered already (e.g. 404): the body has nowhere to go
  }
}

void ActiveStream::decodeTrailers(std::unique_ptr<HeaderMap> trailers) {
  ++activity_;
  request_complete_ = true;
  request_trailers_ = std::move(trailers);
  if (chain_ && !chain_->destroyed()) chain_->decodeTrailers();
}

void ActiveStream::sinkHeaders(ResponseHeaders& headers, bool end_stream) {
  ++activity_;
  response_started_ = true;
  info_.response_code = headers.status;
  encoder_.encodeHeaders(headers, end_stream);
  connection_.onStreamWrote();
}

void ActiveStream::sinkData(Buffer& data, bool end_stream) {
  ++activity_;
  info_.response_body_bytes += data.length();
  encoder_.encodeData(data, end_stream);
  connection_.onStreamWrote();
}

void ActiveStream::sinkTrailers(HeaderMap& trailers) {
  ++activity_;
  encoder_.encodeTrailers(trailers);
  connection_.onStreamWrote();
}

void ActiveStream::sendLocalReply(int status, std::string_view error, std::string_view message,
                                  std::string_view details) {
  if (!response_started_ && chain_ && chain_->replaceLocalReply(status)) {
    // A filter answered instead (a stale cache entry); keep why in the log.
    if (info_.details.empty()) info_.details = details.empty() ? error : details;
    return;
  }
  if (info_.details.empty()) info_.details = details.empty() ? error : details;
  stats::localReply(*gen_, error);
  if (response_started_) {
    if (chain_) chain_->destroy();
    // Too late for a clean answer; cutting the response is the honest signal.
    encoder_.resetStream();
    return;
  }
  writeLocalReply(status, error, message);
}

void ActiveStream::writeLocalReply(int status, std::string_view error, std::string_view message) {
  if (info_.request_id.empty())  // unparsed request
    info_.request_id = newRequestId(ctx_.rng, info_.request_id_storage);
  Buffer body;
  body.add(localReplyBody(error, message, info_.request_id));
  response_headers_ = localReplyHeaders(status, body.length());
  if (chain_) {
    chain_->onLocalReply(*response_headers_);
    chain_->destroy();
  }
  response_started_ = true;
  info_.response_code = status;
  encoder_.encodeHeaders(*response_headers_, false);
  info_.response_body_bytes += body.length();
  encoder_.encodeData(body, true);
  connection_.onStreamWrote();
}

void ActiveStream::onProtocolError(int status, std::string_view error_code,
                                   std::string_view details) {
  sendLocalReply(status, error_code, details, details);
}

void ActiveStream::onBufferLimit(bool request_direction) {
  if (request_direction) {
    sendLocalReply(413, "payload_too_large", "request body over the buffer limit",
                   "request_buffer_limit");
  } else {
    sendLocalReply(502, "bad_gateway", "response body over the buffer limit",
                   "response_buffer_limit");
  }
}

bool ActiveStream::idleTick(std::chrono::milliseconds tick) {
  bool moved = activity_ != activity_seen_;
  activity_seen_ = activity_;
  // The whole request is in and no response yet: the route's timeout
  // bounds the wait for the upstream, not this one.
  if (moved || (request_complete_ && !response_started_)) {
    idle_for_ = std::chrono::milliseconds(0);
    return false;
  }
  idle_for_ += tick;
  return idle_for_ >= idle_timeout_;
}

void ActiveStream::onIdleTimeout() {
  if (completed_) return;
  // Before the response: the client stopped sending its body (408). After
  // it began: the response stalled (upstream silent or client not
  // reading), and the stream is cut.
  sendLocalReply(408, "request_timeout", "no bytes moved within stream_idle_timeout",
                 "stream_idle_timeout");
}

void ActiveStream::complete(bool reset) {
  if (completed_) return;
  completed_ = true;
  if (ctx_.idle_sweeper) ctx_.idle_sweeper->remove(this);
  if (reset && info_.details.empty()) info_.details = "downstream_reset";
  if (chain_) chain_->destroy();
  if (info_.internal) return;
  stats::streamFinished(*gen_, info_, reset);
  if (ctx_.access_log) ctx_.access_log->log(request_headers_.get(), info_);
}

}  // namespace courier::http
