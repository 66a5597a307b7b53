#include "proxy/admin/admin_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "proxy/admin/auth.h"
#include "proxy/common/json.h"
#include "proxy/common/log.h"
#include "proxy/stats/prometheus.h"

namespace courier::admin {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kPrometheus = "text/plain; version=0.0.4; charset=utf-8";

// Bounds for a listener that only operators and Prometheus talk to.
constexpr int kTimeoutSeconds = 10;
constexpr ev_ssize_t kMaxHeaderBytes = 16 * 1024;
constexpr ev_ssize_t kMaxBodyBytes = 1 << 20;  // room for a purge list later

enum class Route { Healthz, Ready, Config, Metrics, Stats, Reload, CachePurge };

struct Endpoint {
  std::string_view path;
  Route route;
  bool post;  // POST (mutating, token-guarded) rather than GET/HEAD
};

constexpr Endpoint kEndpoints[] = {
    {"/healthz", Route::Healthz, false},       {"/ready", Route::Ready, false},
    {"/config", Route::Config, false},         {"/metrics", Route::Metrics, false},
    {"/stats", Route::Stats, false},           {"/reload", Route::Reload, true},
    {"/cache/purge", Route::CachePurge, true},
};

void reply(evhttp_request* req, int code, std::string_view content_type, std::string_view body) {
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", std::string(content_type).c_str());
  evhttp_add_header(headers, "Cache-Control", "no-store");
  evbuffer* buf = evbuffer_new();
  evbuffer_add(buf, body.data(), body.size());
  evhttp_send_reply(req, code, nullptr, buf);
  evbuffer_free(buf);
}

void replyError(evhttp_request* req, int code, std::string_view error, std::string_view message) {
  std::string body = "{\"error\":";
  json::appendString(body, error);
  body += ",\"message\":";
  json::appendString(body, message);
  body += "}\n";
  reply(req, code, kJson, body);
}

void replyStatus(evhttp_request* req, int code, std::string_view status) {
  std::string body = "{\"status\":";
  json::appendString(body, status);
  body += "}\n";
  reply(req, code, kJson, body);
}

uint16_t boundPort(evutil_socket_t fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

}  // namespace

AdminServer::AdminServer(event_base* base, const config::SocketAddress& listen,
                         AdminContext& context)
    : base_(base), listen_(listen), context_(context) {}

AdminServer::~AdminServer() {
  stop();
}

Result<uint16_t> AdminServer::start() {
  if (http_ != nullptr) return port_;
  // Our own listener (rather than evhttp_bind_socket) binds the resolved
  // sockaddr from the config as is and reports errno on failure.
  evconnlistener* listener = evconnlistener_new_bind(
      base_, nullptr, nullptr, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
      -1, reinterpret_cast<const sockaddr*>(&listen_.addr), static_cast<int>(listen_.len));
  if (listener == nullptr) {
    int err = errno;
    return Result<uint16_t>::failure(
        {err, "admin listener " + listen_.text + ": " + std::strerror(err)});
  }
  http_ = evhttp_new(base_);
  if (http_ == nullptr || evhttp_bind_listener(http_, listener) == nullptr) {
    evconnlistener_free(listener);
    if (http_ != nullptr) evhttp_free(http_);
    http_ = nullptr;
    return Result<uint16_t>::failure(
        {ENOMEM, "admin listener " + listen_.text + ": evhttp setup failed"});
  }
  // Accept every method so that we, not evhttp, answer the wrong ones (405 JSON).
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                        EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
  evhttp_set_timeout(http_, kTimeoutSeconds);
  evhttp_set_max_headers_size(http_, kMaxHeaderBytes);
  evhttp_set_max_body_size(http_, kMaxBodyBytes);
  evhttp_set_gencb(http_, &AdminServer::onRequest, this);
  port_ = boundPort(evconnlistener_get_fd(listener));
  LOG_INFO("admin listening on %s (port %u)", listen_.text.c_str(), static_cast<unsigned>(port_));
  return port_;
}

void AdminServer::stop() {
  if (http_ == nullptr) return;
  evhttp_free(http_);  // frees the bound listener and open connections too
  http_ = nullptr;
}

void AdminServer::onRequest(evhttp_request* req, void* self) {
  static_cast<AdminServer*>(self)->handle(req);
}

void AdminServer::handle(evhttp_request* req) {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* raw_path = uri ? evhttp_uri_get_path(uri) : nullptr;
  std::string_view path = raw_path ? raw_path : "";

  const Endpoint* endpoint = nullptr;
  for (const Endpoint& e : kEndpoints)
    if (e.path == path) endpoint = &e;
  if (endpoint == nullptr) {
    replyError(req, 404, "not_found", "no admin endpoint at this path");
    return;
  }

  evhttp_cmd_type method = evhttp_request_get_command(req);
  bool method_ok = endpoint->post ? method == EVHTTP_REQ_POST
                                  : (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD);
  if (!method_ok) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                      endpoint->post ? "POST" : "GET, HEAD");
    replyError(req, 405, "method_not_allowed", endpoint->post ? "use POST" : "use GET or HEAD");
    return;
  }

  if (endpoint->post) {
    std::string token = context_.adminToken();
    if (!token.empty()) {
      const char* auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
      if (auth == nullptr || !bearerTokenMatches(auth, token)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          "Bearer realm=\"courier-admin\"");
        replyError(req, 401, "unauthorized", "a valid bearer token is required");
        return;
      }
    }
  }

  switch (endpoint->route) {
    case Route::Healthz:
      replyStatus(req, 200, "ok");
      return;
    case Route::Ready:
      switch (context_.readiness()) {
        case Readiness::Ready:
          replyStatus(req, 200, "ready");
          return;
        case Readiness::Starting:
          replyStatus(req, 503, "starting");
          return;
        case Readiness::Draining:
          replyStatus(req, 503, "draining");
          return;
      }
      return;
    case Route::Config:
      reply(req, 200, kJson, context_.configJson());
      return;
    case Route::Metrics: {
      std::string body;
      body.reserve(64 * 1024);
      stats::renderPrometheus(context_.stats(), context_.buildInfo(), body);
      reply(req, 200, kPrometheus, body);
      return;
    }
    case Route::Stats:
      reply(req, 200, kJson, stats_json_.render(context_.stats()));
      return;
    case Route::Reload: {
      ReloadOutcome outcome = context_.reload();
      if (outcome.ok) {
        reply(req, 200, kJson, "{\"result\":\"ok\"}\n");
      } else {
        std::string body = "{\"result\":\"error\",\"message\":";
        json::appendString(body, outcome.message);
        body += "}\n";
        reply(req, 400, kJson, body);
      }
      return;
    }
    case Route::CachePurge:
      purgeCache(req);
      return;
  }
}

