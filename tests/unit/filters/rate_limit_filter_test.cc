// The rate_limit filter on its own, local scope: decisions, the 429 and the
// RateLimit-* fields. (Redis scope and the real chain run in
// tests/integration/rate_limit*_test.cc against a real courier and Redis.)
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "filters/rate_limit/config.h"
#include "filters/registry.h"
#include "proxy/http/filter.h"
#include "proxy/stats/worker_stats.h"

namespace courier::filters::rate_limit {
namespace {

// Records what the filter asks of its stream; a local reply's head goes
// through the filter's onLocalReply, as ActiveStream does it.
class RecordingCallbacks : public http::StreamFilterCallbacks {
 public:
  RecordingCallbacks() : stats(1, 1) { services.stats = &stats; }

  void continueDecoding() override { ++continued; }
  void continueEncoding() override {}
  void sendLocalReply(int status, std::string_view error, std::string_view,
                      std::string_view) override {
    reply_status = status;
    reply_error = error;
    http::ResponseHeaders head;
    filter->onLocalReply(head);
    reply_headers.clear();
    for (const auto& f : head.headers.fields()) reply_headers.emplace_back(f.name, f.value);
  }
  void encodeHeaders(std::unique_ptr<http::ResponseHeaders>, bool) override {}
  void encodeData(Buffer&, bool) override {}
  void encodeTrailers(std::unique_ptr<http::HeaderMap>) override {}
  void injectEncodedBody(Buffer&) override {}
  http::RequestHeaders* requestHeaders() override { return nullptr; }
  http::StreamInfo& streamInfo() override { return info; }
  event_base* eventBase() override { return nullptr; }
  const http::WorkerServices& workerServices() override { return services; }
  void setDownstreamReadEnabled(bool) override {}

  std::string replyHeader(std::string_view name) const {
    for (const auto& [n, v] : reply_headers)
      if (n == name) return v;
    return "(absent)";
  }

  http::StreamFilter* filter = nullptr;
  stats::WorkerStats stats;
  http::WorkerServices services;
  http::StreamInfo info;
  int continued = 0;
  int reply_status = 0;
  std::string reply_error;
  std::vector<std::pair<std::string, std::string>> reply_headers;
};

struct Outcome {
  int status = 0;  // 200 = passed on, else the local reply's status
  std::string limit, remaining, reset, retry_after;
};

class RateLimitFilterTest : public ::testing::Test {
 protected:
  void configure(const std::string& rate_limit) {
    auto r = config::loadConfigString(
        "[clusters.a]\nendpoints = [\"127.0.0.1:1\"]\n[[routes]]\nname = \"r\"\n"
        "cluster = \"a\"\nrate_limit = " +
            rate_limit + "\n",
        "courier.toml", filters::registry());
    ASSERT_TRUE(r.ok()) << config::formatErrors(r.error());
    config_ = *r;
  }

  Outcome request(std::string_view client_ip, std::string_view api_key = {}) {
    const config::FilterConfig& fc = *config_->routes[0].filters[0];
    std::unique_ptr<http::StreamFilter> filter = fc.createFilter();
    RecordingCallbacks cb;
    cb.filter = filter.get();
    cb.info.client_address = std::string(client_ip);
    filter->setCallbacks(cb);
    http::RequestHeaders req;
    req.method = "GET";
    req.path = "/";
    if (!api_key.empty()) req.headers.add("x-api-key", api_key);
    Outcome out;
    if (filter->decodeHeaders(req, true) == http::FilterHeadersStatus::StopIteration) {
      out.status = cb.reply_status;
      out.limit = cb.replyHeader("ratelimit-limit");
      out.remaining = cb.replyHeader("ratelimit-remaining");
      out.reset = cb.replyHeader("ratelimit-reset");
      out.retry_after = cb.replyHeader("retry-after");
      EXPECT_EQ(cb.reply_error, "rate_limited");
    } else {
      http::ResponseHeaders resp;
      resp.status = 200;
      filter->encodeHeaders(resp, true);
      out.status = 200;
      out.limit = std::string(resp.headers.getOr("ratelimit-limit", "(absent)"));
      out.remaining = std::string(resp.headers.getOr("ratelimit-remaining", "(absent)"));
      out.reset = std::string(resp.headers.getOr("ratelimit-reset", "(absent)"));
      out.retry_after = std::string(resp.headers.getOr("retry-after", "(absent)"));
    }
    filter->onDestroy();
    decisions_allowed_ += cb.stats.route(0).ratelimit_decisions[0].load();
    decisions_limited_ += cb.stats.route(0).ratelimit_decisions[1].load();
    return out;
  }

