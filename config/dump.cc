#include "config/dump.h"

#include <re2/re2.h>

#include "config/address.h"
#include "config/json_writer.h"
#include "config/units.h"

namespace courier::config {
namespace {

void writeAddress(JsonWriter& w, const SocketAddress& a) {
  w.beginObject();
  w.key("address").string(a.text);
  w.key("resolved").string(formatResolved(a));
  w.endObject();
}

void writeDuration(JsonWriter& w, std::string_view key, Duration d) {
  w.key(key).string(formatDuration(d));
}

void writeServer(JsonWriter& w, const ServerConfig& s) {
  w.beginObject();
  w.key("listen");
  writeAddress(w, s.listen);
  w.key("admin");
  writeAddress(w, s.admin);
  w.key("workers").integer(s.workers);
  w.key("max_connections").integer(s.max_connections);
  writeDuration(w, "header_timeout", s.header_timeout);
  writeDuration(w, "idle_timeout", s.idle_timeout);
  w.key("max_header_bytes").integer(s.max_header_bytes);
  w.key("max_body_bytes").integer(s.max_body_bytes);
  writeDuration(w, "drain_timeout", s.drain_timeout);
  writeDuration(w, "stream_idle_timeout", s.stream_idle_timeout);
  w.key("http2_max_concurrent_streams").integer(s.http2_max_concurrent_streams);
  w.key("http2_stream_window").integer(s.http2_stream_window);
  std::vector<std::string> trusted;
  for (const Cidr& c : s.trusted_proxies) trusted.push_back(c.text);
  w.key("trusted_proxies").stringArray(trusted);
  w.key("admin_token_file");
  if (s.admin_token_file.empty())
    w.null();
  else
    w.string(s.admin_token_file);
  w.key("access_log").string(s.access_log.enabled ? "stdout" : "off");
  w.key("access_log_sample").number(s.access_log.sample);
  w.endObject();
}

// The password never leaves the process: /config is often pasted into tickets.
void writeRedis(JsonWriter& w, const std::optional<RedisConfig>& r) {
  if (!r) {
    w.null();
    return;
  }
  w.beginObject();
  w.key("host").string(r->host);
  w.key("port").integer(r->port);
  w.key("db").integer(r->db);
  w.key("username").string(r->username);
  w.key("password").string(r->password.empty() ? "" : "(set)");
  writeDuration(w, "timeout", r->timeout);
  writeDuration(w, "connect_timeout", r->connect_timeout);
  w.endObject();
}

void writeCluster(JsonWriter& w, const ClusterConfig& c) {
  w.beginObject();
  w.key("name").string(c.name);
  w.key("endpoints").beginArray();
  for (const auto& e : c.endpoints) writeAddress(w, e);
  w.endArray();
  w.key("protocol").string(c.protocol == UpstreamProtocol::H2c ? "h2c" : "http1");
  w.key("lb").string(c.lb == LoadBalancerPolicy::LeastRequest ? "least_request" : "round_robin");
  writeDuration(w, "connect_timeout", c.connect_timeout);
  writeDuration(w, "idle_timeout", c.idle_timeout);
  w.key("max_idle_per_endpoint").integer(c.max_idle_per_endpoint);
  w.endObject();
}

void writeOptional(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  w.key(key);
  if (v)
    w.string(*v);
  else
    w.null();
}

void writeMatch(JsonWriter& w, const RouteMatch& m) {
  w.beginObject();
  w.key("hosts").stringArray(m.hosts);
  writeOptional(w, "path", m.path);
  writeOptional(w, "prefix", m.prefix);
  w.key("regex");
  if (m.regex)
    w.string(m.regex_text);
  else
    w.null();
  w.key("methods").stringArray(m.methods);
  w.key("headers").beginArray();
  for (const auto& h : m.headers) {
    w.beginObject();
    w.key("name").string(h.name);
    if (h.exact) w.key("exact").string(*h.exact);
    if (h.regex) w.key("regex").string(h.regex->pattern());
    w.key("present").boolean(h.present);
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

void writeRoute(JsonWriter& w, const RouteConfig& r) {
  w.beginObject();
  w.key("name").string(r.name);
  w.key("match");
  writeMatch(w, r.match);
  w.key("cluster").string(r.cluster);
  writeDuration(w, "timeout", r.timeout);
  // null: [server] stream_idle_timeout applies.
  if (r.stream_idle_timeout)
    writeDuration(w, "stream_idle_timeout", *r.stream_idle_timeout);
  else
    w.key("stream_idle_timeout").null();
  writeOptional(w, "prefix_rewrite", r.prefix_rewrite);
  writeOptional(w, "host_rewrite", r.host_rewrite);
  // An array, in chain order: the order is part of the effective config.
  w.key("filters").beginArray();
  for (const auto& f : r.filters) {
    w.beginObject();
    w.key("name").string(f->name());
    w.key("config").raw(f->renderJson());
    w.endObject();
  }
  w.endArray();
  w.endObject();
}

}  // namespace

std::string renderConfigJson(const Config& config) {
  JsonWriter w;
  w.beginObject();
  w.key("source_path").string(config.source_path);
  w.key("server");
  writeServer(w, config.server);
  w.key("redis");
  writeRedis(w, config.redis);
  w.key("cache").beginObject();
  w.key("memory_bytes").integer(config.cache.memory_bytes);
  w.key("max_object_bytes").integer(config.cache.max_object_bytes);
  w.endObject();
  w.key("clusters").beginArray();
  for (const auto& c : config.clusters) writeCluster(w, c);
  w.endArray();
  w.key("routes").beginArray();
  for (const auto& r : config.routes) writeRoute(w, r);
  w.endArray();
  w.endObject();
  return w.take();
}

}  // namespace courier::config
