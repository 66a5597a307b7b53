// StreamIdleSweeper: one per worker; finds streams that moved no bytes for
// their stream_idle_timeout. A timer per stream would cost an event_add and
// an event_del on every request (about 5% of a proxied request's
// instructions); here a stream only links itself into a list, counts its
// activity, and one timer per worker looks at the list every kTick.
//
// A stream times out between its timeout and its timeout plus one tick.
// The timer stops at the first tick that finds no stream listed. Not thread-safe: one worker.
#pragma once

#include <chrono>
#include <cstdint>

#include "proxy/event/timer.h"

namespace courier::http {

// What the sweeper tracks: implemented by ActiveStream.
class IdleTracked {
 public:
  virtual ~IdleTracked() = default;
  // Called every tick: true if the stream has now been idle too long
  // (the sweeper then calls onIdleTimeout, after the whole sweep).
  virtual bool idleTick(std::chrono::milliseconds tick) = 0;
  virtual void onIdleTimeout() = 0;

 private:
  friend class StreamIdleSweeper;
  IdleTracked* idle_prev_ = nullptr;
  IdleTracked* idle_next_ = nullptr;
  bool idle_listed_ = false;
};

class StreamIdleSweeper {
 public:
  static constexpr std::chrono::milliseconds kTick{250};

  explicit StreamIdleSweeper(event_base* base);
  StreamIdleSweeper(const StreamIdleSweeper&) = delete;
  StreamIdleSweeper& operator=(const StreamIdleSweeper&) = delete;

  void add(IdleTracked* stream);
  // Safe to call for a stream that is not listed.
  void remove(IdleTracked* stream);
  size_t size() const { return count_; }

 private:
  void sweep();

  IdleTracked* head_ = nullptr;
  size_t count_ = 0;
  bool ticking_ = false;
  event::Timer timer_;
};

}  // namespace courier::http
