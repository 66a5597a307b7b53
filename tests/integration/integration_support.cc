// Shared helpers of the integration tests; not a test itself. The test
// files that use them repeat these declarations (tests/integration holds no
// headers):
//
//   namespace courier::test {
//   bool parseJsonObject(std::string_view text, std::map<std::string, std::string>* members,
//                        std::string* error);
//   std::unique_ptr<CourierProcess> startCourier(std::string_view config_template,
//                                                CourierOptions options);
//   }
//
// parseJsonObject validates the whole text as one JSON object (RFC 8259, no
// trailing garbage except whitespace) and returns its top-level members:
// strings unescaped, every other value as its raw JSON text.
//
// startCourier is `new CourierProcess(...)`, retried (with fresh ports) when
// courier could not bind: freeLoopbackPort() releases its port before
// courier binds it, and under `ctest -j` another test's process can take it
// in between.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "tests/support/harness.h"

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
      switch (s_[i_]) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          for (int k = 0; k < 4; ++k) {
            if (++i_ >= s_.size() || hex(s_[i_]) < 0) return false;
            cp = cp * 16 + static_cast<uint32_t>(hex(s_[i_]));
          }
          // Tests only look at ASCII; keep others as '?'.
          out->push_back(cp < 0x80 ? static_cast<char>(cp) : '?');
          break;
        }
        default:
          return false;
      }
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

}  // namespace courier::test
