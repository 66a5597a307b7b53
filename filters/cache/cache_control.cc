#include "filters/cache/cache_control.h"

#include <algorithm>

namespace courier::filters::cache {
namespace {

bool isOws(char c) {
  return c == ' ' || c == '\t';
}

// RFC 9110 §5.6.2 tchar.
bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

struct Directive {
  std::string_view name;   // as written; compare case-insensitively
  std::string_view value;  // without quotes, escapes still in place
  bool has_value = false;
  bool quoted = false;
};

// Walks one field value's comma-separated directives; junk between directives
// is skipped up to the next comma, so one bad directive does not hide the rest.
class DirectiveReader {
 public:
  explicit DirectiveReader(std::string_view text) : rest_(text) {}

  bool next(Directive& d) {
    while (true) {
      skipOwsAndCommas();
      if (rest_.empty()) return false;
      d = Directive{};
      d.name = takeToken();
      if (d.name.empty()) {
        skipToComma();
        continue;
      }
      skipOws();
      if (!rest_.empty() && rest_.front() == '=') {
        rest_.remove_prefix(1);
        skipOws();
        d.has_value = true;
        if (!rest_.empty() && rest_.front() == '"') {
          d.quoted = true;
          d.value = takeQuoted();
        } else {
          d.value = takeToken();
        }
      }
      skipToComma();
      return true;
    }
  }

 private:
  void skipOws() {
    while (!rest_.empty() && isOws(rest_.front())) rest_.remove_prefix(1);
  }
  void skipOwsAndCommas() {
    while (!rest_.empty() && (isOws(rest_.front()) || rest_.front() == ',')) rest_.remove_prefix(1);
  }
  void skipToComma() {
    size_t comma = rest_.find(',');
    rest_.remove_prefix(comma == std::string_view::npos ? rest_.size() : comma);
  }
  std::string_view takeToken() {
    size_t n = 0;
    while (n < rest_.size() && isTokenChar(rest_[n])) ++n;
    std::string_view token = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return token;
  }
  // At the opening quote; returns the inside. An unterminated string runs to the end.
  std::string_view takeQuoted() {
    size_t i = 1;
    while (i < rest_.size() && rest_[i] != '"') i += rest_[i] == '\\' ? 2 : 1;
    std::string_view inside = rest_.substr(1, std::min(i, rest_.size()) - 1);
    rest_.remove_prefix(std::min(i + 1, rest_.size()));
    return inside;
  }

  std::string_view rest_;
};

// delta-seconds of a directive value, unescaping a quoted form ("\6\0" is 60).
std::optional<int64_t> directiveSeconds(const Directive& d) {
  if (!d.has_value) return std::nullopt;
  if (!d.quoted) return parseDeltaSeconds(d.value);
  int64_t value = 0;
  bool any = false;
  for (size_t i = 0; i < d.value.size(); ++i) {
    char c = d.value[i];
    if (c == '\\' && i + 1 < d.value.size()) c = d.value[++i];
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min(value * 10 + (c - '0'), kMaxDeltaSeconds);
    any = true;
  }
  if (!any) return std::nullopt;
  return value;
}

enum class Stricter { Smaller, Larger };

// Applies a delta-seconds directive to `slot`. Returns false if it was
// invalid on a request (and so ignored).
bool applySeconds(std::optional<int64_t>& slot, const Directive& d, bool request,
                  Stricter stricter = Stricter::Smaller) {
  std::optional<int64_t> seconds = directiveSeconds(d);
  if (!seconds) {
    if (request) return false;
    seconds = 0;
  }
  if (!slot) {
    slot = seconds;
  } else {
    slot = stricter == Stricter::Smaller ? std::min(*slot, *seconds) : std::max(*slot, *seconds);
  }
  return true;
}

void applyDirective(CacheControl& cc, const Directive& d, bool request) {
  const std::string_view n = d.name;
  using http::headerNameEquals;
  if (headerNameEquals("no-store", n)) {
    cc.no_store = true;
  } else if (headerNameEquals("no-cache", n)) {
    cc.no_cache = true;
  } else if (headerNameEquals("private", n)) {
    cc.private_ = true;
  } else if (headerNameEquals("public", n)) {
    cc.public_ = true;
  } else if (headerNameEquals("must-revalidate", n)) {
    cc.must_revalidate = true;
  } else if (headerNameEquals("proxy-revalidate", n)) {
    cc.proxy_revalidate = true;
  } else if (headerNameEquals("no-transform", n)) {
    cc.no_transform = true;
  } else if (headerNameEquals("only-if-cached", n)) {
    cc.only_if_cached = true;
  } else if (headerNameEquals("immutable", n)) {
    cc.immutable = true;
  } else if (headerNameEquals("max-age", n)) {
    applySeconds(cc.max_age_s, d, request);
  } else if (headerNameEquals("s-maxage", n)) {
    applySeconds(cc.s_maxage_s, d, request);
  } else if (headerNameEquals("min-fresh", n)) {
    applySeconds(cc.min_fresh_s, d, request, Stricter::Larger);
  } else if (headerNameEquals("stale-while-revalidate", n)) {
    applySeconds(cc.stale_while_revalidate_s, d, request);
  } else if (headerNameEquals("stale-if-error", n)) {
    applySeconds(cc.stale_if_error_s, d, request);
  } else if (headerNameEquals("max-stale", n)) {
    // Without a value the client accepts any staleness.
    if (!d.has_value || applySeconds(cc.max_stale_s, d, request)) cc.max_stale = true;
  }
}

}  // namespace

std::optional<int64_t> parseDeltaSeconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min(value * 10 + (c - '0'), kMaxDeltaSeconds);
  }
  return value;
}

CacheControl parseCacheControl(const http::HeaderMap& headers, bool request) {
  CacheControl cc;
  bool has_cache_control = false;
  for (const http::HeaderField& field : headers.fields()) {
    if (field.name != "cache-control") continue;
    has_cache_control = true;
    DirectiveReader reader(field.value);
    Directive d;
    while (reader.next(d)) applyDirective(cc, d, request);
  }
  // RFC 9111 §5.4: HTTP/1.0 clients say no-cache with Pragma.
  if (request && !has_cache_control && headers.hasToken("pragma", "no-cache")) cc.no_cache = true;
  return cc;
}

}  // namespace courier::filters::cache
