// courier-demo-upstream: a fast stand-in for an agent service (an LLM or
// tool API) used by the quick start, the integration tests and the load
// benchmarks. Raw libevent bufferevents and a minimal request parser
// (demo_upstream_http.h): it is the origin behind 50k+ req/s wrk runs, so it
// must not be the bottleneck. Endpoints: demo::kUsage (demo_upstream_pages.h).
//
// Threads: --threads N workers, each with its own event_base and
// SO_REUSEPORT listener; a connection lives on one worker. The only shared
// state is the per-worker Stats (a mutex each, uncontended on the hot path)
// and read-only tables built before the workers start.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "demo_upstream_http.h"
#include "demo_upstream_pages.h"

namespace {

using demo::addPattern;
using demo::g_pattern;
using demo::kJson;
using demo::Request;

constexpr size_t kMaxHeadBytes = 65536;
constexpr uint64_t kMaxBufferedBody = 64ull << 20;

struct Options {
  std::string listen = "127.0.0.1:9000";
  int threads = 1;
  bool quiet = false;
  std::string name;  // optional x-upstream-name response header
};
Options g_opt;
std::string g_name_header;
std::unordered_map<uint64_t, std::string> g_bytes_responses;  // keep-alive GET /bytes/N
std::atomic<uint64_t> g_seq{0};

struct Worker {
  event_base* base = nullptr;
  evconnlistener* listener = nullptr;
  demo::Stats stats;
};
std::vector<std::unique_ptr<Worker>> g_workers;
std::vector<demo::Stats*> g_stats;

const std::vector<demo::Stats*>& allStats() {
  return g_stats;
}

enum class State { kHead, kBody, kAsync, kClosing };
enum class BodyMode { kDiscard, kBuffer, kEcho };
enum class Chunk { kSize, kData, kDataEnd, kTrailer };
enum class Framing { kLength, kChunked, kClose };
enum class Async { kNone, kReply, kSse, kSlow, kLinger };

class Conn {
 public:
  Conn(Worker* w, evutil_socket_t fd, const sockaddr* addr) : w_(w) {
    char host[64] = "?";
    if (addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
      evutil_inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
      peer_ = std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
    } else if (addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
      evutil_inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
      peer_ = "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bev_ = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev_, &Conn::onRead, &Conn::onWrite, &Conn::onEvent, this);
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
    std::lock_guard lock(w_->stats.mu);
    ++w_->stats.connections;
    ++w_->stats.active;
  }
  ~Conn() {
    if (timer_) event_free(timer_);
    bufferevent_free(bev_);
    std::lock_guard lock(w_->stats.mu);
    --w_->stats.active;
  }

 private:
  static void onRead(bufferevent*, void* arg) {
    auto* c = static_cast<Conn*>(arg);
    c->processInput();
    c->maybeDestroy();
  }
  static void onWrite(bufferevent*, void* arg) { static_cast<Conn*>(arg)->maybeDestroy(); }
  static void onEvent(bufferevent*, short what, void* arg) {
    auto* c = static_cast<Conn*>(arg);
    bool idle = c->state_ == State::kHead || c->state_ == State::kBody;
    bool pending = evbuffer_get_length(c->out()) > 0;
    if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && (!idle || pending)) {
      c->peer_eof_ = true;  // half-close: finish what is in flight, then close
      if (idle) c->state_ = State::kClosing;
      c->maybeDestroy();
      return;
    }
    delete c;
  }
  static void onTimer(evutil_socket_t, short, void* arg) {
    auto* c = static_cast<Conn*>(arg);
    if (c->async_ == Async::kLinger) return delete c;
    c->tick();
    if (c->state_ == State::kHead) c->processInput();
    c->maybeDestroy();
  }

  evbuffer* out() { return bufferevent_get_output(bev_); }

  // Closes once the output is flushed. Unless the peer has closed too, this
  // is a lingering close (as nginx does): send FIN, then drop what the client
  // still sends for up to a second, so that its unread bytes do not make the
  // kernel answer with a reset that destroys the response in flight.
  void maybeDestroy() {
    if (state_ != State::kClosing || evbuffer_get_length(out()) > 0) return;
    if (peer_eof_) return delete this;
    evbuffer* in = bufferevent_get_input(bev_);
    evbuffer_drain(in, evbuffer_get_length(in));
    if (async_ == Async::kLinger) return;
    shutdown(bufferevent_getfd(bev_), SHUT_WR);
    bufferevent_enable(bev_, EV_READ);
    async_ = Async::kLinger;
    if (!timer_) timer_ = evtimer_new(w_->base, &Conn::onTimer, this);
    timeval second{1, 0};
    evtimer_add(timer_, &second);
  }

