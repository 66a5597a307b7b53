#include "tests/support/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace courier::test {
namespace {

std::pair<std::string, std::string>& registeredBinaries() {
  static std::pair<std::string, std::string> paths;  // courier, demo upstream
  return paths;
}

// The env var (to point tests at e.g. a sanitizer build), else the compile
// definition, else next to the test executable or one directory up.
std::string findBinary(const std::string& registered, const char* env, const char* file) {
  if (const char* v = std::getenv(env); v && *v) return v;
  if (!registered.empty()) return registered;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const auto& dir : {exe.parent_path(), exe.parent_path().parent_path()}) {
      if (std::filesystem::exists(dir / file)) return (dir / file).string();
    }
  }
  return file;
}

void sleepMs(int ms) {
  std::this_thread::sleep_for(Ms(ms));
}

// Minimal reader for the demo upstream's /__stats JSON: "key":number pairs
// and one nested object of them.
bool parseStats(std::string_view json, DemoUpstream::Stats& out) {
  size_t i = 0;
  auto skip = [&] {
    while (i < json.size() && (json[i] == ' ' || json[i] == '\n')) ++i;
  };
  auto str = [&](std::string& s) {
    if (i >= json.size() || json[i] != '"') return false;
    for (++i; i < json.size() && json[i] != '"'; ++i) {
      if (json[i] == '\\' && i + 1 < json.size()) ++i;
      s.push_back(json[i]);
    }
    return i++ < json.size();
  };
  auto num = [&](int64_t& v) {
    size_t start = i;
    if (i < json.size() && json[i] == '-') ++i;
    while (i < json.size() && json[i] >= '0' && json[i] <= '9') ++i;
    if (i == start) return false;
    v = std::strtoll(std::string(json.substr(start, i - start)).c_str(), nullptr, 10);
    return true;
  };
  skip();
  if (i >= json.size() || json[i++] != '{') return false;
  while (true) {
    skip();
    std::string key;
    if (!str(key)) return false;
    skip();
    if (i >= json.size() || json[i++] != ':') return false;
    skip();
    int64_t v = 0;
    if (key == "by_path") {
      if (i >= json.size() || json[i++] != '{') return false;
      skip();
      while (i < json.size() && json[i] != '}') {
        std::string path;
        if (!str(path) || json[i++] != ':' || !num(v)) return false;
        out.by_path[path] = static_cast<uint64_t>(v);
        skip();
        if (i < json.size() && json[i] == ',') ++i;
        skip();
      }
      ++i;
    } else {
      if (!num(v)) return false;
      if (key == "requests") out.requests = static_cast<uint64_t>(v);
      if (key == "connections") out.connections = static_cast<uint64_t>(v);
      if (key == "active_connections") out.active_connections = v;
    }
    skip();
    if (i < json.size() && json[i] == ',') {
      ++i;
      continue;
    }
    return i < json.size() && json[i] == '}';
  }
}

}  // namespace

namespace detail {
void setDefaultBinaries(const char* courier, const char* demo_upstream) {
  registeredBinaries() = {courier, demo_upstream};
}
std::string courierBinary() {
  return findBinary(registeredBinaries().first, "COURIER_BINARY", "courier");
}
std::string demoUpstreamBinary() {
  return findBinary(registeredBinaries().second, "COURIER_DEMO_UPSTREAM", "courier-demo-upstream");
}
}  // namespace detail

uint16_t freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool waitForPort(uint16_t port, Ms timeout) {
  auto deadline = Clock::now() + timeout;
  do {
    HttpClient probe(port, Ms(200));
    if (probe.connect()) return true;
    sleepMs(10);
  } while (Clock::now() < deadline);
  return false;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/courier-test-XXXXXX";
  if (mkdtemp(tmpl.data())) path_ = tmpl;
}

