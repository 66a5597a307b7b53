#include "proxy/http/filter_chain.h"

#include <cassert>

namespace courier::http {

// The callbacks one filter sees: the chain, addressed at its own position.
class FilterChain::Slot : public StreamFilterCallbacks {
 public:
  Slot(FilterChain& chain, size_t index, std::unique_ptr<StreamFilter> filter)
      : chain_(chain), index_(index), filter_(std::move(filter)) {
    filter_->setCallbacks(*this);
  }
  StreamFilter& filter() { return *filter_; }

  void continueDecoding() override { chain_.continueDecoding(index_); }
  void continueEncoding() override { chain_.continueEncoding(index_); }
  void sendLocalReply(int status, std::string_view error, std::string_view message,
                      std::string_view details) override {
    chain_.owner_.sendLocalReply(status, error, message, details);
  }
  void encodeHeaders(std::unique_ptr<ResponseHeaders> headers, bool end_stream) override {
    chain_.owner_.setResponseHeaders(std::move(headers));
    chain_.encodeHeaders(index_, end_stream);
  }
  void encodeData(Buffer& data, bool end_stream) override {
    chain_.encodeData(index_, data, end_stream);
  }
  void encodeTrailers(std::unique_ptr<HeaderMap> trailers) override {
    chain_.owner_.setResponseTrailers(std::move(trailers));
    chain_.encodeTrailers(index_);
  }
  void injectEncodedBody(Buffer& data) override { chain_.injectEncodedBody(index_, data); }
  RequestHeaders* requestHeaders() override { return chain_.owner_.requestHeaders(); }
  StreamInfo& streamInfo() override { return chain_.owner_.streamInfo(); }
  event_base* eventBase() override { return chain_.owner_.eventBase(); }
  const WorkerServices& workerServices() override { return chain_.owner_.workerServices(); }
  void setDownstreamReadEnabled(bool enabled) override {
    chain_.owner_.setDownstreamReadEnabled(enabled);
  }

