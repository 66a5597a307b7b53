// Fuzzes the downstream HTTP/2 path: an nghttp2 server session with
// courier's callbacks, ServerStream and ActiveStream (a real WorkerContext,
// a real socketpair), so frames of any shape reach header building, flow
// control, flood accounting, local replies and stream teardown. The input
// follows the client preface and arrives in pieces whose sizes come from
// the input. Requests find no route (404), so nothing leaves the process.
#include <event2/event.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "config/loader.h"
#include "proxy/event/dispatcher.h"
#include "proxy/event/stream_socket.h"
#include "proxy/http/http2_server_connection.h"
#include "proxy/http/stream_idle_sweeper.h"
#include "proxy/server/worker_context.h"
#include "proxy/stats/stats_store.h"

using namespace courier;

namespace {

constexpr std::string_view kConfig = R"toml(
[server]
workers = 1
max_header_bytes = 4096
http2_max_concurrent_streams = 8
[clusters.none]
endpoints = ["127.0.0.1:9"]
[[routes]]
name = "unreachable"
match = { path = "/never/matches/a/fuzzed/request", methods = ["PATCH"] }
cluster = "none"
)toml";

struct Env {
  courier::event::Dispatcher dispatcher;
  http::StreamIdleSweeper sweeper{dispatcher.base()};
  WorkerContext ctx;
  std::shared_ptr<const config::Config> config;

  Env() {
    auto loaded = config::loadConfigString(kConfig, "fuzz.toml", {});
    if (!loaded.ok()) __builtin_trap();
    config = *loaded;
    std::vector<std::string> routes, clusters;
    for (const auto& r : config->routes) routes.push_back(r.name);
    for (const auto& c : config->clusters) clusters.push_back(c.name);
    auto store = std::make_shared<stats::StatsStore>(routes, clusters, 1);
    stats::WorkerStats& shard = store->shard(0);
    size_t no_route = store->noRouteIndex();
    ctx.dispatcher = &dispatcher;
    ctx.generation = std::make_shared<Generation>(dispatcher, config, std::move(store), shard,
                                                  no_route, nullptr);
    ctx.idle_sweeper = &sweeper;
  }
};

struct Owner : http2::ServerConnectionOwner {
  bool closed = false;
  void closeAfterFlush() override { closed = true; }
  void closeNow() override { closed = true; }
};

struct QuietSocket : courier::event::StreamSocketHandler {
  void onSocketReadable() override {}
  void onSocketClosed(const std::string&) override {}
};

void drain(int fd) {
  char buf[65536];
  while (read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Env* env = new Env();  // one worker for the whole run, as in courier
  if (size < 1) return 0;
  size_t piece = 1 + data[0] % 128;
  data += 1;
  size -= 1;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) return 0;
  {
    QuietSocket handler;
    courier::event::StreamSocket socket(env->dispatcher, fds[0], &handler);
    Owner owner;
    auto connection = std::make_unique<http2::ServerConnection>(env->ctx, env->config->server,
                                                                socket, owner, "127.0.0.1");
    static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    evbuffer_add(socket.input(), kPreface.data(), kPreface.size());
    while (size > 0 && !owner.closed) {
      size_t n = std::min(piece, size);
      evbuffer_add(socket.input(), data, n);
      data += n;
      size -= n;
      connection->onRead();
      event_base_loop(env->dispatcher.base(), EVLOOP_NONBLOCK);
      drain(fds[1]);
    }
    connection->shutdown();
    connection.reset();
    env->dispatcher.runDeferred();
  }
  env->dispatcher.runDeferred();
  close(fds[1]);
  return 0;
}
