#include "proxy/http/stream_idle_sweeper.h"

#include <vector>

namespace courier::http {

StreamIdleSweeper::StreamIdleSweeper(event_base* base) : timer_(base, [this] { sweep(); }) {}

void StreamIdleSweeper::add(IdleTracked* stream) {
  if (stream->idle_listed_) return;
  stream->idle_listed_ = true;
  stream->idle_prev_ = nullptr;
  stream->idle_next_ = head_;
  if (head_) head_->idle_prev_ = stream;
  head_ = stream;
  ++count_;
  if (!ticking_) {
    ticking_ = true;
    timer_.arm(kTick);
  }
}

void StreamIdleSweeper::remove(IdleTracked* stream) {
  if (!stream->idle_listed_) return;
  stream->idle_listed_ = false;
  if (stream->idle_prev_) {
    stream->idle_prev_->idle_next_ = stream->idle_next_;
  } else {
    head_ = stream->idle_next_;
  }
  if (stream->idle_next_) stream->idle_next_->idle_prev_ = stream->idle_prev_;
  stream->idle_prev_ = stream->idle_next_ = nullptr;
  // The timer stays armed: one request after another on a quiet worker
  // would otherwise pay an event_add and an event_del each.
  --count_;
}

void StreamIdleSweeper::sweep() {
  // Timing out a stream may end others (an HTTP/1.1 connection closes), so
  // the due ones are collected first and each is still checked before it
  // fires; streams are deleted later in the loop turn, never during this.
  std::vector<IdleTracked*> due;
  for (IdleTracked* s = head_; s; s = s->idle_next_) {
    if (s->idleTick(kTick)) due.push_back(s);
  }
  for (IdleTracked* s : due) {
    if (!s->idle_listed_) continue;
    remove(s);
    s->onIdleTimeout();
  }
  ticking_ = count_ > 0;
  if (ticking_) timer_.arm(kTick);
}

}  // namespace courier::http
