#include "proxy/server/access_log.h"

#include <limits.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "proxy/common/json.h"

namespace courier::server {
namespace {
constexpr size_t kFlushBytes = PIPE_BUF;
constexpr std::chrono::milliseconds kFlushDelay{50};

// Appends without the temporary strings std::to_string would make per line.
void appendNumber(std::string& out, uint64_t value) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}
}  // namespace

AccessLog::AccessLog(event_base* base, const config::AccessLogConfig& config, int fd)
    : config_(config), fd_(fd), flush_timer_(base, [this] { flush(); }) {
  buffer_.reserve(2 * kFlushBytes);
}

AccessLog::~AccessLog() {
  flush();
}

void AccessLog::log(const http::RequestHeaders* request, const http::StreamInfo& info) {
  if (!config_.enabled) return;
  if (config_.sample < 1.0 &&
      std::uniform_real_distribution<double>(0.0, 1.0)(rng_) >= config_.sample) {
    return;
  }
  size_t line_start = buffer_.size();
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  char stamp[40];
  size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", ts.tv_nsec / 1000000);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - info.start)
          .count();
  buffer_ += "{\"time\":\"";
  buffer_ += stamp;
  buffer_ += "\",\"request_id\":";
  json::appendString(buffer_, info.request_id);
  buffer_ += ",\"client\":";
  json::appendString(buffer_, info.downstream_address);
  buffer_ += ",\"method\":";
  json::appendString(buffer_, request ? request->method : "");
  buffer_ += ",\"authority\":";
  json::appendString(buffer_, info.client_authority);
  buffer_ += ",\"path\":";
  json::appendString(buffer_, info.client_path);
  buffer_ +=
      info.downstream_http_major == 2 ? ",\"protocol\":\"HTTP/2\"" : ",\"protocol\":\"HTTP/1.1\"";
  buffer_ += ",\"status\":";
  appendNumber(buffer_, static_cast<uint64_t>(info.response_code));
  buffer_ += ",\"route\":";
  json::appendString(buffer_, info.route ? std::string_view(info.route->name) : "");
  buffer_ += ",\"upstream\":";
  json::appendString(buffer_, info.upstream_address);
  char num[64];
  snprintf(num, sizeof num, ",\"duration_ms\":%.3f", ms);
  buffer_ += num;
  buffer_ += ",\"bytes_in\":";
  appendNumber(buffer_, info.request_body_bytes);
  buffer_ += ",\"bytes_out\":";
  appendNumber(buffer_, info.response_body_bytes);
  if (!info.details.empty()) {
    buffer_ += ",\"details\":";
    json::appendString(buffer_, info.details);
  }
  buffer_ += "}\n";
  // Keep each write within PIPE_BUF and made of whole lines.
  if (buffer_.size() > kFlushBytes) writeOut(line_start);
  if (!buffer_.empty() && !flush_timer_.armed()) flush_timer_.arm(kFlushDelay);
}

void AccessLog::writeOut(size_t upto) {
  size_t done = 0;
  while (done < upto) {
    ssize_t w = ::write(fd_, buffer_.data() + done, upto - done);
    if (w <= 0) break;  // stdout gone: drop rather than block the worker
    done += static_cast<size_t>(w);
  }
  buffer_.erase(0, upto);
}

void AccessLog::flush() {
  flush_timer_.cancel();
  if (buffer_.empty()) return;
  // A single line longer than PIPE_BUF is written alone.
  writeOut(buffer_.size());
}

}  // namespace courier::server
