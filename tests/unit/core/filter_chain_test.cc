// FilterChain iteration: order, stop/resume, buffering, trailers, local replies.
#include "proxy/http/filter_chain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace courier::http {
namespace {

using Log = std::vector<std::string>;
using ::testing::ElementsAre;
using DS = FilterDataStatus;

std::string endTag(bool end) {
  return end ? ",end" : "";
}

// Records every call as "<name>.<op>(<args>)"; statuses are configurable.
class RecordingFilter : public StreamFilter {
 public:
  RecordingFilter(std::string name, Log& log) : name_(std::move(name)), log_(log) {}

  FilterHeadersStatus decodeHeaders(RequestHeaders&, bool end) override {
    log_.push_back(name_ + ".dh(" + (end ? "end" : "") + ")");
    if (on_decode_headers) on_decode_headers();
    return decode_headers_status;
  }
  FilterDataStatus decodeData(Buffer& data, bool end) override {
    log_.push_back(name_ + ".dd(" + data.toString() + endTag(end) + ")");
    decoded_body += data.toString();
    decode_data_ends += end;
    return pop(decode_data_statuses);
  }
  FilterTrailersStatus decodeTrailers(HeaderMap&) override {
    log_.push_back(name_ + ".dt");
    ++decode_trailers_calls;
    return FilterTrailersStatus::Continue;
  }
  FilterHeadersStatus encodeHeaders(ResponseHeaders& h, bool end) override {
    log_.push_back(name_ + ".eh(" + std::to_string(h.status) + endTag(end) + ")");
    if (on_encode_headers) on_encode_headers(end);
    return encode_headers_status;
  }
  FilterDataStatus encodeData(Buffer& data, bool end) override {
    log_.push_back(name_ + ".ed(" + data.toString() + endTag(end) + ")");
    return pop(encode_data_statuses);
  }
  FilterTrailersStatus encodeTrailers(HeaderMap&) override {
    log_.push_back(name_ + ".et");
    return FilterTrailersStatus::Continue;
  }
  bool wantsDecodeBody() const override { return wants_decode_body; }
  bool wantsEncodeBody() const override { return wants_encode_body; }
  void onDownstreamWatermark(bool above) override {
    log_.push_back(name_ + ".wm(" + (above ? "high" : "low") + ")");
  }
  void onDestroy() override {
    log_.push_back(name_ + ".destroy");
    ++destroy_calls;
  }
  StreamFilterCallbacks& cb() { return *callbacks_; }

  FilterHeadersStatus decode_headers_status = FilterHeadersStatus::Continue;
  FilterHeadersStatus encode_headers_status = FilterHeadersStatus::Continue;
  std::deque<FilterDataStatus> decode_data_statuses;  // popped per call; Continue once empty
  std::deque<FilterDataStatus> encode_data_statuses;
  bool wants_decode_body = false;
  bool wants_encode_body = false;
  std::function<void()> on_decode_headers;
  std::function<void(bool end)> on_encode_headers;
  std::string decoded_body;
  int decode_data_ends = 0;
  int decode_trailers_calls = 0;
  int destroy_calls = 0;