TempDir::~TempDir() {
  if (path_.empty() || std::getenv("COURIER_KEEP_TMP")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool writeFile(const std::string& path, std::string_view content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  return static_cast<bool>(f);
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

Process::Process(ProcessOptions o) {
  std::string name = o.name.empty() ? std::filesystem::path(o.binary).filename().string() : o.name;
  if (o.log_dir.empty()) {
    own_dir_ = std::make_unique<TempDir>();
    o.log_dir = own_dir_->path();
  }
  stdout_path_ = o.log_dir + "/" + name + ".stdout";
  stderr_path_ = o.log_dir + "/" + name + ".stderr";

  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    bool replaced = false;
    for (const auto& [k, v] : o.env) replaced |= kv.substr(0, kv.find('=')) == k;
    if (!replaced) env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : o.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv{o.binary.data()}, envp;
  for (auto& a : o.args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out = open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int status_pipe[2] = {-1, -1};
  if (out < 0 || err < 0 || null < 0 || pipe2(status_pipe, O_CLOEXEC) != 0) {
    error_ = "cannot create log files in " + o.log_dir + ": " + strerror(errno);
  } else {
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      dup2(null, 0);
      dup2(out, 1);
      dup2(err, 2);
      execve(argv[0], argv.data(), envp.data());
      int e = errno;
      (void)!write(status_pipe[1], &e, sizeof e);
      _exit(127);
    }
    if (pid_ > 0) setpgid(pid_, pid_);  // also here, so a kill(-pid) right away works
    close(status_pipe[1]);
    int exec_errno = 0;
    if (pid_ < 0) {
      error_ = std::string("fork: ") + strerror(errno);
    } else if (read(status_pipe[0], &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
      error_ = "cannot run " + o.binary + ": " + strerror(exec_errno);
      waitExit(Ms(5000));
    }
    close(status_pipe[0]);
  }
  for (int fd : {out, err, null}) {
    if (fd >= 0) close(fd);
  }
}

Process::~Process() {
  if (pid_ > 0 && running()) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

bool Process::running() {
  if (pid_ <= 0 || exit_code_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    exit_code_ = -1;
  }
  return false;
}

void Process::signal(int sig) {
  if (pid_ > 0 && running()) kill(pid_, sig);
}

std::optional<int> Process::waitExit(Ms timeout) {
  auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    sleepMs(2);
  }
  return exit_code_;
}

bool Process::waitForLine(std::string_view needle, Ms timeout, std::string* line,
                          bool from_stderr) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    bool alive = running();  // read after checking, so a last line is not missed
    std::string text = readFile(from_stderr ? stderr_path_ : stdout_path_);
    for (size_t pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + 1)) {
      size_t begin = text.rfind('\n', pos);
      begin = begin == std::string::npos ? 0 : begin + 1;
      size_t end = text.find('\n', pos);
      if (end == std::string::npos && alive) break;  // the line is still being written
      if (line)
        *line = text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
      return true;
    }
    if (!alive || Clock::now() >= deadline) return false;
    sleepMs(5);
  }
}

std::string Process::logTail(size_t bytes) const {
  auto tail = [bytes](std::string s) { return s.size() > bytes ? s.substr(s.size() - bytes) : s; };
  return "--- stdout (" + stdout_path_ + ") ---\n" + tail(stdoutText()) + "--- stderr (" +
         stderr_path_ + ") ---\n" + tail(stderrText());
}

DemoUpstream::DemoUpstream(std::vector<std::string> extra_args, std::string binary) {
  ProcessOptions o;
  o.binary = binary.empty() ? detail::demoUpstreamBinary() : std::move(binary);
  o.args = {"--listen", "127.0.0.1:0"};
  o.args.insert(o.args.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<Process>(std::move(o));
  std::string line;
  if (!process_->started()) {
    error_ = process_->error();
  } else if (!process_->waitForLine("listening on ", Ms(10000), &line)) {
    error_ = "demo upstream did not start\n" + process_->logTail();
  } else {
    int port = std::atoi(line.substr(line.rfind(':') + 1).c_str());
    if (port > 0 && port < 65536) port_ = static_cast<uint16_t>(port);
    if (!port_) error_ = "cannot parse the port from: " + line;
  }
}

DemoUpstream::Stats DemoUpstream::stats() const {
  Stats s;
  Response r = HttpClient(port_, Ms(5000)).get("/__stats");
  s.ok = r.status == 200 && parseStats(r.body, s);
  return s;
}

bool DemoUpstream::reset() const {
  return HttpClient(port_, Ms(5000)).post("/__reset", "").status == 200;
}

bool renderTemplate(std::string_view text, const std::map<std::string, std::string>& vars,
                    std::string& out, std::string* error) {
  out.clear();
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    out.append(text.substr(pos, open - pos));
    if (open == std::string_view::npos) return true;
    size_t close = text.find("}}", open);
    std::string name(text.substr(open + 2, close == std::string_view::npos ? 0 : close - open - 2));
    auto it = vars.find(name);
    if (close == std::string_view::npos || it == vars.end()) {
      if (error) *error = "config template: no value for {{" + name + "}}";
      return false;
    }
    out += it->second;
    pos = close + 2;
  }
}

CourierProcess::CourierProcess(std::string_view config_template, CourierOptions o)
    : vars_(std::move(o.vars)) {
  listen_port_ = freeLoopbackPort();
  admin_port_ = freeLoopbackPort();
  while (admin_port_ == listen_port_) admin_port_ = freeLoopbackPort();
  vars_["LISTEN_PORT"] = std::to_string(listen_port_);
  vars_["ADMIN_PORT"] = std::to_string(admin_port_);
  vars_["LISTEN"] = "127.0.0.1:" + vars_["LISTEN_PORT"];
  vars_["ADMIN"] = "127.0.0.1:" + vars_["ADMIN_PORT"];
  vars_["DIR"] = dir_.path();
  config_path_ = dir_.file("courier.toml");
  if (!rewriteConfig(config_template, &error_)) return;

  ProcessOptions p;
  p.binary = o.binary.empty() ? detail::courierBinary() : std::move(o.binary);
  p.args = {"--config", config_path_};
  p.args.insert(p.args.end(), o.extra_args.begin(), o.extra_args.end());
  p.env = std::move(o.env);
  p.log_dir = dir_.path();
  process_ = std::make_unique<Process>(std::move(p));
  if (!process_->started()) {
    error_ = process_->error();
    return;
  }
  ok_ = !o.wait_ready || waitReady(o.ready_timeout);
}

bool CourierProcess::waitReady(Ms timeout) {
  auto deadline = Clock::now() + timeout;
  HttpClient admin(admin_port_, Ms(1000));
  std::string last = "no answer";
  while (Clock::now() < deadline) {
    if (!process_->running()) {
      error_ = "courier exited with " + std::to_string(process_->waitExit(Ms(0)).value_or(-1)) +
               " before it was ready\n" + process_->logTail();
      return false;
    }
    Response r = admin.get("/ready");
    if (r.status == 200) return true;
    last = r.ok() ? "status " + std::to_string(r.status) : r.error;
    sleepMs(20);
  }
  error_ = "courier was not ready within " + std::to_string(timeout.count()) + " ms (" + last +
           ")\n" + process_->logTail();
  return false;
}

bool CourierProcess::rewriteConfig(std::string_view config_template, std::string* error) {
  std::string text;
  if (!renderTemplate(config_template, vars_, text, error)) return false;
  if (writeFile(config_path_, text)) return true;
  if (error) *error = "cannot write " + config_path_;
  return false;
}

}  // namespace courier::test
