#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace courier::test {
namespace {

constexpr size_t kMaxHead = 1 << 20;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool hasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (lower(trim(list.substr(0, comma))) == token) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool hasHeader(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return lower(h.first) == name; });
}

int msLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left + 1, 1 << 30));
}

// Parses "name: value" CRLF-separated lines of `text` into `out`.
bool parseFields(std::string_view text, std::multimap<std::string, std::string>& out) {
  while (!text.empty()) {
    size_t eol = text.find("\r\n");
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 2);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    out.emplace(lower(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }
  return true;
}

}  // namespace

std::string Response::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}
bool Response::has(std::string_view name) const {
  return headers.count(lower(name)) > 0;
}
size_t Response::count(std::string_view name) const {
  return headers.count(lower(name));
}
std::string Response::trailer(std::string_view name) const {
  auto it = trailers.find(lower(name));
  return it == trailers.end() ? std::string() : it->second;
}

HttpClient::HttpClient(uint16_t port, Ms timeout, std::string host)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

HttpClient::~HttpClient() {
  close();
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : host_(std::move(other.host_)),
      port_(other.port_),
      timeout_(other.timeout_),
      fd_(std::exchange(other.fd_, -1)),
      connects_(other.connects_),
      eof_(other.eof_),
      server_will_close_(other.server_will_close_),
      in_(std::move(other.in_)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    close();
    host_ = std::move(other.host_);
    port_ = other.port_;
    timeout_ = other.timeout_;
    fd_ = std::exchange(other.fd_, -1);
    connects_ = other.connects_;
    eof_ = other.eof_;
    server_will_close_ = other.server_will_close_;
    in_ = std::move(other.in_);
  }
  return *this;
}

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
  eof_ = false;
  server_will_close_ = false;
}

bool HttpClient::connect() {
  close();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) return false;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return false;
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ++connects_;
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
  if (errno == EINPROGRESS) {
    pollfd p{fd_, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, msLeft(Clock::now() + timeout_)) == 1 &&
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
      return true;
    }
  }
  close();
  return false;
}

bool HttpClient::peerClosed() {
  if (fd_ < 0 || eof_) return true;
  if (!in_.empty()) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, 0) != 1) return false;
  char c;
  ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    eof_ = true;
    return true;
  }
  return false;
}

bool HttpClient::ensureConnected(std::string& error) {
  if (!server_will_close_ && !peerClosed()) return true;
  if (connect()) return true;
  error = "cannot connect to " + host_ + ":" + std::to_string(port_) + ": " + strerror(errno);
  return false;
}

