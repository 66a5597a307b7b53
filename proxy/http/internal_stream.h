// InternalStreams: requests courier makes itself (a cache refreshing a stale
// entry in the background, RFC 5861 stale-while-revalidate). Each is an
// ActiveStream like a client's, with no client: its response goes through
// the route's filters (which is where the cache stores it) and is then
// dropped. One per worker; streams still running at shutdown are reset.
#pragma once

#include <memory>
#include <unordered_set>

#include "proxy/http/active_stream.h"
#include "proxy/http/filter.h"

namespace courier::http {

class InternalStreams : public InternalRequests {
 public:
  explicit InternalStreams(WorkerContext& ctx) : ctx_(ctx) {}
  ~InternalStreams() override;
  InternalStreams(const InternalStreams&) = delete;
  InternalStreams& operator=(const InternalStreams&) = delete;

  void start(std::unique_ptr<RequestHeaders> headers) override;
  size_t active() const { return streams_.size(); }

 private:
  class Stream;
  friend class Stream;
  void finished(Stream* stream);

  WorkerContext& ctx_;
  std::unordered_set<Stream*> streams_;
};

}  // namespace courier::http
