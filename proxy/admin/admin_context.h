// AdminContext: what the admin listener needs from the running server. The
// server implements it; the admin module depends on nothing else of it.
//
// Threads: every method is called on the main thread (the admin listener
// runs on the main event_base), one at a time.
#pragma once

#include <string>

#include "proxy/admin/cache_purger.h"

#include "proxy/stats/build_info.h"
#include "proxy/stats/stats_store.h"

namespace courier::admin {

enum class Readiness { Starting, Ready, Draining };

struct ReloadOutcome {
  bool ok = true;
  std::string message;  // on failure: why, e.g. "courier.toml:14:9: routes[2].cache.ttl: ..."
};

class AdminContext {
 public:
  virtual ~AdminContext() = default;

  virtual Readiness readiness() const = 0;
  // The running config as JSON (GET /config).
  virtual std::string configJson() const = 0;
  // The current generation's store (GET /metrics, GET /stats); used only
  // during the call, so a reload may swap it between calls.
  virtual const stats::StatsStore& stats() const = 0;
  virtual stats::BuildInfo buildInfo() const = 0;
  // POST /reload: re-read the config file and swap it in if valid. The
  // server counts the attempt (StatsStore::recordConfigReload) itself, as a
  // SIGHUP reload must be counted too.
  virtual ReloadOutcome reload() = 0;
  // The bearer token mutating calls need (read from admin_token_file);
  // empty = no token required.
  virtual std::string adminToken() const = 0;
  // POST /cache/purge; nullptr when no cache can be purged.
  virtual CachePurger* cachePurger() = 0;
};

}  // namespace courier::admin
