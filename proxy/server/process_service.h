// ProcessService: a process-wide part of a filter that needs the main
// thread (the cache's purge endpoint, its invalidation subscriber, and the
// resizing of its memory layer on reload). main.cc hands it to the Server;
// proxy/ never links filters/.
#pragma once

#include "config/config.h"
#include "proxy/admin/cache_purger.h"

struct event_base;

namespace courier::stats {
class WorkerStats;
}

namespace courier::server {

class ProcessService : public admin::CachePurger {
 public:
  // The running config: at start and after every reload that was applied.
  // `stats` is the main thread's shard of that config's stats.
  virtual void configure(event_base* main_base, const config::Config& config,
                         stats::WorkerStats* stats) = 0;
  // The process is about to exit: drop connections, no callbacks after.
  virtual void shutdown() = 0;
};

}  // namespace courier::server
