// RedisServer: a real /usr/bin/redis-server on 127.0.0.1 for tests, with
// no persistence and DEBUG enabled, in its own temporary directory. It can be stopped and
// started again on the same port (reconnect tests) and paused (a slow
// Redis). Blocking; for the test's main thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/harness.h"

namespace courier::test {

class RedisServer {
 public:
  // `extra_args` go to redis-server as given (e.g. {"--requirepass", "pw"});
  // a --requirepass there is also used by command().
  explicit RedisServer(std::vector<std::string> extra_args = {},
                       std::string binary = "/usr/bin/redis-server");
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  bool ok() const { return running_; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

  // Starts again on the same port (after stop()); true once it answers PING.
  bool start();
  // SIGKILL (or SIGTERM if `graceful`) and waits for the exit.
  void stop(bool graceful = false);

  // One command over a fresh blocking connection (AUTH first if the server
  // has a password). The reply as text: strings and status as they are,
  // integers in decimal, nil as "(nil)", errors as "(error) MESSAGE",
  // arrays as "[a, b]". "(connection error) ..." if it cannot connect.
  std::string command(const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) const;

  // CLIENT PAUSE for every client (this helper's own connection is gone
  // before it matters): commands from others wait `duration`.
  bool pause(std::chrono::milliseconds duration) const;

  Process* process() { return process_.get(); }

 private:
  bool launch();

  std::string binary_;
  std::vector<std::string> extra_args_;
  std::string password_;
  TempDir dir_;
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
  bool running_ = false;
  std::string error_;
};

}  // namespace courier::test