  void processInput() {
    evbuffer* in = bufferevent_get_input(bev_);
    while (state_ == State::kHead || state_ == State::kBody) {
      if (state_ == State::kHead && !readHead(in)) return;
      if (!readBody(in)) return;
      dispatch();
    }
  }

  bool readHead(evbuffer* in) {
    char crlf[2];
    while (evbuffer_copyout(in, crlf, 2) == 2 && crlf[0] == '\r' && crlf[1] == '\n') {
      evbuffer_drain(in, 2);
    }
    size_t len = evbuffer_get_length(in);
    if (len == 0) return false;
    evbuffer_ptr p = evbuffer_search(in, "\r\n\r\n", 4, nullptr);
    if (p.pos < 0 || static_cast<size_t>(p.pos) + 4 > kMaxHeadBytes) {
      if (len > kMaxHeadBytes) reject(431);
      return false;
    }
    size_t head_len = p.pos + 4;
    const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, head_len));
    bool ok = demo::parseRequestHead({data, head_len}, req_);
    evbuffer_drain(in, head_len);
    if (!ok) {
      reject(400);
      return false;
    }
    const std::string& path = req_.path;
    if (path != "/__stats" && path != "/__reset") {
      std::lock_guard lock(w_->stats.mu);
      ++w_->stats.requests;
      ++w_->stats.by_path[path];
    }
    head_only_ = req_.isHead();
    bool echo = path == "/echo" && (req_.method == "POST" || req_.method == "PUT");
    bool buffer = req_.method == "POST" && (path.starts_with("/v1/") || path == "/__reset");
    mode_ = echo ? BodyMode::kEcho : buffer ? BodyMode::kBuffer : BodyMode::kDiscard;
    body_left_ = req_.chunked ? 0 : req_.content_length;
    chunk_ = Chunk::kSize;
    body_.clear();
    if (req_.expect_continue && req_.has_body)
      evbuffer_add_printf(out(), "HTTP/1.1 100 Continue\r\n\r\n");
    if (echo) {
      const std::string* type = req_.header("content-type");
      writeHead(200, type ? *type : "application/octet-stream",
                req_.chunked ? -1 : static_cast<int64_t>(req_.content_length));
    }
    state_ = State::kBody;
    return true;
  }

  // Consumes body bytes; true once the whole body (and trailers) is in.
  bool readBody(evbuffer* in) {
    if (!req_.has_body) return true;
    if (!req_.chunked) {
      takeBody(in, std::min<uint64_t>(body_left_, evbuffer_get_length(in)));
      return body_left_ == 0 && state_ == State::kBody;
    }
    while (state_ == State::kBody) {
      if (chunk_ == Chunk::kData) {
        takeBody(in, std::min<uint64_t>(body_left_, evbuffer_get_length(in)));
        if (body_left_ > 0) return false;
        chunk_ = Chunk::kDataEnd;
      } else if (chunk_ == Chunk::kDataEnd) {
        char crlf[2];
        if (evbuffer_copyout(in, crlf, 2) < 2) return false;
        if (crlf[0] != '\r' || crlf[1] != '\n') return reject(400);
        evbuffer_drain(in, 2);
        chunk_ = Chunk::kSize;
      } else {
        size_t n = 0;
        char* line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
        if (!line) return evbuffer_get_length(in) > 8192 ? reject(400) : false;
        std::string_view text(line, n);
        bool empty = n == 0;
        uint64_t size = 0;
        bool bad = false;
        if (chunk_ == Chunk::kSize) {
          text = demo::trim(text.substr(0, text.find(';')));
          bad = text.empty() || text.size() > 15;
          for (char c : text) {
            int v = demo::hexValue(c);
            bad |= v < 0;
            size = size * 16 + (v < 0 ? 0 : v);
          }
        }
        free(line);
        if (bad) return reject(400);
        if (chunk_ == Chunk::kTrailer) {
          if (empty) return true;
        } else if (size == 0) {
          chunk_ = Chunk::kTrailer;
        } else {
          body_left_ = size;
          chunk_ = Chunk::kData;
        }
      }
    }
    return false;
  }

  void takeBody(evbuffer* in, uint64_t n) {
    if (n == 0) return;
    body_left_ -= n;
    if (mode_ == BodyMode::kDiscard) {
      evbuffer_drain(in, n);
    } else if (mode_ == BodyMode::kBuffer) {
      if (body_.size() + n > kMaxBufferedBody) {
        reject(413);
        return;
      }
      size_t old = body_.size();
      body_.resize(old + n);
      evbuffer_remove(in, body_.data() + old, n);
    } else {  // echo: move the bytes straight to the output, re-framed
      if (framing_ == Framing::kChunked)
        evbuffer_add_printf(out(), "%llx\r\n", (unsigned long long)n);
      if (head_only_) {
        evbuffer_drain(in, n);
      } else {
        evbuffer_remove_buffer(in, out(), n);
      }
      if (framing_ == Framing::kChunked) evbuffer_add(out(), "\r\n", 2);
    }
  }

  bool reject(int status) {
    req_.keep_alive = false;
    req_.minor_version = 1;
    head_only_ = false;
    if (state_ == State::kBody && mode_ == BodyMode::kEcho) {  // response already started
      state_ = State::kClosing;
      return false;
    }
    respond(status, kJson, "{\"error\":\"" + std::string(demo::reasonPhrase(status)) + "\"}");
    return false;
  }

  // --- responses ------------------------------------------------------------

  // length >= 0: Content-Length; -1: streamed (chunked, or close-delimited
  // for HTTP/1.0). 204 and 304 never carry a body.
  void writeHead(int status, std::string_view type, int64_t length, std::string_view extra = {}) {
    bool no_body = status == 204 || status == 304;
    framing_ = (length >= 0 || no_body)  ? Framing::kLength
               : req_.minor_version >= 1 ? Framing::kChunked
                                         : Framing::kClose;
    close_after_ = !req_.keep_alive || peer_eof_ || framing_ == Framing::kClose;
    std::string head;
    head.reserve(160 + extra.size());
    head += "HTTP/1.1 " + std::to_string(status) + " " + demo::reasonPhrase(status) + "\r\n";
    if (!type.empty() && !no_body) head.append("Content-Type: ").append(type).append("\r\n");
    if (framing_ == Framing::kLength && !no_body) {
      head += "Content-Length: " + std::to_string(length) + "\r\n";
    }
    if (framing_ == Framing::kChunked) head += "Transfer-Encoding: chunked\r\n";
    if (close_after_) {
      head += "Connection: close\r\n";
    } else if (req_.minor_version == 0) {
      head += "Connection: keep-alive\r\n";
    }
    head += g_name_header;
    head += extra;
    head += "\r\n";
    evbuffer_add(out(), head.data(), head.size());
    logLine(status);
  }

  void logLine(int status) {
    if (!g_opt.quiet)
      fprintf(stderr, "demo: %s %s -> %d\n", req_.method.c_str(), req_.target.c_str(), status);
  }

  void writeBody(std::string_view data) {
    if (head_only_ || data.empty()) return;
    if (framing_ == Framing::kChunked) evbuffer_add_printf(out(), "%zx\r\n", data.size());
    evbuffer_add(out(), data.data(), data.size());
    if (framing_ == Framing::kChunked) evbuffer_add(out(), "\r\n", 2);
  }

  void endResponse(std::string_view trailers = {}) {
    if (framing_ == Framing::kChunked && !head_only_) {
      evbuffer_add(out(), "0\r\n", 3);
      if (!trailers.empty()) evbuffer_add(out(), trailers.data(), trailers.size());
      evbuffer_add(out(), "\r\n", 2);
    }
    async_ = Async::kNone;
    state_ = (close_after_ || peer_eof_) ? State::kClosing : State::kHead;
  }

  void respond(int status, std::string_view type, std::string_view body,
               std::string_view extra = {}) {
    bool no_body = status == 204 || status == 304;
    writeHead(status, type, no_body ? 0 : static_cast<int64_t>(body.size()), extra);
    if (!no_body) writeBody(body);
    endResponse();
  }

  void closeWithRaw(std::string_view raw) {
    evbuffer_add(out(), raw.data(), raw.size());
    logLine(0);
    state_ = State::kClosing;
  }

  void startTimer(uint64_t ms, Async kind) {
    async_ = kind;
    state_ = State::kAsync;
    if (!timer_) timer_ = evtimer_new(w_->base, &Conn::onTimer, this);
    event_base_update_cache_time(w_->base);  // time from now, not from the loop's wake-up
    timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    evtimer_add(timer_, &tv);
  }

  void tick() {
    if (async_ == Async::kReply) {
      respond(reply_status_, kJson, reply_);
    } else if (async_ == Async::kSse) {
      if (sse_sent_ < sse_events_) return sendEvent();
      writeBody("data: [DONE]\n\n");
      endResponse();
    } else if (async_ == Async::kSlow) {
      uint64_t n = std::min(slow_step_, slow_left_);
      if (!head_only_) addPattern(out(), slow_offset_, n);
      slow_offset_ += n;
      slow_left_ -= n;
      if (slow_left_ == 0) return endResponse();
      startTimer(interval_ms_, Async::kSlow);
    }
  }

  void sendEvent() {
    writeBody(demo::sseEvent(reply_, sse_sent_));
    ++sse_sent_;
    startTimer(interval_ms_, Async::kSse);  // the next event, or [DONE] after the last
  }

  // --- endpoints --------------------------------------------------------------

  void dispatch() {
    const std::string& p = req_.path;
    const std::string& m = req_.method;
    std::string_view q = req_.query;
    bool get = m == "GET" || m == "HEAD";
    if (mode_ == BodyMode::kEcho) return endResponse();
    if (get && p.starts_with("/bytes/")) return bytes(p.substr(7));
    if (get && (p == "/" || p == "/healthz")) return respond(200, kJson, "{\"status\":\"ok\"}");
    if (get && p == "/v1/models")  // a typical cacheable agent API answer
      return respond(200, kJson, "{\"object\":\"list\",\"data\":[{\"id\":\"demo-agent\"}]}");
    if (m == "POST" && p == "/v1/completions") return completions();
    if (m == "POST" && (p == "/v1/embed" || p == "/v1/embed/batch")) return embed(p.size() > 9);
    if (get && p.starts_with("/chunked/")) return chunked(p.substr(9));
    uint64_t n = 0;
    if (get && p.starts_with("/delay/") && demo::parseUint(p.substr(7), n)) {
      reply_status_ = 200;
      reply_ = "{\"delayed_ms\":" + std::to_string(n) + "}";
      return startTimer(n, Async::kReply);
    }
    if (p.starts_with("/status/")) {
      if (!demo::parseUint(p.substr(8), n) || n < 200 || n > 599) return respond(400, kJson, "{}");
      return respond(static_cast<int>(n), kJson, "{\"status\":" + std::to_string(n) + "}");
    }
    if (get && p == "/headers") return respond(200, kJson, demo::headersJson(req_, peer_));
    if (get && p == "/response-headers") return responseHeaders();
    if (get && p == "/malformed")
      return closeWithRaw(demo::malformedResponse(demo::queryParam(q, "kind")));
    if (get && p == "/close-early") {
      return closeWithRaw(
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n" +
          g_pattern.substr(0, 10));
    }
    if (get && p == "/slow-body") {
      slow_left_ = demo::queryUint(q, "bytes", 1024);
      uint64_t rate = std::max<uint64_t>(1, demo::queryUint(q, "rate", 1024));
      interval_ms_ = rate >= 20 ? 50 : 1000 / rate;
      slow_step_ = rate >= 20 ? rate / 20 : 1;
      slow_offset_ = 0;
      writeHead(200, "application/octet-stream", static_cast<int64_t>(slow_left_));
      if (slow_left_ == 0) return endResponse();
      return startTimer(interval_ms_, Async::kSlow);
    }
    if (get && p == "/__stats") return respond(200, kJson, demo::statsJson(allStats()));
    if (m == "POST" && p == "/__reset") {
      demo::resetStats(allStats());
      return respond(200, kJson, "{\"reset\":true}");
    }
    if (p == "/echo")
      return respond(405, kJson, "{\"error\":\"method_not_allowed\"}", "Allow: POST, PUT\r\n");
    std::string body = "{\"error\":\"not_found\",\"path\":";
    demo::appendJsonString(body, p);
    respond(404, kJson, body + "}");
  }

  void bytes(std::string_view arg) {
    uint64_t n = 0;
    if (!demo::parseUint(arg, n) || n > (64ull << 30)) return respond(400, kJson, "{}");
    if (!head_only_ && req_.keep_alive && req_.minor_version == 1 && !peer_eof_ &&
        req_.query.empty()) {
      auto it = g_bytes_responses.find(n);
      if (it != g_bytes_responses.end()) {
        evbuffer_add(out(), it->second.data(), it->second.size());
        logLine(200);
        state_ = State::kHead;
        return;
      }
    }
    std::string type = demo::percentDecode(demo::queryParam(req_.query, "type"));
    writeHead(200, type.empty() ? "application/octet-stream" : type, static_cast<int64_t>(n));
    if (!head_only_) addPattern(out(), 0, n);
    endResponse();
  }

  void chunked(std::string_view arg) {
    uint64_t n = 0;
    if (!demo::parseUint(arg, n)) return respond(400, kJson, "{}");
    uint64_t k = std::max<uint64_t>(1, demo::queryUint(req_.query, "chunk", 1024));
    const std::string* te = req_.header("te");
    bool trailers = te && demo::hasToken(*te, "trailers");
    std::string type = demo::percentDecode(demo::queryParam(req_.query, "type"));
    writeHead(200, type.empty() ? "application/octet-stream" : type, -1,
              trailers ? "Trailer: x-checksum\r\n" : "");
    for (uint64_t off = 0; off < n && !head_only_; off += k) {
      uint64_t len = std::min(k, n - off);
      if (framing_ == Framing::kChunked)
        evbuffer_add_printf(out(), "%llx\r\n", (unsigned long long)len);
      addPattern(out(), off, len);
      if (framing_ == Framing::kChunked) evbuffer_add(out(), "\r\n", 2);
    }
    endResponse(trailers ? "x-checksum: " + std::to_string(demo::patternSum(n)) + "\r\n" : "");
  }

  void completions() {
    reply_ = demo::completionId(body_);  // the id, while streaming
    uint64_t seq = ++g_seq;
    if (demo::queryParam(req_.query, "stream") == "1" || demo::jsonSaysStream(body_)) {
      sse_events_ = demo::queryUint(req_.query, "events", 5);
      interval_ms_ = demo::queryUint(req_.query, "interval_ms", 20);
      sse_sent_ = 0;
      // ?cache_control=... replaces no-cache (cache tests stream cacheable answers).
      std::string cc = demo::percentDecode(demo::queryParam(req_.query, "cache_control"));
      if (cc.find_first_of("\r\n") != std::string::npos) cc.clear();
      writeHead(200, "text/event-stream", -1,
                "Cache-Control: " + (cc.empty() ? std::string("no-cache") : cc) + "\r\n");
      if (sse_events_ > 0) return sendEvent();
      return startTimer(0, Async::kSse);
    }
    std::string json = demo::completionJson(reply_, seq, body_.size());
    uint64_t delay = demo::queryUint(req_.query, "delay_ms", 0);
    if (delay == 0) return respond(200, kJson, json);
    reply_status_ = 200;
    reply_ = std::move(json);
    startTimer(delay, Async::kReply);
  }

  void embed(bool batch) {
    std::string json;
    if (!demo::embedJson(body_, batch, json))
      return respond(400, kJson, "{\"error\":\"not_an_array\"}");
    respond(200, kJson, json);
  }

  void responseHeaders() {
    std::string lines, json, etag;
    if (!demo::responseHeaders(req_.query, lines, json, etag)) return respond(400, kJson, "{}");
    const std::string* inm = req_.header("if-none-match");
    if (!etag.empty() && inm && (*inm == etag || *inm == "*")) return respond(304, "", "", lines);
    respond(200, kJson, json, lines);
  }

  Worker* w_;
  bufferevent* bev_ = nullptr;
  event* timer_ = nullptr;
  std::string peer_;
  Request req_;
  State state_ = State::kHead;
  BodyMode mode_ = BodyMode::kDiscard;
  Chunk chunk_ = Chunk::kSize;
  Framing framing_ = Framing::kLength;
  Async async_ = Async::kNone;
  uint64_t body_left_ = 0;
  std::string body_;
  bool head_only_ = false;
  bool close_after_ = false;
  bool peer_eof_ = false;
  int reply_status_ = 200;
  std::string reply_;  // delayed reply body, or the completion id while streaming
  uint64_t interval_ms_ = 0, sse_events_ = 0, sse_sent_ = 0;
  uint64_t slow_left_ = 0, slow_step_ = 1, slow_offset_ = 0;
};

