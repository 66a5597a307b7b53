// What the integration tests (tests/integration/*_test.cc) share: CourierTest,
// the fixture that runs courier in front of a demo upstream, the config head
// their templates start with, and small helpers for JSON, timing, bodies,
// text and sockets. Defined in integration_support.cc (templates here).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/harness.h"

namespace courier::test {

// --- courier ------------------------------------------------------------------

// The head of the courier config templates: a blank line, [server] on
// {{LISTEN}} and {{ADMIN}} with `workers` and then `server_keys` (whole
// "key = value\n" lines), and [clusters.agent] on {{UPSTREAM}}. The caller
// appends the rest, starting with a blank line, so with no server_keys the
// first line after the head is line 9 of the file.
std::string configHead(int workers, std::string_view server_keys = "");

// `new CourierProcess(...)`, retried (with fresh ports) when courier could
// not bind: freeLoopbackPort() releases its port before courier binds it,
// and under `ctest -j` another test's process can take it in between.
std::unique_ptr<CourierProcess> startCourier(std::string_view config_template,
                                             CourierOptions options);

// A demo upstream (up_, started by the constructor) and courier in front of
// it (courier_, started by startProxy()). On failure, TearDown prints
// courier's log tail.
class CourierTest : public ::testing::Test {
 protected:
  explicit CourierTest(std::vector<std::string> upstream_args = {"--quiet"})
      : up_(std::move(upstream_args)) {}

  // Starts courier from `config_template`, {{UPSTREAM}} being up_ and the
  // other placeholders `vars`. A fatal failure if up_ or courier is not up.
  void startProxy(std::string_view config_template, std::map<std::string, std::string> vars = {});
  void TearDown() override;

  DemoUpstream up_;
  std::unique_ptr<CourierProcess> courier_;
};

// --- JSON -----------------------------------------------------------------------

// Validates the whole text as one JSON object (RFC 8259, no trailing garbage
// except whitespace) and returns its top-level members: strings unescaped,
// every other value as its raw JSON text.
bool parseJsonObject(std::string_view text, std::map<std::string, std::string>* members,
                     std::string* error);

// The first string field `key` ("key":"value") of compact JSON, or, with
// `object`, the first one after `"object":{`. nullopt if absent.
std::optional<std::string> jsonString(const std::string& json, const std::string& key,
                                      const std::string& object = "");

// --- time -----------------------------------------------------------------------

int64_t msBetween(Clock::time_point a, Clock::time_point b);
inline int64_t msSince(Clock::time_point t) {
  return msBetween(t, Clock::now());
}

// Calls pred() every `interval` until it is true or `timeout` has passed;
// then once more.
template <typename Pred>
bool pollUntil(Ms timeout, Pred pred, Ms interval = Ms(10)) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(interval);
  }
  return pred();
}

// --- bodies ---------------------------------------------------------------------

// The demo upstream's body pattern: 'a' + (offset + i) % 26.
std::string pattern(size_t n, size_t offset = 0);
// n pseudo-random bytes, the same for the same seed.
std::string randomBytes(size_t n, uint64_t seed);

// --- text -----------------------------------------------------------------------

// The lines of `text` without their '\n' (none after a final '\n'); empty
// lines are kept unless `skip_empty`.
std::vector<std::string> splitLines(const std::string& text, bool skip_empty = false);
inline std::vector<std::string> nonEmptyLines(const std::string& text) {
  return splitLines(text, true);
}

// The value of the Prometheus sample `series` (name plus labels, exactly as
// printed) in `text`, or -1 if there is no such line.
double sample(const std::string& text, const std::string& series);

// --- sockets --------------------------------------------------------------------

// A TCP socket bound (not listening) to 127.0.0.1 on a port of the kernel's
// choosing, stored in *port; with `rcvbuf`, SO_RCVBUF is set first. -1 on
// failure.
int boundLoopbackSocket(uint16_t* port, int rcvbuf = 0);

}  // namespace courier::test