bool HttpClient::sendAll(std::string_view data, Clock::time_point deadline, std::string& error) {
  size_t off = 0;
  while (off < data.size()) {
    pollfd p{fd_, POLLOUT | POLLIN, 0};
    int n = poll(&p, 1, msLeft(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n == 0 ? "timeout while sending" : strerror(errno);
      return false;
    }
    if ((p.revents & POLLIN) && !eof_) {  // keep reading so an echo cannot deadlock
      char buf[65536];
      ssize_t got = recv(fd_, buf, sizeof buf, 0);
      if (got > 0) in_.append(buf, got);
      if (got == 0) eof_ = true;
    }
    if (p.revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t w = ::send(fd_, data.data() + off, std::min<size_t>(data.size() - off, 1 << 18),
                         MSG_NOSIGNAL);
      if (w > 0) {
        off += w;
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        error = std::string("send: ") + strerror(errno);
        return false;
      }
    } else if (eof_) {
      error = "connection closed by peer while sending";
      return false;
    }
  }
  return true;
}

bool HttpClient::readMore(Clock::time_point deadline, std::string& error) {
  if (fd_ < 0) {
    error = "not connected";
    return false;
  }
  while (!eof_) {
    pollfd p{fd_, POLLIN, 0};
    int n = poll(&p, 1, msLeft(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n == 0 ? "timeout" : strerror(errno);
      return false;
    }
    char buf[65536];
    ssize_t got = recv(fd_, buf, sizeof buf, 0);
    if (got > 0) {
      in_.append(buf, got);
      return true;
    }
    if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
      error = got == 0 ? "" : strerror(errno);
      eof_ = true;
    }
  }
  if (error.empty()) error = "connection closed by peer";
  return false;
}

Response HttpClient::readResponse(bool head_request) {
  Response r;
  auto deadline = Clock::now() + timeout_;
  std::string err;
  size_t pos = 0;
  auto fail = [&](std::string why) {
    r.status = 0;
    r.error = err.empty() ? why : why + " (" + err + ")";
    r.raw = std::move(in_);
    in_.clear();
    server_will_close_ = true;  // the stream is out of sync: start afresh next time
    return std::move(r);
  };
  auto need = [&](size_t n) {
    while (in_.size() < pos + n) {
      if (!readMore(deadline, err)) return false;
    }
    return true;
  };
  auto line = [&](size_t& eol) {
    while ((eol = in_.find("\r\n", pos)) == std::string::npos) {
      if (in_.size() - pos > kMaxHead || !readMore(deadline, err)) return false;
    }
    return true;
  };

  while (true) {  // the head; 1xx interim responses are skipped
    size_t end;
    while ((end = in_.find("\r\n\r\n", pos)) == std::string::npos) {
      if (in_.size() - pos > kMaxHead) return fail("response head too large");
      if (!readMore(deadline, err)) {
        return fail(in_.size() == pos ? "no response" : "incomplete response head");
      }
    }
    r.head_at = Clock::now();
    std::string_view head(in_.data() + pos, end + 2 - pos);
    std::string_view status_line = head.substr(0, head.find("\r\n"));
    int status = 0;
    // "HTTP/1.x SSS[ reason]"
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ' ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, status).ptr !=
            status_line.data() + 12 ||
        (status_line.size() > 12 && status_line[12] != ' ')) {
      return fail("malformed status line: " + std::string(status_line.substr(0, 80)));
    }
    r.headers.clear();
    if (!parseFields(head.substr(status_line.size() + 2), r.headers)) {
      return fail("malformed header field");
    }
    r.minor_version = status_line[7] - '0';
    r.reason = status_line.size() > 13 ? std::string(status_line.substr(13)) : std::string();
    pos = end + 4;
    if (status >= 100 && status < 200 && status != 101) {
      r.interim.push_back(status);
      continue;
    }
    r.status = status;
    break;
  }

  std::string te = r.header("transfer-encoding");
  bool no_body = head_request || r.status < 200 || r.status == 204 || r.status == 304;
  if (no_body) {
    // nothing
  } else if (!te.empty() && hasToken(te, "chunked")) {
    r.chunked = true;
    while (true) {
      size_t eol;
      if (!line(eol)) return fail("incomplete chunk size line");
      std::string_view size_line(in_.data() + pos, eol - pos);
      size_line = trim(size_line.substr(0, size_line.find(';')));
      size_t size = 0;
      auto [p, ec] =
          std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
      if (size_line.empty() || ec != std::errc() || p != size_line.data() + size_line.size()) {
        return fail("bad chunk size: " + std::string(size_line.substr(0, 40)));
      }
      pos = eol + 2;
      if (size == 0) break;
      if (!need(size + 2)) return fail("incomplete chunk");
      r.body.append(in_, pos, size);
      r.chunks.push_back({size, Clock::now()});
      pos += size;
      if (in_.compare(pos, 2, "\r\n") != 0) return fail("chunk not followed by CRLF");
      pos += 2;
    }
    size_t eol;
    while (true) {  // trailer section
      if (!line(eol)) return fail("incomplete trailers");
      bool empty = eol == pos;
      if (!empty && !parseFields(std::string_view(in_.data() + pos, eol - pos), r.trailers)) {
        return fail("malformed trailer field");
      }
      pos = eol + 2;
      if (empty) break;
    }
  } else if (r.has("content-length") && te.empty()) {
    uint64_t length = 0;
    for (auto [it, last] = r.headers.equal_range("content-length"); it != last; ++it) {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
      if (ec != std::errc() || p != it->second.data() + it->second.size() ||
          (it != r.headers.find("content-length") && v != length)) {
        return fail("bad content-length: " + it->second);
      }
      length = v;
    }
    if (!need(length)) return fail("incomplete body");
    r.body.assign(in_, pos, length);
    pos += length;
  } else {  // delimited by close
    while (readMore(deadline, err)) {
    }
    if (!eof_) return fail("close-delimited body did not end");
    r.body.assign(in_, pos);
    pos = in_.size();
    server_will_close_ = true;
  }
  r.done_at = Clock::now();
  r.raw = in_.substr(0, pos);
  in_.erase(0, pos);
  std::string connection = r.header("connection");
  if (hasToken(connection, "close") ||
      (r.minor_version == 0 && !hasToken(connection, "keep-alive"))) {
    server_will_close_ = true;
  }
  return r;
}