  std::shared_ptr<const config::Config> config_;
  uint64_t decisions_allowed_ = 0, decisions_limited_ = 0;
};

TEST_F(RateLimitFilterTest, AllowsBurstThenAnswers429WithRetryAfter) {
  configure(R"({ key = "client_ip", rate = 1, per = "10s", burst = 3 })");
  for (const char* remaining : {"2", "1", "0"}) {
    Outcome o = request("10.0.0.1");
    EXPECT_EQ(o.status, 200);
    EXPECT_EQ(o.limit, "3");
    EXPECT_EQ(o.remaining, remaining);
    EXPECT_EQ(o.retry_after, "(absent)");
  }
  Outcome refused = request("10.0.0.1");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.limit, "3");
  EXPECT_EQ(refused.remaining, "0");
  EXPECT_EQ(refused.retry_after, "10");  // one token per 10 s
  EXPECT_EQ(refused.reset, "30");        // three tokens to earn back
  // Another client has its own bucket.
  EXPECT_EQ(request("10.0.0.2").status, 200);
  EXPECT_EQ(decisions_allowed_, 4u);
  EXPECT_EQ(decisions_limited_, 1u);
}

TEST_F(RateLimitFilterTest, HeadersDescribeTheTightestLimit) {
  configure(R"([ { key = "client_ip", rate = 100, burst = 100 },
                 { key = "header:x-api-key", rate = 1, per = "1m", burst = 2 } ])");
  Outcome o = request("10.0.0.1", "k1");
  EXPECT_EQ(o.limit, "2");
  EXPECT_EQ(o.remaining, "1");
  EXPECT_EQ(o.reset, "60");
}

TEST_F(RateLimitFilterTest, ARefusedRequestCostsNoTokensFromOtherLimits) {
  configure(R"([ { key = "route", rate = 1, per = "1m", burst = 5 },
                 { key = "header:x-api-key", rate = 1, per = "1m", burst = 1 } ])");
  EXPECT_EQ(request("10.0.0.1", "a").status, 200);  // route: 4 left
  EXPECT_EQ(request("10.0.0.1", "a").status, 429);  // refused by the key limit
  EXPECT_EQ(request("10.0.0.1", "a").status, 429);
  // The route bucket still has 4 tokens: b, c, d, e pass; f does not.
  for (const char* key : {"b", "c", "d", "e"}) EXPECT_EQ(request("10.0.0.1", key).status, 200);
  Outcome f = request("10.0.0.1", "f");
  EXPECT_EQ(f.status, 429);
  EXPECT_EQ(f.limit, "5");
}

TEST_F(RateLimitFilterTest, MissingHeaderSharesTheEmptyKeyUnlessSkipped) {
  configure(R"({ key = "header:x-api-key", rate = 1, per = "1m", burst = 1 })");
  EXPECT_EQ(request("10.0.0.1").status, 200);
  EXPECT_EQ(request("10.0.0.2").status, 429);  // same empty-key bucket
  EXPECT_EQ(request("10.0.0.2", "k").status, 200);

  configure(
      R"({ key = "header:x-api-key", rate = 1, per = "1m", burst = 1, skip_if_missing = true })");
  for (int i = 0; i < 5; ++i) {
    Outcome o = request("10.0.0.1");
    EXPECT_EQ(o.status, 200);
    EXPECT_EQ(o.limit, "(absent)");  // no limit applied
  }
}

}  // namespace
}  // namespace courier::filters::rate_limit
