#include "proxy/event/dispatcher.h"

#include <event2/thread.h>

namespace courier::event {
namespace {
// libevent's locking must be on before any base is made that other threads
// touch (post() activates an event from another thread).
struct EnableThreads {
  EnableThreads() { evthread_use_pthreads(); }
};
}  // namespace

Dispatcher::Dispatcher() {
  static EnableThreads enable_threads;
  event_config* cfg = event_config_new();
  // One loop per thread: no need to lock the base for this thread's own calls,
  // but post() needs the lock, so keep the default (locking enabled).
  base_ = event_base_new_with_config(cfg);
  event_config_free(cfg);
  posted_event_ = event_new(base_, -1, 0, &Dispatcher::onPosted, this);
  deferred_event_ = event_new(base_, -1, 0, &Dispatcher::onDeferred, this);
}

Dispatcher::~Dispatcher() {
  to_delete_.clear();
  event_free(posted_event_);
  event_free(deferred_event_);
  event_base_free(base_);
}

void Dispatcher::run() { event_base_loop(base_, 0); }

void Dispatcher::exit() {
  post([this] { event_base_loopexit(base_, nullptr); });
}

void Dispatcher::post(std::function<void()> fn) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    first = posted_.empty();
    posted_.push_back(std::move(fn));
  }
  if (first) event_active(posted_event_, 0, 0);
}

void Dispatcher::deferredDelete(std::unique_ptr<DeferredDeletable> object) {
  if (to_delete_.empty()) event_active(deferred_event_, 0, 0);
  to_delete_.push_back(std::move(object));
}

void Dispatcher::onPosted(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Dispatcher*>(arg);
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(self->posted_mutex_);
    batch.swap(self->posted_);
  }
  for (auto& fn : batch) fn();
}

void Dispatcher::onDeferred(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Dispatcher*>(arg);
  // Deleting may queue more deletions; loop until none are left.
  while (!self->to_delete_.empty()) {
    std::vector<std::unique_ptr<DeferredDeletable>> batch;
    batch.swap(self->to_delete_);
  }
}

}  // namespace courier::event
