#include "proxy/common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <ctime>

namespace courier::log {
namespace {
std::atomic<Level> g_level{Level::Info};
constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
}  // namespace

void setLevel(Level l) {
  g_level.store(l, std::memory_order_relaxed);
}
Level level() {
  return g_level.load(std::memory_order_relaxed);
}

void write(Level l, const char* fmt, ...) {
  char line[2048];
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  int n = static_cast<int>(strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &utc));
  n += snprintf(line + n, sizeof line - n, ".%03ldZ %s ", ts.tv_nsec / 1000000,
                kNames[static_cast<int>(l)]);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
  va_end(ap);
  n = m < 0 ? n : std::min<int>(n + m, sizeof line - 2);
  line[n++] = '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line, n);
  (void)ignored;
}

}  // namespace courier::log
