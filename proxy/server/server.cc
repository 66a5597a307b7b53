#include "proxy/server/server.h"

#include <csignal>
#include <fstream>
#include <sstream>

#include "config/dump.h"
#include "config/loader.h"
#include "proxy/common/log.h"

namespace courier::server {
namespace {
constexpr std::chrono::milliseconds kDrainPoll{50};
}  // namespace

Server::Server(std::string config_path, std::shared_ptr<const config::Config> config,
               std::span<const config::FilterFactory> filters, ProcessService* service)
    : config_path_(std::move(config_path)),
      config_(std::move(config)),
      filters_(filters),
      service_(service),
      drain_check_(main_.base(), [this] { checkDrained(); }) {}

Server::~Server() {
  for (auto* ev : signals_) event_free(ev);
}

std::shared_ptr<stats::StatsStore> Server::makeStore(const config::Config& config) const {
  std::vector<std::string> routes, clusters;
  for (const auto& r : config.routes) routes.push_back(r.name);
  for (const auto& c : config.clusters) clusters.push_back(c.name);
  // One shard per worker, and one more for the main thread (the process
  // service's Redis connections count their errors there).
  return std::make_shared<stats::StatsStore>(std::move(routes), std::move(clusters),
                                             config.server.workers + 1);
}

Result<std::string> Server::readToken(const config::Config& config) {
  const std::string& path = config.server.admin_token_file;
  if (path.empty()) return std::string();
  std::ifstream in(path);
  if (!in) return Result<std::string>::failure({errno, "cannot read admin_token_file " + path});
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty())
    return Result<std::string>::failure({0, "admin_token_file " + path + " is empty"});
  return token;
}

int Server::run() {
  signal(SIGPIPE, SIG_IGN);
  auto token = readToken(*config_);
  if (!token) {
    LOG_ERROR("%s", token.error().message.c_str());
    return 1;
  }
  admin_token_ = *token;
  store_ = makeStore(*config_);
  for (unsigned i = 0; i < config_->server.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, config_, store_, open_connections_));
    auto listening = workers_.back()->listen();
    if (!listening) {
      LOG_ERROR("%s", listening.error().message.c_str());
      return 1;
    }
  }
  admin_ = std::make_unique<admin::AdminServer>(main_.base(), config_->server.admin, *this);
  auto admin_port = admin_->start();
  if (!admin_port) {
    LOG_ERROR("%s", admin_port.error().message.c_str());
    return 1;
  }
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    ::event* ev = evsignal_new(main_.base(), sig, &Server::onSignal, this);
    evsignal_add(ev, nullptr);
    signals_.push_back(ev);
  }
  if (service_) service_->configure(main_.base(), *config_, mainShard());
  for (auto& w : workers_) w->start();
  readiness_ = admin::Readiness::Ready;
  LOG_INFO("courier %s listening on %s (%u workers), admin on %s", COURIER_VERSION,
           config_->server.listen.text.c_str(), config_->server.workers,
           config_->server.admin.text.c_str());
  main_.run();
  finish();
  return exit_code_;
}

void Server::onSignal(evutil_socket_t sig, short, void* arg) {
  auto* self = static_cast<Server*>(arg);
  if (sig == SIGHUP) {
    admin::ReloadOutcome outcome = self->reload();
    if (!outcome.ok)
      LOG_ERROR("reload failed, keeping the running config: %s", outcome.message.c_str());
    return;
  }
  self->beginDrain();
}

void Server::beginDrain() {
  if (readiness_ == admin::Readiness::Draining) {
    LOG_WARN("second stop signal: closing all connections now");
    drain_deadline_ = std::chrono::steady_clock::now();
    return;
  }
  readiness_ = admin::Readiness::Draining;
  LOG_INFO("draining: %lld open connections, up to %lld ms",
           static_cast<long long>(open_connections_.load()),
           static_cast<long long>(config_->server.drain_timeout.count()));
  drain_deadline_ = std::chrono::steady_clock::now() + config_->server.drain_timeout;
  for (auto& w : workers_) w->drain();
  drain_check_.arm(kDrainPoll);
}

void Server::checkDrained() {
  bool drained = open_connections_.load(std::memory_order_relaxed) == 0;
  if (!drained && std::chrono::steady_clock::now() < drain_deadline_) {
    drain_check_.arm(kDrainPoll);
    return;
  }
  if (!drained) {
    LOG_WARN("drain_timeout reached with %lld connections open: closing them",
             static_cast<long long>(open_connections_.load()));
  }
  event_base_loopexit(main_.base(), nullptr);
}

void Server::finish() {
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
  workers_.clear();
  if (service_) service_->shutdown();
  if (admin_) admin_->stop();
  LOG_INFO("stopped");
}

std::string Server::configJson() const {
  return config::renderConfigJson(*config_);
}

stats::BuildInfo Server::buildInfo() const {
  stats::BuildInfo info;
  info.version = COURIER_VERSION;
#ifdef COURIER_REVISION
  info.revision = COURIER_REVISION;
#endif
#if defined(__clang__)
  info.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  info.compiler = "gcc " __VERSION__;
#endif
  return info;
}

admin::ReloadOutcome Server::reload() {
  auto loaded = config::loadConfigFile(config_path_, filters_);
  if (!loaded) {
    store_->recordConfigReload(false);
    return {false, config::formatErrors(loaded.error())};
  }
  std::shared_ptr<const config::Config> next = *loaded;
  const auto& now = config_->server;
  const auto& then = next->server;
  // These belong to sockets and threads made at start; changing them needs a restart.
  if (then.listen.text != now.listen.text || then.admin.text != now.admin.text ||
      then.workers != now.workers) {
    store_->recordConfigReload(false);
    return {false, "listen, admin and workers cannot change on reload: restart courier"};
  }
  auto token = readToken(*next);
  if (!token) {
    store_->recordConfigReload(false);
    return {false, token.error().message};
  }
  auto store = makeStore(*next);
  store->inheritFrom(store_);
  store->recordConfigReload(true);
  for (auto& w : workers_) w->reload(next, store);
  config_ = std::move(next);
  store_ = std::move(store);
  admin_token_ = *token;
  if (service_) service_->configure(main_.base(), *config_, mainShard());
  LOG_INFO("config reloaded from %s", config_path_.c_str());
  return {true, "reloaded"};
}

}  // namespace courier::server
