// Response bodies of the demo upstream (tests/support/demo_upstream.cc):
// pure builders, no I/O except addPattern. Header-only for the reason given
// in demo_upstream_http.h.
#pragma once

#include <event2/buffer.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "demo_upstream_http.h"

namespace demo {

constexpr std::string_view kJson = "application/json";

// Bodies of /bytes, /chunked and /slow-body: byte i is 'a' + i % 26, so a
// test can check any slice. kPatternBytes is a whole number of periods.
constexpr uint64_t kPeriod = 26;
constexpr uint64_t kPatternBytes = kPeriod * 40330;  // ~1 MiB
inline std::string g_pattern;

inline void buildPattern() {
  g_pattern.resize(kPatternBytes);
  for (uint64_t i = 0; i < kPatternBytes; ++i) g_pattern[i] = static_cast<char>('a' + i % kPeriod);
}

// Adds `n` pattern bytes starting at body offset `offset`; large pieces are
// referenced, not copied.
inline void addPattern(evbuffer* out, uint64_t offset, uint64_t n) {
  while (n > 0) {
    uint64_t start = offset % kPeriod;
    uint64_t take = std::min<uint64_t>(n, kPatternBytes - start);
    if (take >= 16384) {
      evbuffer_add_reference(out, g_pattern.data() + start, take, nullptr, nullptr);
    } else {
      evbuffer_add(out, g_pattern.data() + start, take);
    }
    offset += take;
    n -= take;
  }
}

// Sum of the first n pattern bytes (the x-checksum trailer of /chunked).
inline uint64_t patternSum(uint64_t n) {
  const uint64_t period_sum = 26 * 'a' + 325;  // 'a' + ... + 'z'
  uint64_t sum = (n / kPeriod) * period_sum;
  for (uint64_t i = 0; i < n % kPeriod; ++i) sum += 'a' + i;
  return sum;
}

// Per-worker request counters behind GET /__stats.
struct Stats {
  std::mutex mu;
  uint64_t requests = 0;
  uint64_t connections = 0;
  int64_t active = 0;
  std::unordered_map<std::string, uint64_t> by_path;
};

inline std::string statsJson(const std::vector<Stats*>& all) {
  uint64_t requests = 0, connections = 0;
  int64_t active = 0;
  std::map<std::string, uint64_t> by_path;
  for (Stats* s : all) {
    std::lock_guard lock(s->mu);
    requests += s->requests;
    connections += s->connections;
    active += s->active;
    for (const auto& [k, v] : s->by_path) by_path[k] += v;
  }
  std::string json = "{\"requests\":" + std::to_string(requests) +
                     ",\"connections\":" + std::to_string(connections) +
                     ",\"active_connections\":" + std::to_string(active) + ",\"by_path\":{";
  bool first = true;
  for (const auto& [k, v] : by_path) {
    if (!first) json += ",";
    first = false;
    appendJsonString(json, k);
    json += ":" + std::to_string(v);
  }
  return json + "}}";
}

inline void resetStats(const std::vector<Stats*>& all) {
  for (Stats* s : all) {
    std::lock_guard lock(s->mu);
    s->requests = s->connections = 0;
    s->by_path.clear();
  }
}

// FNV-1a of the body: the same prompt gets the same id.
inline std::string completionId(std::string_view body) {
  uint64_t hash = 1469598103934665603ull;
  for (char c : body) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  char id[32];
  std::snprintf(id, sizeof id, "cmpl-%016llx", static_cast<unsigned long long>(hash));
  return id;
}

// `seq` counts completions served by this process, so a test can tell a
// cached answer (old seq) from a fresh one.
inline std::string completionJson(const std::string& id, uint64_t seq, uint64_t body_bytes) {
  uint64_t prompt = body_bytes / 4;
  return "{\"id\":\"" + id + "\",\"object\":\"text_completion\",\"model\":\"demo-agent\",\"seq\":" +
         std::to_string(seq) + ",\"request_bytes\":" + std::to_string(body_bytes) +
         ",\"choices\":[{\"index\":0,\"text\":\"This is a fake completion from the demo "
         "upstream.\",\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":" +
         std::to_string(prompt) +
         ",\"completion_tokens\":9,\"total_tokens\":" + std::to_string(prompt + 9) + "}}";
}

inline std::string sseEvent(const std::string& id, uint64_t index) {
  std::string i = std::to_string(index);
  return "data: {\"id\":\"" + id + "\",\"object\":\"text_completion.chunk\",\"index\":" + i +
         ",\"text\":\"token-" + i + " \"}\n\n";
}

// POST /v1/embed answers {"input":<body>,"embedding":[...]}; /v1/embed/batch
// takes a JSON array and answers the array of what /v1/embed would answer
// for each element. False if a batch body is not a JSON array.
inline bool embedJson(std::string_view body, bool batch, std::string& out) {
  auto one = [](std::string_view input) {
    std::string s = "{\"input\":";
    s.append(input.empty() ? "null" : input);
    return s + ",\"embedding\":[" + std::to_string(input.size()) + ",0.25,0.5]}";
  };
  if (!batch) {
    out = one(body);
    return true;
  }
  std::vector<std::string_view> items;
  if (!splitJsonArray(body, items)) return false;
  out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + one(items[i]);
  out += "]";
  return true;
}

// GET /headers: the request as the origin saw it; repeated fields are joined
// with ", ".
inline std::string headersJson(const Request& req, const std::string& peer) {
  std::string json = "{\"method\":";
  appendJsonString(json, req.method);
  json += ",\"path\":";
  appendJsonString(json, req.path);
  json += ",\"query\":";
  appendJsonString(json, req.query);
  json += req.minor_version ? ",\"version\":\"HTTP/1.1\",\"peer\":"
                            : ",\"version\":\"HTTP/1.0\",\"peer\":";
  appendJsonString(json, peer);
  json += ",\"headers\":{";
  std::map<std::string, std::string> merged;
  for (const auto& [k, v] : req.headers) {
    auto [it, fresh] = merged.emplace(k, v);
    if (!fresh) it->second += ", " + v;
  }
  bool first = true;
  for (const auto& [k, v] : merged) {
    if (!first) json += ",";
    first = false;
    appendJsonString(json, k);
    json += ":";
    appendJsonString(json, v);
  }
  return json + "}}";
}

// GET /response-headers?Name=Value&...: the header lines to send (values
// percent-decoded), a JSON body listing them, and the ETag if one was asked
// for. False if a name or value cannot be a header.
inline bool responseHeaders(std::string_view query, std::string& lines, std::string& json,
                            std::string& etag) {
  bool bad = false;
  json = "{";
  forEachQueryParam(query, [&](std::string_view k, std::string_view v) {
    std::string name = percentDecode(k), value = percentDecode(v);
    bad |= name.empty() || name.find_first_of("\r\n: ") != std::string::npos ||
           value.find_first_of("\r\n") != std::string::npos;
    if (iequals(name, "etag")) etag = value;
    lines += name + ": " + value + "\r\n";
    if (json.size() > 1) json += ",";
    appendJsonString(json, name);
    json += ":";
    appendJsonString(json, value);
  });
  json += "}";
  return !bad;
}

// GET /malformed?kind=...: a broken response; the connection closes after it.
inline std::string_view malformedResponse(std::string_view kind) {
  if (kind == "header") return "HTTP/1.1 200 OK\r\nbad header line\r\n\r\n";
  if (kind == "length")
    return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello";
  if (kind == "chunk")
    return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n";
  return "HTTP/1.1 abc\r\n\r\n";
}

inline constexpr const char* kUsage =
    "usage: courier-demo-upstream [--listen HOST:PORT] [--threads N] [--quiet] [--name NAME]\n"
    "  --listen    address (default 127.0.0.1:9000; port 0 picks a free port)\n"
    "  --threads   worker threads sharing the port with SO_REUSEPORT (default 1)\n"
    "  --quiet     no per-request lines on stderr\n"
    "  --name      adds 'x-upstream-name: NAME' to every response\n"
    "Prints 'listening on HOST:PORT' when ready. Bodies of /bytes, /chunked and /slow-body\n"
    "are the pattern byte[i] = 'a' + i % 26. Endpoints:\n"
    "  GET  /bytes/N[?type=T]           N bytes, Content-Length\n"
    "  GET  / , /healthz                {\"status\":\"ok\"}\n"
    "  POST /v1/completions             JSON completion (?delay_ms=M delays it); SSE stream\n"
    "                                   when ?stream=1 or \"stream\": true "
    "(?events=5&interval_ms=20)\n"
    "  POST /v1/embed, /v1/embed/batch  embedding of the body / of each JSON array element\n"
    "  POST|PUT /echo                   streams the body back (same framing, Content-Type)\n"
    "  GET  /chunked/N?chunk=K          chunked; trailer x-checksum with 'TE: trailers'\n"
    "  GET  /delay/MS                   200 after MS ms (a timer)\n"
    "  ANY  /status/CODE                that status (200..599)\n"
    "  GET  /headers                    the request's headers as JSON\n"
    "  GET  /response-headers?K=V       answers with header K: V (304 if If-None-Match = ETag)\n"
    "  GET  /malformed[?kind=header|length|chunk], /close-early, /slow-body?bytes=N&rate=BPS\n"
    "  GET  /__stats, POST /__reset     request counters (these two paths are not counted)\n";

}  // namespace demo