void AdminServer::purgeCache(evhttp_request* req) {
  CachePurger* purger = context_.cachePurger();
  if (!purger) {
    replyError(req, 404, "no_cache", "no route has a cache");
    return;
  }
  evbuffer* in = evhttp_request_get_input_buffer(req);
  std::string body(evbuffer_get_length(in), '\0');
  evbuffer_copyout(in, body.data(), body.size());
  // The reply may come after Redis answers; if the admin client hangs up
  // first, evhttp frees the request, so the pending reply is disarmed.
  auto pending = std::make_shared<evhttp_request*>(req);
  evhttp_connection* conn = evhttp_request_get_connection(req);
  auto* disarm = new std::weak_ptr<evhttp_request*>(pending);
  evhttp_connection_set_closecb(
      conn,
      [](evhttp_connection*, void* arg) {
        auto* weak = static_cast<std::weak_ptr<evhttp_request*>*>(arg);
        if (auto p = weak->lock()) *p = nullptr;
        delete weak;
      },
      disarm);
  purger->purge(body, [pending, conn, disarm](int status, std::string json) {
    if (*pending == nullptr) return;  // the client left (and `disarm` is gone)
    evhttp_request* r = *pending;
    *pending = nullptr;
    evhttp_connection_set_closecb(conn, nullptr, nullptr);
    delete disarm;
    reply(r, status, kJson, json);
  });
}

}  // namespace courier::admin