Response HttpClient::send(std::string_view method, const std::string& wire) {
  std::string err;
  if (!ensureConnected(err)) {
    Response r;
    r.error = err;
    return r;
  }
  auto sent_at = Clock::now();
  bool sent = sendAll(wire, sent_at + timeout_, err);
  Response r = readResponse(method == "HEAD");
  r.sent_at = sent_at;
  if (!sent && !r.ok()) r.error = err + "; then " + r.error;
  return r;
}

Response HttpClient::request(std::string_view method, std::string_view target,
                             const Headers& headers, std::string_view body) {
  std::string wire;
  wire.reserve(256 + body.size());
  wire.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!hasHeader(headers, "host")) wire += "Host: " + host_ + ":" + std::to_string(port_) + "\r\n";
  for (const auto& [name, value] : headers) wire += name + ": " + value + "\r\n";
  bool framed = hasHeader(headers, "content-length") || hasHeader(headers, "transfer-encoding");
  if (!framed && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")) {
    wire += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  wire += "\r\n";
  wire.append(body);
  return send(method, wire);
}

Response HttpClient::requestChunked(std::string_view method, std::string_view target,
                                    const Headers& headers, const std::vector<std::string>& chunks,
                                    const Headers& trailers) {
  std::string wire;
  wire.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!hasHeader(headers, "host")) wire += "Host: " + host_ + ":" + std::to_string(port_) + "\r\n";
  for (const auto& [name, value] : headers) wire += name + ": " + value + "\r\n";
  wire += "Transfer-Encoding: chunked\r\n\r\n";
  char size[24];
  for (const std::string& chunk : chunks) {
    if (chunk.empty()) continue;  // an empty chunk would end the body
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    wire.append(size).append(chunk).append("\r\n");
  }
  wire += "0\r\n";
  for (const auto& [name, value] : trailers) wire += name + ": " + value + "\r\n";
  wire += "\r\n";
  return send(method, wire);
}

bool HttpClient::sendRaw(std::string_view bytes) {
  if (fd_ < 0 && !connect()) return false;
  std::string err;
  return sendAll(bytes, Clock::now() + timeout_, err);
}

std::string HttpClient::readRaw(Ms timeout, std::string_view until) {
  auto deadline = Clock::now() + timeout;
  std::string err;
  while (until.empty() || in_.find(until) == std::string::npos) {
    if (!readMore(deadline, err)) break;
  }
  return std::exchange(in_, std::string());
}

bool HttpClient::isClosed(Ms wait) {
  if (fd_ < 0 || (eof_ && in_.empty())) return true;
  if (!in_.empty()) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(wait.count())) != 1) return false;
  return peerClosed();
}

}  // namespace courier::test
