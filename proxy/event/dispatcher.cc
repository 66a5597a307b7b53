#include "proxy/event/dispatcher.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "proxy/event/stream_socket.h"

namespace courier::event {

Dispatcher::Dispatcher() {
  event_config* cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  base_ = event_base_new_with_config(cfg);
  event_config_free(cfg);
  event_base_priority_init(base_, 2);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  posted_event_ = event_new(base_, wake_fd_, EV_READ | EV_PERSIST, &Dispatcher::onPosted, this);
  event_priority_set(posted_event_, kNormalPriority);
  event_add(posted_event_, nullptr);
  late_event_ = event_new(base_, -1, 0, &Dispatcher::onLate, this);
  event_priority_set(late_event_, kLatePriority);
}

Dispatcher::~Dispatcher() {
  runDeferred();
  event_free(posted_event_);
  event_free(late_event_);
  close(wake_fd_);
  event_base_free(base_);
}

void Dispatcher::run() {
  event_base_loop(base_, 0);
}

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
  if (first) {
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof one);
    (void)ignored;
  }
}

void Dispatcher::onPosted(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<Dispatcher*>(arg);
  uint64_t count;
  ssize_t ignored = read(fd, &count, sizeof count);
  (void)ignored;
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(self->posted_mutex_);
    batch.swap(self->posted_);
  }
  for (auto& fn : batch) fn();
}

void Dispatcher::activateLate() {
  if (late_active_) return;
  late_active_ = true;
  event_active(late_event_, 0, 0);
}

void Dispatcher::deferredDelete(std::unique_ptr<DeferredDeletable> object) {
  to_delete_.push_back(std::move(object));
  activateLate();
}

void Dispatcher::scheduleFlush(StreamSocket* socket, bool late) {
  (late ? to_flush_late_ : to_flush_).push_back(socket);
  activateLate();
}

void Dispatcher::cancelFlush(StreamSocket* socket) {
  for (auto* list : {&to_flush_, &to_flush_late_}) {
    auto it = std::find(list->begin(), list->end(), socket);
    if (it != list->end()) *it = nullptr;
  }
}

const timeval* Dispatcher::commonTimeout(std::chrono::milliseconds duration) {
  auto it = common_timeouts_.find(duration.count());
  if (it != common_timeouts_.end()) return it->second;
  timeval tv{static_cast<time_t>(duration.count() / 1000),
             static_cast<suseconds_t>((duration.count() % 1000) * 1000)};
  const timeval* common = event_base_init_common_timeout(base_, &tv);
  common_timeouts_.emplace(duration.count(), common);
  return common;
}

void Dispatcher::flushScheduled() {
  // Index loop: a flush may schedule more, or destroy (cancel) a later socket.
  for (size_t i = 0; i < to_flush_.size(); ++i) {
    StreamSocket* s = to_flush_[i];
    to_flush_[i] = nullptr;
    if (s) s->flush();
  }
  to_flush_.clear();
}

void Dispatcher::runDeferred() {
  // Deleting may queue more deletions; loop until none are left.
  while (!to_delete_.empty()) {
    std::vector<std::unique_ptr<DeferredDeletable>> batch;
    batch.swap(to_delete_);
  }
}

void Dispatcher::onLate(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Dispatcher*>(arg);
  self->late_active_ = false;
  // Flush first: a connection closing after its last response is deleted
  // only once that response is on its way.
  self->flushScheduled();
  // As flushScheduled, for the sockets that asked to coalesce.
  for (size_t i = 0; i < self->to_flush_late_.size(); ++i) {
    StreamSocket* s = self->to_flush_late_[i];
    self->to_flush_late_[i] = nullptr;
    if (s) s->flush();
  }
  self->to_flush_late_.clear();
  self->flushScheduled();  // a late flush may have scheduled an ordinary one
  self->runDeferred();
}

}  // namespace courier::event
