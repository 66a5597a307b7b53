// The admin listener: /healthz, /ready, /config, /stats and the Prometheus
// /metrics after known traffic.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(2) + R"(
[[routes]]
name = "api"
match = { prefix = "/api/" }
cluster = "agent"
prefix_rewrite = "/"

[[routes]]
name = "default"
match = { prefix = "/", methods = ["GET"] }
cluster = "agent"
)";

class AdminMetricsTest : public CourierTest {
 protected:
  void SetUp() override { startProxy(kConfig); }
  std::string metrics() {
    Response r = courier_->adminClient().get("/metrics");
    EXPECT_EQ(r.status, 200) << r.error;
    return r.body;
  }
};

TEST_F(AdminMetricsTest, HealthzAndReady) {
  HttpClient admin = courier_->adminClient();
  Response r = admin.get("/healthz");
  EXPECT_EQ(r.status, 200) << r.error;
  r = admin.get("/ready");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(admin.get("/no-such-admin-page").status, 404);
  // The admin API is not on the proxy port, and vice versa.
  Response proxied = courier_->client().get("/metrics");
  EXPECT_EQ(proxied.status, 404) << "the upstream answers /metrics with its own 404";
  EXPECT_EQ(proxied.body.find("courier_requests_total"), std::string::npos);
}

TEST_F(AdminMetricsTest, ConfigIsTheRunningConfigAsJson) {
  Response r = courier_->adminClient().get("/config");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
  std::map<std::string, std::string> top;
  std::string error;
  ASSERT_TRUE(parseJsonObject(r.body, &top, &error)) << error;
  ASSERT_TRUE(top.count("routes")) << r.body.substr(0, 300);
  ASSERT_TRUE(top.count("clusters"));
  ASSERT_TRUE(top.count("server"));
  EXPECT_NE(top["routes"].find("\"api\""), std::string::npos);
  EXPECT_NE(top["routes"].find("\"default\""), std::string::npos);
  EXPECT_LT(top["routes"].find("\"api\""), top["routes"].find("\"default\"")) << "order kept";
  EXPECT_NE(top["clusters"].find(up_.address()), std::string::npos) << top["clusters"];
  EXPECT_NE(top["server"].find(std::to_string(courier_->port())), std::string::npos);
}

TEST_F(AdminMetricsTest, RequestCountsAndDurations) {
  HttpClient c = courier_->client();
  for (int i = 0; i < 7; ++i) ASSERT_EQ(c.get("/bytes/10").status, 200);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(c.get("/status/503").status, 503);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.get("/api/bytes/1").status, 200);
  ASSERT_EQ(c.request("DELETE", "/x").status, 404);  // no route

  std::string text;
  EXPECT_TRUE(pollUntil(Ms(2000), [&] {
    text = metrics();
    return sample(text, R"(courier_requests_total{route="default",code="200",protocol="http1"})") ==
           7;
  })) << text.substr(0, 2000);
  EXPECT_EQ(sample(text, R"(courier_requests_total{route="default",code="503",protocol="http1"})"),
            2);
  EXPECT_EQ(sample(text, R"(courier_requests_total{route="api",code="200",protocol="http1"})"), 3);
  std::smatch m;
  EXPECT_TRUE(std::regex_search(
      text, m,
      std::regex(R"(\ncourier_requests_total\{route="[^"]*",code="404",protocol="http1"\} 1\n)")))
      << "the no-route 404 is not counted";
  EXPECT_NE(text.find("# TYPE courier_requests_total counter"), std::string::npos);
  EXPECT_EQ(text.find("protocol=\"http2\""), std::string::npos) << "every client spoke HTTP/1.1";

  // The histogram: cumulative buckets from 0.5 ms to 300 s, then +Inf = count.
  EXPECT_NE(text.find("# TYPE courier_request_duration_seconds histogram"), std::string::npos);
  std::regex bucket(
      R"re(\ncourier_request_duration_seconds_bucket\{route="default",le="([^"]+)"\} ([0-9.e+-]+))re");
  std::vector<std::pair<std::string, double>> buckets;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), bucket);
       it != std::sregex_iterator(); ++it) {
    buckets.emplace_back((*it)[1], std::stod((*it)[2]));
  }
  ASSERT_GE(buckets.size(), 5u);
  EXPECT_EQ(std::stod(buckets.front().first), 0.0005);
  EXPECT_EQ(buckets[buckets.size() - 2].first, "300");
  EXPECT_EQ(buckets.back().first, "+Inf");
  for (size_t i = 1; i < buckets.size(); ++i) {
    EXPECT_GE(buckets[i].second, buckets[i - 1].second) << "le=" << buckets[i].first;
  }
  EXPECT_EQ(buckets.back().second, 9);
  EXPECT_EQ(sample(text, R"(courier_request_duration_seconds_count{route="default"})"), 9);
  EXPECT_GT(sample(text, R"(courier_request_duration_seconds_sum{route="default"})"), 0);
}