 private:
  FilterChain& chain_;
  size_t index_;
  std::unique_ptr<StreamFilter> filter_;
};

FilterChain::FilterChain(FilterChainOwner& owner, size_t buffer_limit)
    : owner_(owner), buffer_limit_(buffer_limit) {}

FilterChain::~FilterChain() {
  destroy();
}

void FilterChain::add(std::unique_ptr<StreamFilter> filter) {
  slots_.push_back(std::make_unique<Slot>(*this, slots_.size(), std::move(filter)));
}

void FilterChain::reserve(size_t n) {
  slots_.reserve(n);
}

void FilterChain::destroy() {
  if (destroyed_) return;
  destroyed_ = true;
  for (auto& s : slots_) s->filter().onDestroy();
}

void FilterChain::onLocalReply(ResponseHeaders& headers) {
  if (destroyed_) return;
  for (size_t i = slots_.size(); i-- > 0;) slots_[i]->filter().onLocalReply(headers);
}

bool FilterChain::replaceLocalReply(int status) {
  if (destroyed_ || encode_.started) return false;
  for (size_t i = slots_.size(); i-- > 0;)
    if (slots_[i]->filter().replaceLocalReply(status)) return true;
  return false;
}

void FilterChain::onDownstreamWatermark(bool above_high) {
  for (auto& s : slots_) s->filter().onDownstreamWatermark(above_high);
}

StreamFilter& FilterChain::filterAt(bool decode, size_t step) {
  return slots_[decode ? step : slots_.size() - 1 - step]->filter();
}

Buffer& FilterChain::bufferAt(Direction& d, size_t step) {
  if (d.buffered.size() <= step) d.buffered.resize(step + 1);
  if (!d.buffered[step]) d.buffered[step] = std::make_unique<Buffer>();
  return *d.buffered[step];
}

template <bool kDecode>
void FilterChain::startHeaders(size_t step, bool end_stream) {
  Direction& d = dir<kDecode>();
  assert(!d.started);
  d.started = true;
  d.headers_end = end_stream;
  d.end_seen = end_stream;
  runHeaders<kDecode>(step);
}

template <bool kDecode>
void FilterChain::runHeaders(size_t step) {
  Direction& d = dir<kDecode>();
  for (; step < slots_.size(); ++step) {
    StreamFilter& f = filterAt(kDecode, step);
    FilterHeadersStatus s = kDecode ? f.decodeHeaders(*owner_.requestHeaders(), d.headers_end)
                                    : f.encodeHeaders(*owner_.responseHeaders(), d.headers_end);
    if (destroyed_) return;
    if (s == FilterHeadersStatus::StopIteration) {
      d.headers_stop = step;
      return;  // an injected body waits in `held` for resume()
    }
    if (d.injected_step == step + 1) {
      // The filter gave the response a body: the headers go on first (with
      // end_stream now false), then the body from the filter after it.
      d.injected_step = kNone;
      d.hold_step = kNone;
      Buffer body = std::move(d.held);
      d.held_end = false;
      runHeaders<kDecode>(step + 1);
      if (destroyed_) return;
      runData<kDecode>(step + 1, body, true);
      return;
    }
  }
  d.headers_stop = kNone;
  if constexpr (!kDecode) {
    owner_.sinkHeaders(*owner_.responseHeaders(), d.headers_end);
  }
}

void FilterChain::injectEncodedBody(size_t index, Buffer& data) {
  Direction& d = encode_;
  size_t step = size() - 1 - index;
  assert(d.headers_end && d.hold_step == kNone && "injectEncodedBody outside encodeHeaders");
  if (!d.headers_end || d.hold_step != kNone) return;
  d.headers_end = false;
  // Held as if it had passed this filter while the headers were stopped
  // here, so resume() and runHeaders() release it after the headers.
  d.held.move(data);
  d.held_end = true;
  d.hold_step = step + 1;
  d.injected_step = step + 1;
}

template <bool kDecode>
void FilterChain::startData(size_t step, Buffer& data, bool end_stream) {
  Direction& d = dir<kDecode>();
  d.end_seen = d.end_seen || end_stream;
  runData<kDecode>(step, data, end_stream);
}

template <bool kDecode>
void FilterChain::runData(size_t step, Buffer& data, bool end_stream) {
  Direction& d = dir<kDecode>();
  for (; step < slots_.size(); ++step) {
    if (d.hold_step != kNone && step >= d.hold_step) {
      // Older bytes wait at the hold point: queue behind them.
      d.held.move(data);
      d.held_end = d.held_end || end_stream;
      if (overLimit(d.held)) owner_.onBufferLimit(kDecode);
      return;
    }
    StreamFilter& f = filterAt(kDecode, step);
    if (kDecode ? f.wantsDecodeBody() : f.wantsEncodeBody()) {
      Buffer* b = &data;
      if (d.data_stop == step) {  // this filter is buffering: offer it the whole body so far
        bufferAt(d, step).move(data);
        b = &bufferAt(d, step);
      }
      FilterDataStatus s = kDecode ? f.decodeData(*b, end_stream) : f.encodeData(*b, end_stream);
      if (destroyed_) return;
      if (s != FilterDataStatus::Continue) {
        if (s == FilterDataStatus::StopIterationAndBuffer && b == &data) {
          bufferAt(d, step).move(data);
        }
        if (d.buffered_end.size() <= step) d.buffered_end.resize(step + 1);
        d.buffered_end[step] = d.buffered_end[step] || end_stream;
        d.data_stop = step;
        if (s == FilterDataStatus::StopIterationAndBuffer && overLimit(bufferAt(d, step))) {
          owner_.onBufferLimit(kDecode);
        }
        return;
      }
      if (b != &data) data.move(*b);
      if (d.data_stop == step) d.data_stop = kNone;
    }
    if (d.headers_stop == step) {
      // The headers are still held here; the body may not overtake them.
      d.held.move(data);
      d.held_end = d.held_end || end_stream;
      d.hold_step = step + 1;
      if (overLimit(d.held)) owner_.onBufferLimit(kDecode);
      return;
    }
  }
  if constexpr (!kDecode) {
    owner_.sinkData(data, end_stream);
  }
}

template <bool kDecode>
void FilterChain::startTrailers(size_t step) {
  Direction& d = dir<kDecode>();
  d.end_seen = true;
  d.has_trailers = true;
  runTrailers<kDecode>(step);
}

template <bool kDecode>
void FilterChain::runTrailers(size_t step) {
  Direction& d = dir<kDecode>();
  for (; step < slots_.size(); ++step) {
    bool data_waits_here = (d.hold_step != kNone && step >= d.hold_step) ||
                           (d.data_stop != kNone && step > d.data_stop);
    if (data_waits_here) {  // trailers never overtake data
      d.trailers_hold_step = step;
      return;
    }
    StreamFilter& f = filterAt(kDecode, step);
    if (kDecode ? f.wantsDecodeBody() : f.wantsEncodeBody()) {
      FilterTrailersStatus s = kDecode ? f.decodeTrailers(*owner_.requestTrailers())
                                       : f.encodeTrailers(*owner_.responseTrailers());
      if (destroyed_) return;
      if (s == FilterTrailersStatus::StopIteration) {
        d.trailers_stop = step;
        return;
      }
    }
    if (d.headers_stop == step || d.data_stop == step) {
      d.trailers_hold_step = step + 1;
      return;
    }
  }
  if constexpr (!kDecode) {
    owner_.sinkTrailers(*owner_.responseTrailers());
  }
}

template <bool kDecode>
void FilterChain::resume(size_t step) {
  Direction& d = dir<kDecode>();
  if (destroyed_) return;
  if (d.trailers_stop == step) {
    d.trailers_stop = kNone;
    runTrailers<kDecode>(step + 1);
    return;
  }
  bool headers_were_here = d.headers_stop == step;
  bool data_was_here = d.data_stop == step;
  assert((headers_were_here || data_was_here) && "resume without a stop");
  if (!headers_were_here && !data_was_here) return;
  if (headers_were_here) {
    d.headers_stop = kNone;
    runHeaders<kDecode>(step + 1);
    if (destroyed_) return;
  }
  // Release, oldest first: bytes that passed this filter, then bytes it buffered.
  if (d.hold_step == step + 1) {
    d.injected_step = kNone;
    Buffer data = std::move(d.held);
    bool end = d.held_end;
    d.hold_step = kNone;
    d.held_end = false;
    runData<kDecode>(step + 1, data, end);
    if (destroyed_) return;
  }
  if (data_was_here) {
    d.data_stop = kNone;
    Buffer data;
    if (d.buffered.size() > step && d.buffered[step]) data.move(*d.buffered[step]);
    bool end = d.buffered_end.size() > step && d.buffered_end[step];
    if (!data.empty() || end) runData<kDecode>(step + 1, data, end);
    if (destroyed_) return;
  }
  if (d.trailers_hold_step == step + 1) {
    d.trailers_hold_step = kNone;
    runTrailers<kDecode>(step + 1);
  }
}

// The header's inline entry points use these; both directions are needed.
template void FilterChain::startHeaders<true>(size_t, bool);
template void FilterChain::startHeaders<false>(size_t, bool);
template void FilterChain::startData<true>(size_t, Buffer&, bool);
template void FilterChain::startData<false>(size_t, Buffer&, bool);
template void FilterChain::startTrailers<true>(size_t);
template void FilterChain::startTrailers<false>(size_t);
template void FilterChain::resume<true>(size_t);
template void FilterChain::resume<false>(size_t);

}  // namespace courier::http
