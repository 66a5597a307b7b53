// PendingRequest: one command handed to hiredis, and RequestList, the
// intrusive FIFO the client keeps them in (no allocation per link, O(1)
// removal when a reply comes back for a request in the middle).
//
// Ownership: hiredis holds the request as its callback's privdata from the
// moment the command is queued until that callback runs (with the reply, or
// with NULL when the context is freed). Only then is it deleted, so
// Request::cancel() stays safe however late a reply arrives.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "proxy/redis/client.h"

namespace courier::redis {

using Clock = std::chrono::steady_clock;

struct PendingRequest final : Request {
  explicit PendingRequest(ReplyHandler* h) : handler(h) {}
  void cancel() override { handler = nullptr; }

  ReplyHandler* handler;  // null once cancelled or told the outcome
  Clock::time_point sent;
  bool expired = false;  // told Timeout; waits only for hiredis to hand it back
  // evalScript only: what EVAL needs if EVALSHA answers NOSCRIPT. The
  // script is static text (not copied); numkeys, keys and args are copied,
  // since the caller's views are gone by then.
  std::string_view eval_script;
  std::unique_ptr<std::vector<std::string>> eval_argv;
  PendingRequest* prev = nullptr;
  PendingRequest* next = nullptr;
};

class RequestList {
 public:
  RequestList() = default;
  RequestList(const RequestList&) = delete;
  RequestList& operator=(const RequestList&) = delete;

  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }
  PendingRequest* front() const { return head_; }

  void pushBack(PendingRequest* r) {
    r->prev = tail_;
    r->next = nullptr;
    (tail_ ? tail_->next : head_) = r;
    tail_ = r;
    ++size_;
  }
  void remove(PendingRequest* r) {
    (r->prev ? r->prev->next : head_) = r->next;
    (r->next ? r->next->prev : tail_) = r->prev;
    r->prev = r->next = nullptr;
    --size_;
  }
  PendingRequest* popFront() {
    PendingRequest* r = head_;
    if (r) remove(r);
    return r;
  }
  // Moves every request to `to` (which must be empty) and leaves this empty.
  void moveTo(RequestList& to) {
    to.head_ = head_;
    to.tail_ = tail_;
    to.size_ = size_;
    head_ = tail_ = nullptr;
    size_ = 0;
  }

 private:
  PendingRequest* head_ = nullptr;
  PendingRequest* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace courier::redis