TEST_F(AdminMetricsTest, SlowRequestsLandInHigherBuckets) {
  HttpClient c = courier_->client();
  ASSERT_EQ(c.get("/delay/120").status, 200);
  std::string text;
  ASSERT_TRUE(pollUntil(Ms(2000), [&] {
    text = metrics();
    return sample(text, R"(courier_request_duration_seconds_count{route="default"})") == 1;
  }));
  EXPECT_EQ(sample(text, R"(courier_request_duration_seconds_bucket{route="default",le="0.1"})"),
            0);
  EXPECT_EQ(sample(text, R"(courier_request_duration_seconds_bucket{route="default",le="0.25"})"),
            1);
  EXPECT_GE(sample(text, R"(courier_request_duration_seconds_sum{route="default"})"), 0.12);
}

TEST_F(AdminMetricsTest, ActiveConnectionsGauge) {
  std::vector<HttpClient> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(courier_->client());
    ASSERT_EQ(clients.back().get("/bytes/1").status, 200);
  }
  std::string text;
  EXPECT_TRUE(pollUntil(Ms(2000),
                        [&] {
                          text = metrics();
                          return sample(text, "courier_active_connections") == 3;
                        }))
      << "courier_active_connections = " << sample(text, "courier_active_connections");
  EXPECT_NE(text.find("# TYPE courier_active_connections gauge"), std::string::npos);
  clients.clear();
  EXPECT_TRUE(
      pollUntil(Ms(2000), [&] { return sample(metrics(), "courier_active_connections") == 0; }));
}

TEST_F(AdminMetricsTest, BuildInfo) {
  std::string text = metrics();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(\ncourier_build_info\{([^}]*)\} 1\n)")))
      << text;
  EXPECT_NE(m[1].str().find("version=\"" COURIER_VERSION "\""), std::string::npos) << m[1];
  EXPECT_NE(text.find("# TYPE courier_build_info gauge"), std::string::npos);
  Response r = courier_->adminClient().get("/metrics");
  EXPECT_NE(r.header("content-type").find("text/plain"), std::string::npos)
      << r.header("content-type");
}

TEST_F(AdminMetricsTest, StatsJson) {
  HttpClient c = courier_->client();
  for (int i = 0; i < 4; ++i) ASSERT_EQ(c.get("/bytes/10").status, 200);
  ASSERT_EQ(c.get("/status/503").status, 503);
  Response r;
  std::map<std::string, std::string> top;
  std::string error;
  EXPECT_TRUE(pollUntil(Ms(2000),
                        [&] {
                          r = courier_->adminClient().get("/stats");
                          top.clear();
                          return r.status == 200 && parseJsonObject(r.body, &top, &error) &&
                                 top["routes"].find(R"("name":"default","requests_total":5)") !=
                                     std::string::npos;
                        }))
      << error << r.body;
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
  const std::string& routes = top["routes"];
  size_t def = routes.find(R"("name":"default")");
  ASSERT_NE(def, std::string::npos);
  std::string route = routes.substr(def, routes.find(R"("name":)", def + 10) - def);
  EXPECT_NE(route.find(R"("codes":{"200":4,"503":1},"protocols":{"http1":5,"http2":0})"),
            std::string::npos)
      << route;
  EXPECT_NE(route.find(R"("p99":)"), std::string::npos) << route;
  EXPECT_EQ(route.find(R"("p50":null)"), std::string::npos) << route;
  EXPECT_TRUE(top.count("clusters"));
}

}  // namespace
}  // namespace courier::test
