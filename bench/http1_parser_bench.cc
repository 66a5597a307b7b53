// HTTP/1.1 parser microbenchmarks: an agent API request head, a response
// head, framing, and chunked body decoding (small streamed chunks and large
// ones). Throughput is reported as bytes/s of wire input.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "proxy/http/http1_parser.h"

namespace courier::http1 {
namespace {

const std::string kRequestHead =
    "POST /v1/completions HTTP/1.1\r\n"
    "Host: llm-gateway.internal.example.com:8443\r\n"
    "User-Agent: agent-runtime/2.7.1 (python 3.12; linux x86_64)\r\n"
    "Accept: text/event-stream\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 1834\r\n"
    "Authorization: Bearer sk-live-4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f\r\n"
    "X-Request-Id: 0b6f3c1e-8d2a-4f7b-9c3e-5a1d2e3f4a5b\r\n"
    "X-Agent-Session: sess_01HZX8Q2V6N3K4M5P7R9T1W3Y5\r\n"
    "Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

const std::string kResponseHead =
    "HTTP/1.1 200 OK\r\n"
    "Date: Sun, 22 Nov 2026 10:00:00 GMT\r\n"
    "Content-Type: text/event-stream; charset=utf-8\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Connection: keep-alive\r\n"
    "Cache-Control: no-cache\r\n"
    "X-Request-Id: 0b6f3c1e-8d2a-4f7b-9c3e-5a1d2e3f4a5b\r\n"
    "Openai-Processing-Ms: 412\r\n"
    "\r\n";

void BM_ParseRequestHead(benchmark::State& state) {
  std::string buffer = kRequestHead;
  ParsedRequestHead head;  // reused, as a connection reuses it
  Limits limits;
  for (auto _ : state) {
    HeadResult r = parseRequestHead(buffer.data(), buffer.size(), limits, head);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(head.fields.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
  state.SetLabel(std::to_string(buffer.size()) + " B, " + std::to_string(head.fields.size()) +
                 " fields");
}
BENCHMARK(BM_ParseRequestHead);

// The caller re-parses an accumulating head on every read until CRLF CRLF
// arrives; this is the cost of one such call that finds it missing.
void BM_ParseRequestHeadIncomplete(benchmark::State& state) {
  std::string buffer = kRequestHead.substr(0, kRequestHead.size() - 2);
  ParsedRequestHead head;
  Limits limits;
  for (auto _ : state) {
    HeadResult r = parseRequestHead(buffer.data(), buffer.size(), limits, head);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
}
BENCHMARK(BM_ParseRequestHeadIncomplete);

void BM_ParseRequestHeadAndFraming(benchmark::State& state) {
  std::string buffer = kRequestHead;
  ParsedRequestHead head;
  Limits limits;
  for (auto _ : state) {
    HeadResult r = parseRequestHead(buffer.data(), buffer.size(), limits, head);
    BodyFraming framing;
    ParseError error;
    bool ok = requestFraming(head.fields, head.version_minor, framing, error);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
}
BENCHMARK(BM_ParseRequestHeadAndFraming);

void BM_ParseResponseHead(benchmark::State& state) {
  std::string buffer = kResponseHead;
  ParsedResponseHead head;
  Limits limits;
  for (auto _ : state) {
    HeadResult r = parseResponseHead(buffer.data(), buffer.size(), limits, head);
    BodyFraming framing;
    ParseError error;
    bool ok = responseFraming(head.fields, head.status, "POST", framing, error);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
  state.SetLabel(std::to_string(buffer.size()) + " B");
}
BENCHMARK(BM_ParseResponseHead);

// A chunked body of `count` chunks of `size` bytes, then the last chunk.
std::string chunkedBody(size_t size, size_t count) {
  char hex[32];
  snprintf(hex, sizeof hex, "%zx\r\n", size);
  std::string chunk = hex + std::string(size, 'd') + "\r\n";
  std::string body;
  for (size_t i = 0; i < count; ++i) body += chunk;
  return body + "0\r\n\r\n";
}

// Decodes a whole chunked body per iteration; Arg(0) is the chunk size.
// Small chunks are what token streaming (SSE) looks like; large ones are
// uploads. The body is presented contiguously, as after evbuffer_pullup.
void BM_DecodeChunked(benchmark::State& state) {
  size_t size = static_cast<size_t>(state.range(0));
  std::string body = chunkedBody(size, (256 * 1024) / size);
  size_t data_bytes = 0;
  for (auto _ : state) {
    BodyDecoder decoder(BodyFraming{BodyKind::Chunked, 0});
    size_t pos = 0;
    data_bytes = 0;
    for (;;) {
      size_t available = body.size() - pos;
      BodyStep step = decoder.next(body.data() + pos, available, available);
      if (step.kind == BodyStep::Done || step.kind == BodyStep::Error ||
          step.kind == BodyStep::NeedMore)
        break;
      if (step.kind == BodyStep::Data) data_bytes += step.length;
      pos += step.length;
    }
    benchmark::DoNotOptimize(pos);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetLabel(std::to_string(data_bytes) + " B data in " + std::to_string(body.size()) + " B");
}
BENCHMARK(BM_DecodeChunked)->Arg(64)->Arg(512)->Arg(16384);

}  // namespace
}  // namespace courier::http1