void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int, void* arg) {
  new Conn(static_cast<Worker*>(arg), fd, addr);  // owns itself; deleted on close
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--listen" && has_value) {
      g_opt.listen = argv[++i];
    } else if (a == "--threads" && has_value) {
      g_opt.threads = std::atoi(argv[++i]);
    } else if (a == "--name" && has_value) {
      g_opt.name = argv[++i];
    } else if (a == "--quiet") {
      g_opt.quiet = true;
    } else {
      std::fputs(demo::kUsage, stdout);
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (g_opt.threads < 1 || g_opt.threads > 256) {
    std::fprintf(stderr, "--threads must be 1..256\n");
    return 2;
  }
  sockaddr_storage ss{};
  int sslen = sizeof ss;
  std::string listen =
      g_opt.listen.find(':') == std::string::npos ? "127.0.0.1:" + g_opt.listen : g_opt.listen;
  // libevent's parser refuses port 0: parse with port 1, then clear it.
  bool any_port = listen.ends_with(":0");
  if (any_port) listen.back() = '1';
  if (evutil_parse_sockaddr_port(listen.c_str(), reinterpret_cast<sockaddr*>(&ss), &sslen) != 0) {
    std::fprintf(stderr, "bad --listen address: %s\n", g_opt.listen.c_str());
    return 2;
  }
  if (any_port) reinterpret_cast<sockaddr_in*>(&ss)->sin_port = 0;  // same offset in sockaddr_in6

  signal(SIGPIPE, SIG_IGN);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // inherited by the workers; main sigwaits

  demo::buildPattern();
  if (!g_opt.name.empty()) g_name_header = "x-upstream-name: " + g_opt.name + "\r\n";
  for (uint64_t n : {0, 1, 2, 10, 16, 64, 100, 128, 256, 512, 1000, 1024, 2048, 4096, 8192, 10000,
                     16384, 32768, 65536}) {
    std::string r =
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
        std::to_string(n) + "\r\n" + g_name_header + "\r\n";
    r.append(g_pattern, 0, n);
    g_bytes_responses.emplace(n, std::move(r));
  }

  unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE;
  if (g_opt.threads > 1) flags |= LEV_OPT_REUSEABLE_PORT;
  for (int i = 0; i < g_opt.threads; ++i) {
    auto w = std::make_unique<Worker>();
    // A precise clock: the default coarse one lets /delay/300 answer after 298 ms.
    event_config* cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    w->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    w->listener = evconnlistener_new_bind(w->base, onAccept, w.get(), flags, 1024,
                                          reinterpret_cast<sockaddr*>(&ss), sslen);
    if (!w->base || !w->listener) {
      std::fprintf(stderr, "cannot listen on %s: %s\n", g_opt.listen.c_str(), strerror(errno));
      return 1;
    }
    // With port 0 the first bind picks the port; the other workers share it.
    socklen_t len = sizeof ss;
    getsockname(evconnlistener_get_fd(w->listener), reinterpret_cast<sockaddr*>(&ss), &len);
    g_stats.push_back(&w->stats);
    g_workers.push_back(std::move(w));
  }
  char host[64] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    host[0] = '[';
    evutil_inet_ntop(AF_INET6, &in6->sin6_addr, host + 1, sizeof host - 2);
    std::strcat(host, "]");
    port = ntohs(in6->sin6_port);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    evutil_inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  }

  std::vector<std::thread> threads;
  for (auto& w : g_workers) threads.emplace_back([base = w->base] { event_base_dispatch(base); });
  std::printf("listening on %s:%u\n", host, port);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  std::fflush(stderr);
  _exit(0);  // workers hold no state worth a clean shutdown
}
