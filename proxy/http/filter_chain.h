// FilterChain: iterates one stream's filters, with stop and resume.
//
// Decode (request) calls go from filter 0 to the last filter (the router);
// encode (response) calls start below the filter that produced the response
// and go down to filter 0, then to the owner's sink (the codec).
//
// Iteration rules (see filter.h for the filter's side):
// - Headers stopped at filter k: later data and trailers are still offered
//   to filter k (so it can buffer a body it needs) but not past it; the
//   chain holds them for the filters after k until k resumes.
// - Data stopped with StopIterationAndBuffer at filter k: the chain keeps
//   the bytes and offers the whole buffer to k again when more arrive; when
//   k returns Continue (or resumes), the buffer moves on. Trailers are
//   offered to k too, and wait for it.
// - Order is kept: bytes held at one point never overtake older bytes, and
//   trailers never overtake data.
// - A direction ends once end_stream or trailers reached the sink.
//
// Not thread-safe; owned by an ActiveStream on one worker.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "proxy/http/filter.h"

namespace courier::http {

// What the chain needs from the stream that owns it.
class FilterChainOwner {
 public:
  virtual ~FilterChainOwner() = default;
  virtual RequestHeaders* requestHeaders() = 0;
  virtual ResponseHeaders* responseHeaders() = 0;
  // Takes the response headers a filter produced (a local answer).
  virtual void setResponseHeaders(std::unique_ptr<ResponseHeaders> headers) = 0;
  virtual void setResponseTrailers(std::unique_ptr<HeaderMap> trailers) = 0;
  virtual HeaderMap* responseTrailers() = 0;
  virtual HeaderMap* requestTrailers() = 0;
  // The end of the encode side: write to the downstream codec.
  virtual void sinkHeaders(ResponseHeaders& headers, bool end_stream) = 0;
  virtual void sinkData(Buffer& data, bool end_stream) = 0;
  virtual void sinkTrailers(HeaderMap& trailers) = 0;
  virtual void sendLocalReply(int status, std::string_view error, std::string_view message,
                              std::string_view details) = 0;
  virtual StreamInfo& streamInfo() = 0;
  virtual event_base* eventBase() = 0;
  virtual const WorkerServices& workerServices() = 0;
  virtual void setDownstreamReadEnabled(bool enabled) = 0;
  // A filter buffered more than the stream allows.
  virtual void onBufferLimit(bool request_direction) = 0;
};

class FilterChain {
 public:
  FilterChain(FilterChainOwner& owner, size_t buffer_limit);
  ~FilterChain();
  FilterChain(const FilterChain&) = delete;
  FilterChain& operator=(const FilterChain&) = delete;

  void add(std::unique_ptr<StreamFilter> filter);
  size_t size() const { return slots_.size(); }
  // Room for `n` filters, so that adding them does not grow the vector.
  void reserve(size_t n);

  // Request direction, from the codec. Trailers live in the owner.
  void decodeHeaders(bool end_stream) { startHeaders<true>(0, end_stream); }
  void decodeData(Buffer& data, bool end_stream) { startData<true>(0, data, end_stream); }
  void decodeTrailers() { startTrailers<true>(0); }
  // Response direction from the filter at `index` (the router is size()-1);
  // index == size() means a reply made outside any filter.
  void encodeHeaders(size_t index, bool end_stream) {
    startHeaders<false>(size() - index, end_stream);
  }
  void encodeData(size_t index, Buffer& data, bool end_stream) {
    startData<false>(size() - index, data, end_stream);
  }
  void encodeTrailers(size_t index) { startTrailers<false>(size() - index); }

  // StreamFilterCallbacks::injectEncodedBody for the filter at `index`.
  void injectEncodedBody(size_t index, Buffer& data);
  void continueDecoding(size_t index) { resume<true>(index); }
  void continueEncoding(size_t index) { resume<false>(size() - 1 - index); }
  void onDownstreamWatermark(bool above_high);
  bool encodeStarted() const { return encode_.started; }
  // Ends iteration for good; every filter gets onDestroy() once.
  void destroy();
  bool destroyed() const { return destroyed_; }
  // Lets every filter, last to first, add fields to a local reply's head.
  void onLocalReply(ResponseHeaders& headers);
  // Asks every filter, last to first, whether it answers instead of a local
  // error reply (StreamFilter::replaceLocalReply); true if one did.
  bool replaceLocalReply(int status);

 private:
  class Slot;
  static constexpr size_t kNone = SIZE_MAX;
  // One direction's iteration state; positions are steps in that direction's
  // order (decode: filter index; encode: size()-1-index).
  struct Direction {
    bool started = false;
    size_t headers_stop = kNone;   // step holding the headers
    size_t data_stop = kNone;      // step holding data (StopIteration*Buffer)
    size_t trailers_stop = kNone;  // step holding trailers (their StopIteration)
    bool headers_end = false;      // end_stream came with the headers
    bool end_seen = false;         // the source sent its end (data end or trailers)
    bool has_trailers = false;
    // Data that passed a filter still holding the headers waits here, to
    // continue at hold_step; newer data joins it there, never overtaking it.
    Buffer held;
    size_t hold_step = kNone;
    bool held_end = false;
    size_t trailers_hold_step = kNone;  // trailers wait to continue here
    size_t injected_step = kNone;       // `held` is a body a filter injected (encode only)
    std::vector<std::unique_ptr<Buffer>> buffered;  // per step, StopIterationAndBuffer
    std::vector<bool> buffered_end;                 // the end_stream data is in buffered[step]
  };

  template <bool kDecode>
  Direction& dir() {
    return kDecode ? decode_ : encode_;
  }
  StreamFilter& filterAt(bool decode, size_t step);
  template <bool kDecode>
  void startHeaders(size_t step, bool end_stream);
  template <bool kDecode>
  void startData(size_t step, Buffer& data, bool end_stream);
  template <bool kDecode>
  void startTrailers(size_t step);
  template <bool kDecode>
  void runHeaders(size_t step);
  template <bool kDecode>
  void runData(size_t step, Buffer& data, bool end_stream);
  template <bool kDecode>
  void runTrailers(size_t step);
  template <bool kDecode>
  void resume(size_t step);
  Buffer& bufferAt(Direction& d, size_t step);
  bool overLimit(const Buffer& b) const { return b.length() > buffer_limit_; }

  FilterChainOwner& owner_;
  size_t buffer_limit_;
  std::vector<std::unique_ptr<Slot>> slots_;
  Direction decode_;
  Direction encode_;
  bool destroyed_ = false;
};

}  // namespace courier::http
