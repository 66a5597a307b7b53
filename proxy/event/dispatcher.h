// Dispatcher: one thread's event loop (an owned event_base) plus the two
// things every component on that thread needs from it:
// - post(): run a closure on this thread, callable from any thread;
// - deferredDelete(): destroy an object after the current callback returns,
//   so a connection or stream may finish itself from inside its own callback.
#pragma once

#include <event2/event.h>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace courier::event {

// Anything destroyed through Dispatcher::deferredDelete.
class DeferredDeletable {
 public:
  virtual ~DeferredDeletable() = default;
};

class Dispatcher {
 public:
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
  void runDeferred() { onDeferred(-1, 0, this); }

 private:
  static void onPosted(evutil_socket_t, short, void* arg);
  static void onDeferred(evutil_socket_t, short, void* arg);

  event_base* base_;
  ::event* posted_event_;
  ::event* deferred_event_;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::unique_ptr<DeferredDeletable>> to_delete_;
};

}  // namespace courier::event
