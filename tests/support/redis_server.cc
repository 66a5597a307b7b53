#include "tests/support/redis_server.h"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <thread>

namespace courier::test {
namespace {

std::string replyText(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_ERROR:
      return "(error) " + std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out = "[";
      for (size_t i = 0; i < r->elements; ++i) {
        if (i) out += ", ";
        out += replyText(r->element[i]);
      }
      return out + "]";
    }
  }
  return "(unknown reply type " + std::to_string(r->type) + ")";
}

}  // namespace

RedisServer::RedisServer(std::vector<std::string> extra_args, std::string binary)
    : binary_(std::move(binary)), extra_args_(std::move(extra_args)) {
  for (size_t i = 0; i + 1 < extra_args_.size(); ++i) {
    if (extra_args_[i] == "--requirepass") password_ = extra_args_[i + 1];
  }
  // A port that was free a moment ago may be taken by the time redis binds
  // it: try a few.
  for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
    port_ = freeLoopbackPort();
    launch();
  }
}

RedisServer::~RedisServer() {
  stop();
}

bool RedisServer::start() {
  if (running_) return true;
  return launch();
}

bool RedisServer::launch() {
  ProcessOptions o;
  o.binary = binary_;
  // No persistence; DEBUG allowed from loopback (DEBUG SLEEP makes a slow
  // Redis; Redis 7 disables DEBUG by default).
  const std::pair<std::string, std::string> options[] = {
      {"--port", std::to_string(port_)},
      {"--bind", "127.0.0.1"},
      {"--save", ""},
      {"--appendonly", "no"},
      {"--protected-mode", "no"},
      {"--enable-debug-command", "local"},
      {"--dir", dir_.path()},
  };
  for (const auto& [name, value] : options) {
    o.args.push_back(name);
    o.args.push_back(value);
  }
  o.args.insert(o.args.end(), extra_args_.begin(), extra_args_.end());
  o.log_dir = dir_.path();
  process_ = std::make_unique<Process>(std::move(o));
  running_ = false;
  if (!process_->started()) {
    error_ = "cannot start " + binary_ + ": " + process_->error();
    return false;
  }
  auto deadline = Clock::now() + Ms(5000);
  while (Clock::now() < deadline && process_->running()) {
    if (command({"PING"}, Ms(200)) == "PONG") {
      running_ = true;
      error_.clear();
      return true;
    }
    std::this_thread::sleep_for(Ms(5));
  }
  error_ = "redis-server did not answer PING on port " + std::to_string(port_) + "\n" +
           process_->logTail();
  process_.reset();
  return false;
}

void RedisServer::stop(bool graceful) {
  if (!process_) return;
  process_->signal(graceful ? SIGTERM : SIGKILL);
  if (!process_->waitExit(Ms(5000))) process_->signal(SIGKILL);
  process_->waitExit(Ms(5000));
  process_.reset();
  running_ = false;
}

std::string RedisServer::command(const std::vector<std::string>& argv, Ms timeout) const {
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr || c->err) {
    std::string e = "(connection error) " + std::string(c ? c->errstr : "out of memory");
    if (c) redisFree(c);
    return e;
  }
  redisSetTimeout(c, tv);
  auto run = [&](const std::vector<std::string>& args) {
    std::vector<const char*> av;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      av.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(args.size()), av.data(), lens.data()));
    if (r == nullptr) return "(connection error) " + std::string(c->errstr);
    std::string text = replyText(r);
    freeReplyObject(r);
    return text;
  };
  std::string out;
  if (!password_.empty()) out = run({"AUTH", password_});
  if (password_.empty() || out == "OK") out = run(argv);
  redisFree(c);
  return out;
}

bool RedisServer::pause(Ms duration) const {
  return command({"CLIENT", "PAUSE", std::to_string(duration.count()), "ALL"}) == "OK";
}

}  // namespace courier::test
