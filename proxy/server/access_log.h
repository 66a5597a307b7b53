// AccessLog: one JSON line per request on stdout, for one worker.
//
// Lines are buffered and written in whole lines of at most PIPE_BUF bytes
// per write(2), so lines from several workers never interleave on a pipe,
// and a quiet worker still flushes within 50 ms.
#pragma once

#include <random>
#include <string>

#include "config/config.h"
#include "proxy/event/timer.h"
#include "proxy/http/filter.h"
#include "proxy/http/header_map.h"

namespace courier::server {

class AccessLog {
 public:
  AccessLog(event_base* base, const config::AccessLogConfig& config, int fd = 1);
  ~AccessLog();

  // `request` is nullptr when the request could not be parsed.
  void log(const http::RequestHeaders* request, const http::StreamInfo& info);
  void flush();

 private:
  void writeOut(size_t upto);

  config::AccessLogConfig config_;
  int fd_;
  std::string buffer_;
  event::Timer flush_timer_;
  std::minstd_rand rng_{std::random_device{}()};
};

}  // namespace courier::server
