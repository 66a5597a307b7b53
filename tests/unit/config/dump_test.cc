#include "config/dump.h"

#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "filters/registry.h"

namespace courier::config {
namespace {

// A strict recursive-descent JSON checker (RFC 8259 grammar, no extensions):
// enough to prove the output parses without pulling in a JSON library.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view s) : s_(s) {}
  bool valid() {
    ws();
    if (!value()) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  bool value() {
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }
  bool object() {
    ++i_;
    ws();
    if (peek('}')) return ++i_, true;
    while (true) {
      ws();
      if (!string()) return false;
      ws();
      if (!peek(':')) return false;
      ++i_;
      ws();
      if (!value()) return false;
      ws();
      if (peek('}')) return ++i_, true;
      if (!peek(',')) return false;
      ++i_;
    }
  }
  bool array() {
    ++i_;
    ws();
    if (peek(']')) return ++i_, true;
    while (true) {
      ws();
      if (!value()) return false;
      ws();
      if (peek(']')) return ++i_, true;
      if (!peek(',')) return false;
      ++i_;
    }
  }
  bool string() {
    if (!peek('"')) return false;
    for (++i_; i_ < s_.size(); ++i_) {
      auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') return ++i_, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        char e = s_[i_];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k)
            if (++i_ >= s_.size() || !isxdigit(static_cast<unsigned char>(s_[i_]))) return false;
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool number() {
    size_t start = i_;
    if (peek('-')) ++i_;
    if (!digits()) return false;
    if (s_[start + (s_[start] == '-')] == '0' && i_ - start > 1u + (s_[start] == '-')) return false;
    if (peek('.')) {
      ++i_;
      if (!digits()) return false;
    }
    if (peek('e') || peek('E')) {
      ++i_;
      if (peek('+') || peek('-')) ++i_;
      if (!digits()) return false;
    }
    return true;
  }
  bool digits() {
    size_t start = i_;
    while (i_ < s_.size() && isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ > start;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void ws() {
    while (i_ < s_.size() && std::string_view(" \t\r\n").find(s_[i_]) != std::string_view::npos)
      ++i_;
  }
  std::string_view s_;
  size_t i_ = 0;
};

TEST(JsonChecker, SelfTest) {
  EXPECT_TRUE(JsonChecker(R"({"a":[1,-2.5e3,true,null,"x\"\u00e9"],"b":{}})").valid());
  EXPECT_FALSE(JsonChecker(R"({"a":1,})").valid());
  EXPECT_FALSE(JsonChecker(R"({"a" 1})").valid());
  EXPECT_FALSE(JsonChecker("\"raw\ncontrol\"").valid());
  EXPECT_FALSE(JsonChecker("01").valid());
  EXPECT_FALSE(JsonChecker("[1] x").valid());
}

TEST(RenderConfigJson, MinimalConfigExactly) {
  auto r = loadConfigString(R"toml([server]
workers = 2

[clusters.app]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "all"
cluster = "app"
)toml",
                            "minimal.toml", filters::registry());
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  EXPECT_EQ(renderConfigJson(**r),
            R"({"source_path":"minimal.toml","server":{)"
            R"("listen":{"address":"0.0.0.0:8080","resolved":"0.0.0.0:8080"},)"
            R"("admin":{"address":"127.0.0.1:9901","resolved":"127.0.0.1:9901"},)"
            R"("workers":2,"max_connections":20000,"header_timeout":"10s","idle_timeout":"1m",)"
            R"("max_header_bytes":65536,"max_body_bytes":16777216,"drain_timeout":"15s",)"
            R"("stream_idle_timeout":"1m","http2_max_concurrent_streams":100,)"
            R"("http2_stream_window":262144,)"
            R"("trusted_proxies":[],"admin_token_file":null,"access_log":"stdout",)"
            R"("access_log_sample":1},"redis":null,)"
            R"("cache":{"memory_bytes":268435456,"max_object_bytes":8388608},)"
            R"("clusters":[{"name":"app","endpoints":[{"address":"127.0.0.1:9000",)"
            R"("resolved":"127.0.0.1:9000"}],"protocol":"http1","lb":"round_robin",)"
            R"("connect_timeout":"1s","idle_timeout":"1m","max_idle_per_endpoint":16384}],)"
            R"("routes":[{"name":"all","match":{"hosts":[],"path":null,"prefix":null,"regex":null,)"
            R"("methods":[],"headers":[]},"cluster":"app","timeout":"5m",)"
            R"("stream_idle_timeout":null,"prefix_rewrite":null,)"
            R"("host_rewrite":null,"filters":[]}]})");
}

TEST(RenderConfigJson, RichConfigIsValidJsonWithEscapes) {
  auto r = loadConfigString(R"toml([server]
listen = "[::1]:0"
trusted_proxies = ["10.0.0.0/8"]
access_log_sample = 0.125
idle_timeout = "1500ms"

[clusters.agent]
endpoints = ["localhost:9000"]

[[routes]]
name = "quote\"back\\slash\ttab"
cluster = "agent"
match = { hosts = ["*.example.com"], regex = "/v1/\\d+", methods = ["POST"], headers = [ { name = "x-a", regex = "a|b" }, { name = "x-b", present = false } ] }
headers = { request_add = { "x-q" = "say \"hi\"" }, response_remove = ["server"] }
)toml",
                            "rich.toml", filters::registry());
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  std::string json = renderConfigJson(**r);
  EXPECT_TRUE(JsonChecker(json).valid()) << json;
  EXPECT_NE(json.find(R"("name":"quote\"back\\slash\ttab")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("regex":"/v1/\\d+")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("idle_timeout":"1500ms")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("access_log_sample":0.125)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("trusted_proxies":["10.0.0.0/8"])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("headers":[{"name":"x-a","regex":"a|b","present":true},)"
                      R"({"name":"x-b","present":false}])"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("filters":[{"name":"headers","config":{"request_add":{"x-q":)"
                      R"("say \"hi\""},"request_remove":[],"response_add":{},)"
                      R"("response_remove":["server"]}}])"),
            std::string::npos)
      << json;
}

}  // namespace
}  // namespace courier::config
