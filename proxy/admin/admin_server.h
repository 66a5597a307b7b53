// AdminServer: the admin HTTP listener (SPEC §4 "Admin listener"), on the
// main thread's event_base, using libevent's evhttp: the admin port is not
// the data path, and a well-kept HTTP server beats a second hand-written one.
//
//   GET  /healthz      200 {"status":"ok"}
//   GET  /ready        200 {"status":"ready"} | 503 {"status":"starting"|"draining"}
//   GET  /config       200 application/json (AdminContext::configJson)
//   GET  /metrics      200 text/plain; version=0.0.4 (Prometheus exposition)
//   GET  /stats        200 application/json (stats::StatsJsonRenderer)
//   POST /reload       200 {"result":"ok"} | 400 {"result":"error","message":...}
//   POST /cache/purge  501 {"error":"not_implemented",...} until the cache lands
// GET endpoints answer HEAD too. Any other path: 404; a known path with
// another method: 405 with Allow. POSTs need `Authorization: Bearer <token>`
// when AdminContext::adminToken() is not empty: 401 otherwise. Error bodies
// are {"error":"<code>","message":"..."}. Every reply has Cache-Control: no-store.
//
// Threads: construct, start() and destroy on the thread that runs `base`.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "proxy/admin/admin_context.h"
#include "proxy/common/result.h"
#include "proxy/stats/stats_json.h"

struct event_base;
struct evhttp;
struct evhttp_request;

namespace courier::admin {

class AdminServer {
 public:
  AdminServer(event_base* base, const config::SocketAddress& listen, AdminContext& context);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and listens. Returns the bound port (useful with port 0), or an
  // error naming the address, with `code` = errno (e.g. EADDRINUSE).
  Result<uint16_t> start();
  // The bound port; 0 before start().
  uint16_t port() const { return port_; }
  // Closes the listener and every admin connection. Idempotent.
  void stop();

 private:
  static void onRequest(evhttp_request* req, void* self);
  void handle(evhttp_request* req);
  void purgeCache(evhttp_request* req);

  event_base* base_;
  config::SocketAddress listen_;
  AdminContext& context_;
  evhttp* http_ = nullptr;
  uint16_t port_ = 0;
  stats::StatsJsonRenderer stats_json_;  // remembers the last /stats window
};

}  // namespace courier::admin