 private:
  static FilterDataStatus pop(std::deque<FilterDataStatus>& q) {
    if (q.empty()) return DS::Continue;
    FilterDataStatus s = q.front();
    q.pop_front();
    return s;
  }
  std::string name_;
  Log& log_;
};

// Holds the stream's headers and records the sink; a local reply destroys
// the chain, as ActiveStream does.
class FakeOwner : public FilterChainOwner {
 public:
  explicit FakeOwner(Log& log) : log_(log) {}
  RequestHeaders* requestHeaders() override { return &request; }
  ResponseHeaders* responseHeaders() override { return response.get(); }
  void setResponseHeaders(std::unique_ptr<ResponseHeaders> h) override { response = std::move(h); }
  void setResponseTrailers(std::unique_ptr<HeaderMap> t) override {
    response_trailers = std::move(t);
  }
  HeaderMap* responseTrailers() override { return response_trailers.get(); }
  HeaderMap* requestTrailers() override { return request_trailers.get(); }
  void sinkHeaders(ResponseHeaders& h, bool end) override {
    log_.push_back("sink.h(" + std::to_string(h.status) + endTag(end) + ")");
  }
  void sinkData(Buffer& data, bool end) override {
    log_.push_back("sink.d(" + data.toString() + endTag(end) + ")");
    data.clear();
  }
  void sinkTrailers(HeaderMap& t) override {
    log_.push_back("sink.t(" + std::string(t.getOr("x-t")) + ")");
  }
  void sendLocalReply(int status, std::string_view error, std::string_view,
                      std::string_view) override {
    log_.push_back("local(" + std::to_string(status) + "," + std::string(error) + ")");
    if (chain) chain->destroy();
  }
  StreamInfo& streamInfo() override { return info; }
  event_base* eventBase() override { return nullptr; }
  const WorkerServices& workerServices() override { return services; }
  void setDownstreamReadEnabled(bool on) override {
    log_.push_back(std::string("read(") + (on ? "on" : "off") + ")");
  }
  void onBufferLimit(bool request_direction) override {
    log_.push_back(std::string("limit(") + (request_direction ? "request" : "response") + ")");
  }

  RequestHeaders request;
  std::unique_ptr<ResponseHeaders> response;
  std::unique_ptr<HeaderMap> request_trailers;
  std::unique_ptr<HeaderMap> response_trailers;
  StreamInfo info;
  WorkerServices services;
  FilterChain* chain = nullptr;

 private:
  Log& log_;
};

class FilterChainTest : public ::testing::Test {
 protected:
  void build(size_t n, size_t buffer_limit = 1 << 20) {
    chain = std::make_unique<FilterChain>(owner, buffer_limit);
    owner.chain = chain.get();
    for (size_t i = 0; i < n; ++i) {
      auto filter = std::make_unique<RecordingFilter>("f" + std::to_string(i), log);
      f.push_back(filter.get());
      chain->add(std::move(filter));
    }
  }
  void wantBody() {
    for (auto* x : f) x->wants_decode_body = x->wants_encode_body = true;
  }
  void decodeData(std::string_view s, bool end) {
    Buffer b;
    b.add(s);
    chain->decodeData(b, end);
  }
  void decodeTrailers() {
    owner.request_trailers = std::make_unique<HeaderMap>();
    owner.request_trailers->add("x-t", "1");
    chain->decodeTrailers();
  }
  static std::unique_ptr<ResponseHeaders> response(int status) {
    auto h = std::make_unique<ResponseHeaders>();
    h->status = status;
    return h;
  }
  // Response calls made by filter `i` (the router is the last one).
  void encodeHeadersFrom(size_t i, int status, bool end) {
    f[i]->cb().encodeHeaders(response(status), end);
  }
  void encodeDataFrom(size_t i, std::string_view s, bool end) {
    Buffer b;
    b.add(s);
    f[i]->cb().encodeData(b, end);
  }
  void encodeTrailersFrom(size_t i) {
    auto t = std::make_unique<HeaderMap>();
    t->add("x-t", "7");
    f[i]->cb().encodeTrailers(std::move(t));
  }
  Log only(std::string_view prefix) const {
    Log out;
    for (const auto& e : log)
      if (e.rfind(prefix, 0) == 0) out.push_back(e);
    return out;
  }

