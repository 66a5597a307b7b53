// Dispatcher: one thread's event loop (an owned event_base) plus what every
// component on that thread needs from it:
// - post(): run a closure on this thread, callable from any thread;
// - deferredDelete(): destroy an object after the current callback returns,
//   so a connection or stream may finish itself from inside its own callback;
// - scheduleFlush(): write a socket's queued output once, when the current
//   socket event has been handled (flushScheduled) or, at the latest, late
//   in this loop turn, so the small writes one event makes coalesce.
//
// The base runs without libevent's locks: only post() crosses threads, and
// it uses its own mutex and an eventfd.
#pragma once

#include <event2/event.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace courier::event {

class StreamSocket;

// Anything destroyed through Dispatcher::deferredDelete.
class DeferredDeletable {
 public:
  virtual ~DeferredDeletable() = default;
};

class Dispatcher {
 public:
  // Event priorities: everything runs at kNormalPriority; flushes and
  // deferred deletions run after it in the same loop turn.
  static constexpr int kNormalPriority = 0;
  static constexpr int kLatePriority = 1;

  Dispatcher();
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  event_base* base() const { return base_; }
  // Runs the loop until exit() or no events remain.
  void run();
  // Ends run() after the current iteration. Thread-safe.
  void exit();
  // Queues `fn` to run on this dispatcher's thread. Thread-safe.
  void post(std::function<void()> fn);
  // Destroys `object` after the current callback. This thread only.
  void deferredDelete(std::unique_ptr<DeferredDeletable> object);
  // Destroys everything queued for deferred deletion now (shutdown).
  void runDeferred();
  // Writes `socket`'s output once the current event is handled, or late in
  // this loop turn at the latest. This thread only.
  // `late`: only late in this loop turn, after every event that is ready
  // now, so a multiplexed connection's writes from many streams (each
  // woken by its own upstream) leave in one write.
  void scheduleFlush(StreamSocket* socket, bool late = false);
  void cancelFlush(StreamSocket* socket);
  // Writes every socket scheduled so far. Sockets call it when their read
  // handler returns, so a response leaves as soon as the event that produced
  // it is handled instead of after the whole loop turn (which under load can
  // hold many events and would add their time to every response's latency).
  void flushScheduled();
  // A libevent common timeout for `duration` (see Timer::arm): timers that
  // share a duration then cost O(1) to add and remove. This thread only.
  const timeval* commonTimeout(std::chrono::milliseconds duration);

 private:
  static void onPosted(evutil_socket_t, short, void* arg);
  static void onLate(evutil_socket_t, short, void* arg);
  void activateLate();

  event_base* base_;
  int wake_fd_;  // eventfd: post() from other threads wakes the loop
  ::event* posted_event_;
  ::event* late_event_;
  bool late_active_ = false;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::unique_ptr<DeferredDeletable>> to_delete_;
  std::vector<StreamSocket*> to_flush_;
  std::vector<StreamSocket*> to_flush_late_;
  std::map<int64_t, const timeval*> common_timeouts_;
};

}  // namespace courier::event
