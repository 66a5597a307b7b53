// redis::Client's commands: send, evalScript, replies, timeouts and the
// failures that are posted to the loop instead of called from send().
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <strings.h>

#include <algorithm>
#include <string>
#include <utility>

#include "proxy/redis/client_impl.h"

namespace courier::redis {
namespace {

// Pub/sub replies do not follow the one-command-one-reply rule this client
// (and hiredis's reply queue for it) is built on.
bool isPubSub(std::string_view name) {
  for (const char* c : {"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE",
                        "SUNSUBSCRIBE", "MONITOR"}) {
    if (name.size() == std::char_traits<char>::length(c) &&
        strncasecmp(name.data(), c, name.size()) == 0) {
      return true;
    }
  }
  return false;
}

bool isNoScript(const redisReply* r) {
  return r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("NOSCRIPT");
}

std::chrono::milliseconds ceilMs(Clock::duration d) {
  return std::max(std::chrono::ceil<std::chrono::milliseconds>(d), std::chrono::milliseconds(0));
}

}  // namespace

Request* Client::Impl::send(std::span<const std::string_view> argv, ReplyHandler& handler) {
  if (argv.empty() || isPubSub(argv[0]))
    return post(handler, Error::Reply, "ERR command not supported by courier's Redis client");
  if (Request* refused = admit(handler)) return refused;
  return start(argv, handler, nullptr);
}

// The EVAL fallback is copied now: by the time NOSCRIPT arrives the caller's
// views are gone. It gets its own `timeout`, so the caller hears back
// within twice the timeout at worst (once per restarted or flushed server).
Request* Client::Impl::evalScript(std::string_view script, std::string_view sha1_hex,
                                  std::span<const std::string_view> keys,
                                  std::span<const std::string_view> args, ReplyHandler& handler) {
  if (Request* refused = admit(handler)) return refused;
  std::string numkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.insert(argv.end(), {"EVALSHA", sha1_hex, numkeys});
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  // Everything after the script, for the EVAL retry.
  auto eval = std::make_unique<std::vector<std::string>>(argv.begin() + 2, argv.end());
  return start(argv, handler, std::move(eval), script);
}

Request* Client::Impl::admit(ReplyHandler& handler) {
  if (state_ != State::Handshake && state_ != State::Ready)
    return post(handler, Error::Disconnected);
  // Timed-out commands count too: Redis still owes their replies, and each
  // holds memory until it answers or the connection is dropped.
  if (waiting_.size() + expired_.size() >= kMaxInFlight) return post(handler, Error::Overloaded);
  return nullptr;
}

Request* Client::Impl::start(std::span<const std::string_view> argv, ReplyHandler& handler,
                             std::unique_ptr<std::vector<std::string>> eval_argv,
                             std::string_view eval_script) {
  auto* request = new PendingRequest(&handler);
  request->eval_argv = std::move(eval_argv);
  request->eval_script = eval_script;
  if (!issue(request, argv)) {
    delete request;
    return post(handler, Error::Disconnected);
  }
  return request;
}

// Hands the command to hiredis (which formats it into its output buffer)
// and starts its clock.
bool Client::Impl::issue(PendingRequest* request, std::span<const std::string_view> argv) {
  constexpr size_t kInline = 16;
  const char* av_inline[kInline];
  size_t lens_inline[kInline];
  std::vector<const char*> av_heap;
  std::vector<size_t> lens_heap;
  const char** av = av_inline;
  size_t* lens = lens_inline;
  if (argv.size() > kInline) {
    av_heap.resize(argv.size());
    lens_heap.resize(argv.size());
    av = av_heap.data();
    lens = lens_heap.data();
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    av[i] = argv[i].data();
    lens[i] = argv[i].size();
  }
  if (redisAsyncCommandArgv(ctx_, &Impl::replyCallback, request, static_cast<int>(argv.size()), av,
                            lens) != REDIS_OK) {
    return false;
  }
  request->sent = Clock::now();
  waiting_.pushBack(request);
  watch(request->sent + timeout_);
  return true;
}

Request* Client::Impl::post(ReplyHandler& handler, Error error, std::string_view message) {
  auto request = std::make_unique<PendingRequest>(&handler);
  Request* handle = request.get();
  posted_.push_back({std::move(request), error, message});
  if (!post_timer_.armed()) post_timer_.arm(Ms(0));
  return handle;
}

void Client::Impl::drainPosted() {
  draining_.swap(posted_);  // handlers may post more: those go to the next turn
  for (Posted& p : draining_)
    if (ReplyHandler* h = std::exchange(p.request->handler, nullptr))
      h->onRedisError(p.error, p.message);
  draining_.clear();
}

void Client::Impl::replyCallback(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* request = static_cast<PendingRequest*>(privdata);
  auto* self = static_cast<Impl*>(ac->data);
  if (self == nullptr) {  // dropped context or destroyed client: nothing to tell
    delete request;
    return;
  }
  if (reply == nullptr) {  // hiredis is freeing the context (EOF, I/O error)
    self->connectionDown(ac->err ? ac->errstr : "connection lost", false);  // tells `request` too
    delete request;
    return;
  }
  self->onReply(request, reply);
}

void Client::Impl::onReply(PendingRequest* request, const void* reply) {
  auto* r = static_cast<const redisReply*>(reply);
  (request->expired ? expired_ : waiting_).remove(request);
  if (request->handler && request->eval_argv && isNoScript(r)) {
    // Same request object, so the caller's handle still cancels it.
    std::vector<std::string_view> argv = {"EVAL", request->eval_script};
    argv.insert(argv.end(), request->eval_argv->begin(), request->eval_argv->end());
    if (issue(request, argv)) return;
  }
  ReplyHandler* handler = request->handler;
  delete request;
  // Last: a handler may send (or cancel) more.
  if (handler == nullptr) return;
  if (r->type == REDIS_REPLY_ERROR) {
    handler->onRedisError(Error::Reply, std::string_view(r->str, r->len));
  } else {
    handler->onRedisReply(Reply(r));
  }
}

// One timer for all commands. Deadlines only grow along waiting_, so the
// timer is armed no later than the oldest deadline; replies do not re-arm
// it, a firing with nothing due just moves it on.
void Client::Impl::watch(Clock::time_point deadline) {
  if (deadline_timer_.armed() && deadline_armed_for_ <= deadline) return;
  deadline_armed_for_ = deadline;
  deadline_timer_.arm(ceilMs(deadline - Clock::now()));
}

void Client::Impl::onDeadline() {
  Clock::time_point now = Clock::now();
  while (!waiting_.empty() && waiting_.front()->sent + timeout_ <= now) {
    PendingRequest* request = waiting_.popFront();
    request->expired = true;
    expired_.pushBack(request);
    if (ReplyHandler* h = std::exchange(request->handler, nullptr)) {
      h->onRedisError(Error::Timeout, {});
    }
  }
  // Replies are FIFO: if the oldest is this late, nothing is coming back.
  if (!expired_.empty() && now - expired_.front()->sent >= blackhole_) {
    connectionDown("no reply within the black-hole limit", true);
    return;
  }
  if (!expired_.empty()) watch(expired_.front()->sent + blackhole_);
  if (!waiting_.empty()) watch(waiting_.front()->sent + timeout_);
}

// The connection is gone: every command still waiting hears Disconnected;
// timed-out ones were already answered. The requests themselves stay alive
// until hiredis hands them back while freeing the context.
void Client::Impl::failOutstanding() {
  RequestList waiting, expired;
  waiting_.moveTo(waiting);
  expired_.moveTo(expired);
  while (expired.popFront()) {
  }
  while (PendingRequest* request = waiting.popFront()) {
    if (ReplyHandler* h = std::exchange(request->handler, nullptr)) {
      h->onRedisError(Error::Disconnected, {});
    }
  }
}

}  // namespace courier::redis