  Log log;
  FakeOwner owner{log};
  std::unique_ptr<FilterChain> chain;
  std::vector<RecordingFilter*> f;
};

// ---- decode side ----

TEST_F(FilterChainTest, DecodeRunsInConfigOrder) {
  build(3);
  wantBody();
  chain->decodeHeaders(false);
  decodeData("ab", true);
  EXPECT_THAT(log, ElementsAre("f0.dh()", "f1.dh()", "f2.dh()", "f0.dd(ab,end)", "f1.dd(ab,end)",
                               "f2.dd(ab,end)"));
}

TEST_F(FilterChainTest, StopOnHeadersThenContinueResumesWithNextFilter) {
  build(3);
  f[1]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(true);
  EXPECT_THAT(log, ElementsAre("f0.dh(end)", "f1.dh(end)"));
  f[1]->cb().continueDecoding();
  EXPECT_THAT(log, ElementsAre("f0.dh(end)", "f1.dh(end)", "f2.dh(end)"));
  EXPECT_TRUE(only("f2.dd").empty());  // a headers-only request produces no data call
}

TEST_F(FilterChainTest, DataWhileHeadersStoppedGoesToStoppedFilterButNoFurther) {
  build(3);
  wantBody();
  f[1]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(false);
  decodeData("ab", false);
  decodeData("cd", true);
  EXPECT_THAT(only("f1."), ElementsAre("f1.dh()", "f1.dd(ab)", "f1.dd(cd,end)"));
  EXPECT_TRUE(only("f2.").empty());
  f[1]->cb().continueDecoding();
  EXPECT_THAT(only("f2."), ElementsAre("f2.dh()", "f2.dd(abcd,end)"));
  EXPECT_EQ(f[2]->decode_data_ends, 1);
}

TEST_F(FilterChainTest, DataWhileHeadersStoppedSkipsStoppedFilterWithoutBodyInterest) {
  build(3);
  wantBody();
  f[1]->wants_decode_body = false;
  f[1]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(false);
  decodeData("x", false);
  decodeData("y", false);
  decodeData("z", true);
  EXPECT_THAT(only("f1."), ElementsAre("f1.dh()"));
  EXPECT_TRUE(only("f2.").empty());
  f[1]->cb().continueDecoding();
  EXPECT_THAT(only("f2."), ElementsAre("f2.dh()", "f2.dd(xyz,end)"));
}

TEST_F(FilterChainTest, EmptyEndOfStreamWhileStoppedArrivesAfterResume) {
  build(2);
  wantBody();
  f[0]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(false);
  decodeData("", true);
  EXPECT_TRUE(only("f1.").empty());
  f[0]->cb().continueDecoding();
  EXPECT_THAT(only("f1."), ElementsAre("f1.dh()", "f1.dd(,end)"));
}

TEST_F(FilterChainTest, StopAndBufferAccumulatesThenContinuePassesItOn) {
  build(3);
  wantBody();
  f[1]->decode_data_statuses = {DS::StopIterationAndBuffer, DS::StopIterationAndBuffer};
  chain->decodeHeaders(false);
  decodeData("a", false);
  decodeData("b", false);
  EXPECT_TRUE(only("f2.dd").empty());
  decodeData("c", true);
  EXPECT_THAT(only("f1.dd"), ElementsAre("f1.dd(a)", "f1.dd(ab)", "f1.dd(abc,end)"));
  EXPECT_THAT(only("f2.dd"), ElementsAre("f2.dd(abc,end)"));
  EXPECT_THAT(only("f0.dd"), ElementsAre("f0.dd(a)", "f0.dd(b)", "f0.dd(c,end)"));
}

TEST_F(FilterChainTest, ContinueDecodingReleasesBufferedBody) {
  build(2);
  wantBody();
  f[0]->decode_data_statuses = {DS::StopIterationAndBuffer, DS::StopIterationAndBuffer};
  chain->decodeHeaders(false);
  decodeData("12", false);
  decodeData("34", true);
  EXPECT_TRUE(only("f1.dd").empty());
  f[0]->cb().continueDecoding();
  EXPECT_THAT(only("f1.dd"), ElementsAre("f1.dd(1234,end)"));
}

TEST_F(FilterChainTest, BufferLimitCallsOwner) {
  build(2, /*buffer_limit=*/4);
  wantBody();
  f[1]->decode_data_statuses = {DS::StopIterationAndBuffer, DS::StopIterationAndBuffer};
  chain->decodeHeaders(false);
  decodeData("abcd", false);
  EXPECT_TRUE(only("limit").empty());  // at the limit is fine
  decodeData("e", false);
  EXPECT_THAT(only("limit"), ElementsAre("limit(request)"));
}

TEST_F(FilterChainTest, DataHeldBehindStoppedHeadersCountsAgainstLimit) {
  build(2, /*buffer_limit=*/4);
  f[0]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(false);
  decodeData("abc", false);
  EXPECT_TRUE(only("limit").empty());
  decodeData("de", false);
  EXPECT_THAT(only("limit"), ElementsAre("limit(request)"));
}

TEST_F(FilterChainTest, TrailersHeldWhileStoppedAndDeliveredAfterResume) {
  build(3);
  wantBody();
  f[1]->wants_decode_body = false;
  f[1]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(false);
  decodeData("body", false);
  decodeTrailers();
  EXPECT_TRUE(only("f2.").empty());
  f[1]->cb().continueDecoding();
  EXPECT_THAT(only("f2."), ElementsAre("f2.dh()", "f2.dd(body)", "f2.dt"));
  EXPECT_EQ(f[2]->decode_data_ends, 0);  // trailers end the stream, not data
}

TEST_F(FilterChainTest, FiltersWithoutBodyInterestAreSkippedForDataAndTrailers) {
  build(3);
  f[1]->wants_decode_body = true;
  chain->decodeHeaders(false);
  decodeData("x", false);
  decodeTrailers();
  EXPECT_THAT(log, ElementsAre("f0.dh()", "f1.dh()", "f2.dh()", "f1.dd(x)", "f1.dt"));
}

TEST_F(FilterChainTest, LocalReplyStopsIterationAndDestroysOnce) {
  build(3);
  wantBody();
  f[1]->on_decode_headers = [&] { f[1]->cb().sendLocalReply(429, "rate_limited", "slow down"); };
  f[1]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(false);
  EXPECT_THAT(log, ElementsAre("f0.dh()", "f1.dh()", "local(429,rate_limited)", "f0.destroy",
                               "f1.destroy", "f2.destroy"));
  EXPECT_TRUE(chain->destroyed());
  for (auto* x : f) EXPECT_EQ(x->destroy_calls, 1);
  chain.reset();  // the destructor must not call onDestroy again (the log outlives the filters)
  EXPECT_THAT(only("f"),
              ElementsAre("f0.dh()", "f1.dh()", "f0.destroy", "f1.destroy", "f2.destroy"));
}

TEST_F(FilterChainTest, LocalReplyFromDecodeDataStopsIteration) {
  build(3);
  wantBody();
  chain->decodeHeaders(false);
  f[0]->decode_data_statuses = {DS::StopIterationNoBuffer};
  decodeData("bad", false);
  EXPECT_TRUE(only("f1.dd").empty());
  f[0]->cb().sendLocalReply(400, "bad_request", "no");
  EXPECT_TRUE(chain->destroyed());
  EXPECT_EQ(f[2]->destroy_calls, 1);
}

TEST_F(FilterChainTest, DestroyCallsOnDestroyOncePerFilter) {
  build(4);
  chain->destroy();
  chain->destroy();
  EXPECT_TRUE(chain->destroyed());
  for (auto* x : f) EXPECT_EQ(x->destroy_calls, 1);
}

TEST_F(FilterChainTest, WatermarkReachesEveryFilter) {
  build(3);
  chain->onDownstreamWatermark(true);
  chain->onDownstreamWatermark(false);
  EXPECT_THAT(log, ElementsAre("f0.wm(high)", "f1.wm(high)", "f2.wm(high)", "f0.wm(low)",
                               "f1.wm(low)", "f2.wm(low)"));
}

TEST_F(FilterChainTest, CallbacksReachTheOwner) {
  build(2);
  owner.request.method = "GET";
  owner.info.request_id = "rid";
  EXPECT_EQ(f[1]->cb().requestHeaders(), &owner.request);
  EXPECT_EQ(f[0]->cb().streamInfo().request_id, "rid");
  f[0]->cb().setDownstreamReadEnabled(false);
  EXPECT_THAT(log, ElementsAre("read(off)"));
}

// ---- encode side ----

TEST_F(FilterChainTest, EncodeRunsFromRouterDownwardsThenSink) {
  build(3);
  wantBody();
  chain->decodeHeaders(true);
  log.clear();
  EXPECT_FALSE(chain->encodeStarted());
  encodeHeadersFrom(2, 200, false);
  EXPECT_TRUE(chain->encodeStarted());
  encodeDataFrom(2, "resp", true);
  EXPECT_THAT(log, ElementsAre("f1.eh(200)", "f0.eh(200)", "sink.h(200)", "f1.ed(resp,end)",
                               "f0.ed(resp,end)", "sink.d(resp,end)"));
  EXPECT_TRUE(only("f2.").empty());  // the router made the response
}

TEST_F(FilterChainTest, ReplyFromOutsideAnyFilterStartsAtTheLastFilter) {
  build(2);
  owner.response = response(503);
  chain->encodeHeaders(chain->size(), true);
  EXPECT_THAT(log, ElementsAre("f1.eh(503,end)", "f0.eh(503,end)", "sink.h(503,end)"));
}

TEST_F(FilterChainTest, FilterAnsweringItselfSkipsItselfAndLaterFilters) {
  build(4);
  wantBody();
  f[2]->decode_headers_status = FilterHeadersStatus::StopIteration;
  f[2]->on_decode_headers = [&] {  // a cache hit
    encodeHeadersFrom(2, 200, false);
    encodeDataFrom(2, "cached", true);
  };
  chain->decodeHeaders(true);
  EXPECT_THAT(log, ElementsAre("f0.dh(end)", "f1.dh(end)", "f2.dh(end)", "f1.eh(200)", "f0.eh(200)",
                               "sink.h(200)", "f1.ed(cached,end)", "f0.ed(cached,end)",
                               "sink.d(cached,end)"));
}

TEST_F(FilterChainTest, EncodeStopOnHeadersHoldsDataUntilContinue) {
  build(3);
  wantBody();
  f[1]->encode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(true);
  log.clear();
  encodeHeadersFrom(2, 200, false);
  encodeDataFrom(2, "ab", false);
  encodeDataFrom(2, "cd", true);
  EXPECT_THAT(log, ElementsAre("f1.eh(200)", "f1.ed(ab)", "f1.ed(cd,end)"));
  log.clear();
  f[1]->cb().continueEncoding();
  EXPECT_THAT(log, ElementsAre("f0.eh(200)", "sink.h(200)", "f0.ed(abcd,end)", "sink.d(abcd,end)"));
}

TEST_F(FilterChainTest, EncodeStopAndBufferThenContinue) {
  build(2);
  wantBody();
  f[0]->encode_data_statuses = {DS::StopIterationAndBuffer, DS::StopIterationAndBuffer};
  chain->decodeHeaders(true);
  log.clear();
  encodeHeadersFrom(1, 200, false);
  encodeDataFrom(1, "x", false);
  encodeDataFrom(1, "y", false);
  encodeDataFrom(1, "z", true);
  EXPECT_THAT(log, ElementsAre("f0.eh(200)", "sink.h(200)", "f0.ed(x)", "f0.ed(xy)",
                               "f0.ed(xyz,end)", "sink.d(xyz,end)"));
}

TEST_F(FilterChainTest, EncodeTrailersHeldWhileStoppedThenSunk) {
  build(3);
  wantBody();
  f[1]->encode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(true);
  log.clear();
  encodeHeadersFrom(2, 200, false);
  encodeDataFrom(2, "d", false);
  encodeTrailersFrom(2);
  EXPECT_TRUE(only("sink").empty());
  EXPECT_TRUE(only("f0.").empty());
  f[1]->cb().continueEncoding();
  EXPECT_THAT(only("sink"), ElementsAre("sink.h(200)", "sink.d(d)", "sink.t(7)"));
  EXPECT_THAT(only("f0."), ElementsAre("f0.eh(200)", "f0.ed(d)", "f0.et"));
}

TEST_F(FilterChainTest, EncodeBufferLimitCallsOwnerForResponse) {
  build(2, /*buffer_limit=*/2);
  wantBody();
  f[0]->encode_data_statuses = {DS::StopIterationAndBuffer, DS::StopIterationAndBuffer};
  chain->decodeHeaders(true);
  encodeHeadersFrom(1, 200, false);
  encodeDataFrom(1, "ab", false);
  EXPECT_TRUE(only("limit").empty());
  encodeDataFrom(1, "c", false);
  EXPECT_THAT(only("limit"), ElementsAre("limit(response)"));
}

// ---- cases the iteration rules in filter_chain.h imply ----

// filter_chain.h: "data and trailers for filters after k are held"; filters
// before k already passed the headers and want the body, so they see trailers.
TEST_F(FilterChainTest, TrailersReachBodyFiltersBeforeTheStoppedOne) {
  build(3);
  wantBody();
  f[1]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(false);
  decodeData("x", false);
  decodeTrailers();
  EXPECT_EQ(f[0]->decode_trailers_calls, 1);
  f[1]->cb().continueDecoding();
  EXPECT_EQ(f[0]->decode_trailers_calls, 1);
  EXPECT_EQ(f[1]->decode_trailers_calls, 1);
  EXPECT_EQ(f[2]->decode_trailers_calls, 1);
}

// A filter buffering the body (f0) sits before a filter stopped on headers
// (f1). Resuming f1 must not end the stream for f2 while f0 holds the body.
TEST_F(FilterChainTest, EndStreamNotSentPastAFilterStillBuffering) {
  build(3);
  wantBody();
  f[1]->wants_decode_body = false;
  f[0]->decode_data_statuses = {DS::StopIterationAndBuffer};
  f[1]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(false);
  decodeData("abc", true);
  f[1]->cb().continueDecoding();
  EXPECT_TRUE(only("f2.dd").empty()) << "f2 got data while f0 still buffers the body";
  f[0]->cb().continueDecoding();
  EXPECT_THAT(only("f2.dd"), ElementsAre("f2.dd(abc,end)"));
  EXPECT_EQ(f[2]->decode_data_ends, 1);
}

// Bytes f0 passed on (held at the stopped f1) must not reach f1 again when
// f0 later releases what it buffered.
TEST_F(FilterChainTest, DataIsNotOfferedTwiceToTheStoppedFilter) {
  build(3);
  wantBody();
  f[0]->decode_data_statuses = {DS::Continue, DS::StopIterationAndBuffer};
  f[1]->decode_headers_status = FilterHeadersStatus::StopIteration;
  chain->decodeHeaders(false);
  decodeData("a", false);
  decodeData("b", true);
  f[0]->cb().continueDecoding();
  f[1]->cb().continueDecoding();
  EXPECT_EQ(f[1]->decoded_body, "ab");
  EXPECT_EQ(f[2]->decoded_body, "ab");
  EXPECT_EQ(f[1]->decode_data_ends, 1);
  EXPECT_EQ(f[2]->decode_data_ends, 1);
}

// A filter gives a bodiless response a body (a cache answering an origin's
// 304 from its entry): later filters see the headers without end_stream,
// then the body with it.
TEST_F(FilterChainTest, InjectedBodyFollowsTheHeaders) {
  build(3);
  wantBody();
  f[1]->on_encode_headers = [&](bool end) {
    ASSERT_TRUE(end);
    Buffer body;
    body.add("stored");
    f[1]->cb().injectEncodedBody(body);
    EXPECT_TRUE(body.empty());
  };
  encodeHeadersFrom(2, 304, true);
  EXPECT_THAT(log, ElementsAre("f1.eh(304,end)", "f0.eh(304)", "sink.h(304)", "f0.ed(stored,end)",
                               "sink.d(stored,end)"));
}

TEST_F(FilterChainTest, InjectedBodyWaitsWhileTheInjectorHoldsTheHeaders) {
  build(3);
  wantBody();
  f[1]->encode_headers_status = FilterHeadersStatus::StopIteration;
  f[1]->on_encode_headers = [&](bool) {
    Buffer body;
    body.add("stored");
    f[1]->cb().injectEncodedBody(body);
  };
  encodeHeadersFrom(2, 200, true);
  EXPECT_THAT(log, ElementsAre("f1.eh(200,end)"));
  f[1]->cb().continueEncoding();
  EXPECT_THAT(log, ElementsAre("f1.eh(200,end)", "f0.eh(200)", "sink.h(200)", "f0.ed(stored,end)",
                               "sink.d(stored,end)"));
}

}  // namespace
}  // namespace courier::http
