// Shared helpers of the integration tests; not a test itself. Declared and
// described in integration_support.h.
#include "tests/integration/integration_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>

namespace courier::test {
namespace {

class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : s_(text) {}

  bool topObject(std::map<std::string, std::string>* members, std::string* error) {
    ws();
    bool ok = object(members) && (ws(), i_ == s_.size());
    if (!ok && error) {
      *error = "invalid JSON at offset " + std::to_string(i_) + ": " +
               std::string(s_.substr(i_ > 20 ? i_ - 20 : 0, 40));
    }
    return ok;
  }

 private:
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool value(std::string* raw_or_string, int depth) {
    if (depth > 64) return false;
    ws();
    if (i_ >= s_.size()) return false;
    size_t start = i_;
    bool ok;
    switch (s_[i_]) {
      case '{':
        ok = object(nullptr, depth + 1);
        break;
      case '[':
        ok = array(depth + 1);
        break;
      case '"': {
        std::string str;
        ok = string(&str);
        if (ok && raw_or_string) *raw_or_string = std::move(str);
        return ok;
      }
      case 't':
        ok = literal("true");
        break;
      case 'f':
        ok = literal("false");
        break;
      case 'n':
        ok = literal("null");
        break;
      default:
        ok = number();
    }
    if (ok && raw_or_string) *raw_or_string = std::string(s_.substr(start, i_ - start));
    return ok;
  }
  bool object(std::map<std::string, std::string>* members, int depth = 0) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    do {
      ws();
      std::string key, val;
      if (!string(&key) || !eat(':') || !value(members ? &val : nullptr, depth)) return false;
      if (members) (*members)[key] = std::move(val);
    } while (eat(','));
    return eat('}');
  }
  bool array(int depth) {
    if (!eat('[')) return false;
    if (eat(']')) return true;
    do {
      if (!value(nullptr, depth)) return false;
    } while (eat(','));
    return eat(']');
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  bool digits() {
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;
  }
  bool number() {
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!digits()) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    return true;
  }
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  bool string(std::string* out) {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    for (++i_; i_ < s_.size(); ++i_) {
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;  // raw control characters are not allowed
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        continue;
      }
      if (++i_ >= s_.size()) return false;
      // The short escapes: \" \\ \/ \b \f \n \r \t.
      static constexpr std::string_view kEscaped = "\"\\/bfnrt";
      static constexpr std::string_view kMeaning = "\"\\/\b\f\n\r\t";
      if (size_t k = kEscaped.find(s_[i_]); k != std::string_view::npos) {
        out->push_back(kMeaning[k]);
        continue;
      }
      if (s_[i_] != 'u') return false;
      uint32_t cp = 0;
      for (int k = 0; k < 4; ++k) {
        if (++i_ >= s_.size() || hex(s_[i_]) < 0) return false;
        cp = cp * 16 + static_cast<uint32_t>(hex(s_[i_]));
      }
      // Tests only look at ASCII; keep others as '?'.
      out->push_back(cp < 0x80 ? static_cast<char>(cp) : '?');
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

bool parseJsonObject(std::string_view text, std::map<std::string, std::string>* members,
                     std::string* error) {
  std::map<std::string, std::string> ignored;
  return JsonReader(text).topObject(members ? members : &ignored, error);
}

std::string configHead(int workers, std::string_view server_keys) {
  return "\n[server]\nlisten = \"{{LISTEN}}\"\nadmin = \"{{ADMIN}}\"\nworkers = " +
         std::to_string(workers) + "\n" + std::string(server_keys) +
         "\n[clusters.agent]\nendpoints = [\"{{UPSTREAM}}\"]\n";
}

std::unique_ptr<CourierProcess> startCourier(std::string_view config_template,
                                             CourierOptions options) {
  std::unique_ptr<CourierProcess> courier;
  for (int attempt = 0; attempt < 3; ++attempt) {
    courier = std::make_unique<CourierProcess>(config_template, options);
    if (courier->ok() || courier->error().find("Address already in use") == std::string::npos)
      break;
  }
  return courier;
}

void CourierTest::startProxy(std::string_view config_template,
                             std::map<std::string, std::string> vars) {
  ASSERT_TRUE(up_.ok()) << up_.error();
  CourierOptions options;
  options.vars = std::move(vars);
  options.vars["UPSTREAM"] = up_.address();
  courier_ = startCourier(config_template, options);
  ASSERT_TRUE(courier_->ok()) << courier_->error();
}

void CourierTest::TearDown() {
  if (courier_ && HasFailure()) std::cerr << courier_->process().logTail() << "\n";
}

std::optional<std::string> jsonString(const std::string& json, const std::string& key,
                                      const std::string& object) {
  size_t from = 0;
  if (!object.empty()) {
    from = json.find("\"" + object + "\":{");
    if (from == std::string::npos) return std::nullopt;
  }
  size_t pos = json.find("\"" + key + "\":\"", from);
  if (pos == std::string::npos) return std::nullopt;
  pos += key.size() + 4;
  std::string out;
  for (; pos < json.size() && json[pos] != '"'; ++pos) {
    if (json[pos] == '\\' && pos + 1 < json.size()) ++pos;
    out.push_back(json[pos]);
  }
  return out;
}

int64_t msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<Ms>(b - a).count();
}

std::string pattern(size_t n, size_t offset) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (offset + i) % 26);
  return s;
}

std::string randomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(s.data() + i, &v, std::min<size_t>(8, n - i));
  }
  return s;
}

std::vector<std::string> splitLines(const std::string& text, bool skip_empty) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start || !skip_empty) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

double sample(const std::string& text, const std::string& series) {
  size_t pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + series.size() + 2));
}

int boundLoopbackSocket(uint16_t* port, int rcvbuf) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace courier::test
