// Minimal leveled logging to stderr (access logs go to stdout, see access_log.h).
#pragma once

#include <cstdio>
#include <string_view>

namespace courier::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLevel(Level level);
Level level();
// printf-style; thread-safe (one write(2) per line).
void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace courier::log

#define COURIER_LOG(lvl, ...)                                         \
  do {                                                                \
    if (::courier::log::Level::lvl >= ::courier::log::level())        \
      ::courier::log::write(::courier::log::Level::lvl, __VA_ARGS__); \
  } while (0)
#define LOG_DEBUG(...) COURIER_LOG(Debug, __VA_ARGS__)
#define LOG_INFO(...) COURIER_LOG(Info, __VA_ARGS__)
#define LOG_WARN(...) COURIER_LOG(Warn, __VA_ARGS__)
#define LOG_ERROR(...) COURIER_LOG(Error, __VA_ARGS__)
