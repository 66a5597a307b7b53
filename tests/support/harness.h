// Helpers for tests that run real processes: loopback ports, temporary
// directories, child processes, the demo upstream and courier itself. No
// mocks. Everything here is blocking and meant for the test's main thread.
//
// Binaries: DemoUpstream and CourierProcess take an explicit path, or else
// use (1) the environment variables COURIER_DEMO_UPSTREAM / COURIER_BINARY,
// (2) the compile definitions of the same names in the test target that
// includes this header, (3) courier-demo-upstream / courier next to or one
// level above the test executable.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/http_client.h"

namespace courier::test {

using namespace std::chrono_literals;

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then
// released). Another process may still take it; prefer port 0 where the
// program under test can report its port.
uint16_t freeLoopbackPort();
// Polls until something accepts TCP connections on 127.0.0.1:port.
bool waitForPort(uint16_t port, Ms timeout = 5000ms);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction unless COURIER_KEEP_TMP is set in the environment.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

bool writeFile(const std::string& path, std::string_view content);
std::string readFile(const std::string& path);  // "" if unreadable

struct ProcessOptions {
  std::string binary;  // path; not searched in PATH
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing) ours
  std::string log_dir;  // where NAME.stdout / NAME.stderr go; default: a private TempDir
  std::string name;     // file name stem; default: the binary's base name
};

// A child process: fork/exec with stdout and stderr captured to files and
// stdin from /dev/null. It runs in its own process group and gets SIGKILL if
// the thread that started it dies (PR_SET_PDEATHSIG), so nothing outlives the
// test; the destructor kills the group and reaps it.
class Process {
 public:
  explicit Process(ProcessOptions options);
  Process(std::string binary, std::vector<std::string> args,
          std::vector<std::pair<std::string, std::string>> env = {})
      : Process(ProcessOptions{std::move(binary), std::move(args), std::move(env), {}, {}}) {}
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  bool started() const { return pid_ > 0 && error_.empty(); }
  const std::string& error() const { return error_; }  // why exec failed
  pid_t pid() const { return pid_; }
  bool running();  // reaps the child if it has exited

  // Waits until a complete stdout (or stderr) line contains `needle`; stores
  // that line (without '\n') in *line. False on timeout or if the process
  // exits first.
  bool waitForLine(std::string_view needle, Ms timeout, std::string* line = nullptr,
                   bool from_stderr = false);
  void signal(int sig);  // to the process only, not its group
  // Exit status, or 128 + signal if a signal ended it; nullopt on timeout.
  std::optional<int> waitExit(Ms timeout);

  const std::string& stdoutPath() const { return stdout_path_; }
  const std::string& stderrPath() const { return stderr_path_; }
  std::string stdoutText() const { return readFile(stdout_path_); }
  std::string stderrText() const { return readFile(stderr_path_); }
  // The last `bytes` of stdout and stderr, labelled: for failure messages.
  std::string logTail(size_t bytes = 4000) const;

 private:
  std::unique_ptr<TempDir> own_dir_;
  std::string stdout_path_, stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string error_;
};

// The demo upstream (tests/support/demo_upstream.cc) on 127.0.0.1, port 0.
class DemoUpstream {
 public:
  explicit DemoUpstream(std::vector<std::string> extra_args = {}, std::string binary = {});
  bool ok() const { return port_ != 0; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  Process& process() { return *process_; }
  HttpClient client(Ms timeout = 10000ms) const { return HttpClient(port_, timeout); }

  // GET /__stats over a fresh connection (which /__stats itself does not
  // count as a request, but does count in `connections`).
  struct Stats {
    bool ok = false;
    uint64_t requests = 0;
    uint64_t connections = 0;
    int64_t active_connections = 0;
    std::map<std::string, uint64_t> by_path;
    uint64_t hits(const std::string& path) const {
      auto it = by_path.find(path);
      return it == by_path.end() ? 0 : it->second;
    }
  };
  Stats stats() const;
  uint64_t requests() const { return stats().requests; }
  uint64_t hits(const std::string& path) const { return stats().hits(path); }
  bool reset() const;  // POST /__reset

 private:
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
  std::string error_;
};

struct CourierOptions {
  std::map<std::string, std::string> vars;  // extra {{NAME}} placeholders
  std::vector<std::string> extra_args;
  std::vector<std::pair<std::string, std::string>> env;
  bool wait_ready = true;
  Ms ready_timeout = 10000ms;
  std::string binary;
};

// Replaces {{NAME}} with vars[NAME]; false (and *error) if a placeholder has
// no value.
bool renderTemplate(std::string_view text, const std::map<std::string, std::string>& vars,
                    std::string& out, std::string* error = nullptr);

// courier --config FILE, with the config rendered from a TOML template.
// Placeholders: {{LISTEN}} / {{ADMIN}} ("127.0.0.1:PORT" on free ports),
// {{LISTEN_PORT}}, {{ADMIN_PORT}}, {{DIR}} (the temp dir holding the config
// and logs) and the caller's vars (e.g. {"UPSTREAM", upstream.address()}).
// With wait_ready, the constructor polls GET /ready on the admin port until
// it answers 200 (ok() is false if it does not within ready_timeout, or if
// courier exits; error() then holds its output).
class CourierProcess {
 public:
  explicit CourierProcess(std::string_view config_template, CourierOptions options = {});
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return listen_port_; }
  uint16_t adminPort() const { return admin_port_; }
  const std::string& configPath() const { return config_path_; }
  const std::string& dir() const { return dir_.path(); }
  Process& process() { return *process_; }
  HttpClient client(Ms timeout = 10000ms) const { return HttpClient(listen_port_, timeout); }
  HttpClient adminClient(Ms timeout = 10000ms) const { return HttpClient(admin_port_, timeout); }

  bool waitReady(Ms timeout);
  // Re-renders a template over the config file (for reload tests); the
  // ports and vars stay the same.
  bool rewriteConfig(std::string_view config_template, std::string* error = nullptr);

 private:
  TempDir dir_;
  std::map<std::string, std::string> vars_;
  std::unique_ptr<Process> process_;
  std::string config_path_;
  uint16_t listen_port_ = 0, admin_port_ = 0;
  bool ok_ = false;
  std::string error_;
};

namespace detail {
void setDefaultBinaries(const char* courier, const char* demo_upstream);
std::string courierBinary();
std::string demoUpstreamBinary();
}  // namespace detail

}  // namespace courier::test

// Records the including target's compile-time binary paths (each test source
// that includes this header does it once, at static initialisation).
#if defined(COURIER_BINARY) && defined(COURIER_DEMO_UPSTREAM)
namespace {
[[maybe_unused]] const bool kCourierTestBinariesRegistered =
    (::courier::test::detail::setDefaultBinaries(COURIER_BINARY, COURIER_DEMO_UPSTREAM), true);
}  // namespace
#endif
