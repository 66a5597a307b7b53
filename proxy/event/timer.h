// Timer: an RAII one-shot timer on an event_base that calls a callback.
// The libevent event is embedded (no allocation per timer), and re-arming
// replaces the pending deadline. Not thread-safe.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

#include <chrono>
#include <functional>

namespace courier::event {

class Timer {
 public:
  Timer(event_base* base, std::function<void()> on_fire) : on_fire_(std::move(on_fire)) {
    evtimer_assign(&ev_, base, &Timer::trampoline, this);
  }
  ~Timer() { evtimer_del(&ev_); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void arm(std::chrono::milliseconds after) {
    timeval tv{static_cast<time_t>(after.count() / 1000),
               static_cast<suseconds_t>((after.count() % 1000) * 1000)};
    evtimer_add(&ev_, &tv);
  }
  // Arms with a libevent common timeout (Dispatcher::commonTimeout): O(1)
  // add and remove for the many timers that share one duration.
  void arm(const timeval* common_timeout) { evtimer_add(&ev_, common_timeout); }
  void cancel() { evtimer_del(&ev_); }
  bool armed() const { return evtimer_pending(&ev_, nullptr) != 0; }

 private:
  static void trampoline(evutil_socket_t, short, void* arg) {
    static_cast<Timer*>(arg)->on_fire_();
  }
  ::event ev_;
  std::function<void()> on_fire_;
};

}  // namespace courier::event
