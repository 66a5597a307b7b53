// Server: the main thread. Owns the running config, the workers, the admin
// listener and the process's signals.
//
// Lifecycle (SPEC §4): start workers -> /ready 200. SIGTERM or SIGINT ->
// /ready 503, listeners close, in-flight requests finish (up to
// drain_timeout, then the rest are closed), exit 0. SIGHUP or POST /reload
// -> re-read the file: an invalid file keeps the running config and reports
// why; a valid one is used by new requests while open connections carry on.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/filter_factory.h"
#include "proxy/admin/admin_context.h"
#include "proxy/admin/admin_server.h"
#include "proxy/event/dispatcher.h"
#include "proxy/event/timer.h"
#include "proxy/server/process_service.h"
#include "proxy/server/worker.h"
#include "proxy/stats/stats_store.h"

namespace courier::server {

class Server : public admin::AdminContext {
 public:
  // `service` (may be null) is configured with every config put in use.
  Server(std::string config_path, std::shared_ptr<const config::Config> config,
         std::span<const config::FilterFactory> filters, ProcessService* service = nullptr);
  ~Server() override;

  // Runs until shut down; returns the process exit code.
  int run();

  // admin::AdminContext (main thread)
  admin::Readiness readiness() const override { return readiness_; }
  std::string configJson() const override;
  const stats::StatsStore& stats() const override { return *store_; }
  stats::BuildInfo buildInfo() const override;
  admin::ReloadOutcome reload() override;
  std::string adminToken() const override { return admin_token_; }
  admin::CachePurger* cachePurger() override { return service_; }

 private:
  static void onSignal(evutil_socket_t sig, short, void* arg);
  void beginDrain();
  void checkDrained();
  void finish();
  std::shared_ptr<stats::StatsStore> makeStore(const config::Config& config) const;
  stats::WorkerStats* mainShard() { return &store_->shard(config_->server.workers); }
  static Result<std::string> readToken(const config::Config& config);

  std::string config_path_;
  std::shared_ptr<const config::Config> config_;
  std::span<const config::FilterFactory> filters_;
  ProcessService* service_;
  event::Dispatcher main_;
  std::shared_ptr<stats::StatsStore> store_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<int64_t> open_connections_{0};
  std::unique_ptr<admin::AdminServer> admin_;
  std::string admin_token_;
  admin::Readiness readiness_ = admin::Readiness::Starting;
  std::vector<::event*> signals_;
  event::Timer drain_check_;
  std::chrono::steady_clock::time_point drain_deadline_;
  int exit_code_ = 0;
};

}  // namespace courier::server
