// The two parsers behind one Outcome shape.
#include <http_parser.h>

#include <algorithm>
#include <cstdio>

#include "proxy/http/http1_parser.h"
#include "tests/differential/http1_differential.h"

namespace courier::http1::diff {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

std::string trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

Outcome reject(int status, std::string_view reason) {
  Outcome o;
  o.verdict = Verdict::Reject;
  o.status = status;
  o.error = std::to_string(status) + " " + std::string(reason);
  return o;
}

// Feeds the body after the head to a BodyDecoder in one contiguous piece.
void decodeBody(std::string& buffer, size_t pos, BodyFraming framing, bool response, Outcome& o) {
  BodyDecoder decoder(framing);
  for (;;) {
    size_t available = buffer.size() - pos;
    BodyStep step = decoder.next(buffer.data() + pos, available, available);
    switch (step.kind) {
      case BodyStep::Data:
        o.body.append(buffer, pos, step.length);
        pos += step.length;
        break;
      case BodyStep::Skip:
      case BodyStep::Trailers:
        for (const auto& f : step.trailers) o.trailers.emplace_back(f.name, f.value);
        pos += step.length;
        break;
      case BodyStep::NeedMore:
        // End of input: for a response that is the origin closing.
        if (response && decoder.finishOnClose()) {
          o.verdict = Verdict::Accept;
          o.end = pos;
        } else {
          o.verdict = Verdict::Incomplete;
        }
        return;
      case BodyStep::Done:
        o.verdict = Verdict::Accept;
        o.end = pos;
        return;
      case BodyStep::Error: {
        int status = response ? 502 : step.error.status;
        o = reject(status, step.error.reason);
        return;
      }
    }
  }
}

}  // namespace

Outcome runCourier(const Case& c) {
  std::string buffer = c.bytes;
  Outcome o;
  ParseError error;
  BodyFraming framing;
  HeadResult head;
  if (c.kind == Kind::Request) {
    ParsedRequestHead req;
    head = parseRequestHead(buffer.data(), buffer.size(), {}, req);
    if (head.state == HeadState::Error) return reject(head.error.status, head.error.reason);
    if (head.state == HeadState::Incomplete) return o;
    o.method = std::string(req.method);
    o.target = std::string(req.target);
    o.minor = req.version_minor;
    for (const auto& f : req.fields) o.headers.emplace_back(f.name, f.value);
    if (!requestFraming(req.fields, req.version_minor, framing, error))
      return reject(error.status, error.reason);
  } else {
    ParsedResponseHead res;
    head = parseResponseHead(buffer.data(), buffer.size(), {}, res);
    if (head.state == HeadState::Error) return reject(head.error.status, head.error.reason);
    if (head.state == HeadState::Incomplete) return o;
    o.response_status = res.status;
    o.reason = std::string(res.reason);
    o.minor = res.version_minor;
    for (const auto& f : res.fields) o.headers.emplace_back(f.name, f.value);
    if (!responseFraming(res.fields, res.status, c.request_method, framing, error))
      return reject(error.status, error.reason);
  }
  o.head_complete = true;
  decodeBody(buffer, head.consumed, framing, c.kind == Kind::Response, o);
  return o;
}

namespace {

struct TheirState {
  Outcome* out;
  bool head_done = false;
  bool complete = false;
  bool last_was_value = true;
  bool skip_body = false;
};

TheirState& state(http_parser* p) {
  return *static_cast<TheirState*>(p->data);
}
Fields& fields(http_parser* p) {
  TheirState& s = state(p);
  return s.head_done ? s.out->trailers : s.out->headers;
}

int onUrl(http_parser* p, const char* at, size_t n) {
  state(p).out->target.append(at, n);
  return 0;
}
int onStatus(http_parser* p, const char* at, size_t n) {
  state(p).out->reason.append(at, n);
  return 0;
}
int onField(http_parser* p, const char* at, size_t n) {
  TheirState& s = state(p);
  if (s.last_was_value) fields(p).emplace_back();
  fields(p).back().first.append(at, n);
  s.last_was_value = false;
  return 0;
}
int onValue(http_parser* p, const char* at, size_t n) {
  fields(p).back().second.append(at, n);
  state(p).last_was_value = true;
  return 0;
}
int onHeadersComplete(http_parser* p) {
  TheirState& s = state(p);
  s.head_done = true;
  // libhttp-parser leaves "this response has no body" to its caller (as
  // node's http client does): HEAD, 1xx, 204 and 304.
  return s.skip_body || (p->type == HTTP_RESPONSE &&
                         (p->status_code < 200 || p->status_code == 204 || p->status_code == 304))
             ? 1
             : 0;
}
int onBody(http_parser* p, const char* at, size_t n) {
  state(p).out->body.append(at, n);
  return 0;
}
int onMessageComplete(http_parser* p) {
  state(p).complete = true;
  http_parser_pause(p, 1);  // stop at the first message so `nparsed` is its end
  return 0;
}

}  // namespace

Outcome runHttpParser(const Case& c) {
  Outcome o;
  TheirState s{&o};
  s.skip_body = c.kind == Kind::Response && c.request_method == "HEAD";
  http_parser parser;
  http_parser_init(&parser, c.kind == Kind::Request ? HTTP_REQUEST : HTTP_RESPONSE);
  parser.data = &s;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_url = onUrl;
  settings.on_status = onStatus;
  settings.on_header_field = onField;
  settings.on_header_value = onValue;
  settings.on_headers_complete = onHeadersComplete;
  settings.on_body = onBody;
  settings.on_message_complete = onMessageComplete;

  size_t parsed = http_parser_execute(&parser, &settings, c.bytes.data(), c.bytes.size());
  auto err = HTTP_PARSER_ERRNO(&parser);
  if (!s.complete && err == HPE_OK && c.kind == Kind::Response) {
    http_parser_execute(&parser, &settings, nullptr, 0);  // the origin closed
    err = HTTP_PARSER_ERRNO(&parser);
    parsed = c.bytes.size();
    if (err == HPE_INVALID_EOF_STATE) err = HPE_OK;  // truncated, not malformed
  }
  if (s.complete) {
    o.verdict = Verdict::Accept;
    o.end = parsed;
  } else if (err != HPE_OK) {
    o.verdict = Verdict::Reject;
    o.error = http_errno_name(err);
    return o;
  }
  if (c.kind == Kind::Request) o.method = http_method_str(static_cast<http_method>(parser.method));
  o.response_status = c.kind == Kind::Response ? parser.status_code : 0;
  o.minor = parser.http_minor;
  for (Fields* list : {&o.headers, &o.trailers})
    for (auto& [name, value] : *list) {
      name = lower(name);
      value = trimOws(value);  // it keeps trailing OWS; RFC 9110 §5.5 excludes it
    }
  return o;
}

std::string compareAccepted(const Outcome& ours, const Outcome& theirs) {
  auto show = [](const Fields& f) {
    std::string s;
    for (const auto& [n, v] : f) s += n + ": " + escape(v, 40) + " | ";
    return s;
  };
  if (ours.method != theirs.method) return "method " + ours.method + " vs " + theirs.method;
  if (ours.target != theirs.target)
    return "target " + escape(ours.target) + " vs " + escape(theirs.target);
  if (ours.response_status != theirs.response_status)
    return "status " + std::to_string(ours.response_status) + " vs " +
           std::to_string(theirs.response_status);
  if (ours.reason != theirs.reason)
    return "reason " + escape(ours.reason) + " vs " + escape(theirs.reason);
  if (ours.minor != theirs.minor) return "version";
  if (ours.headers != theirs.headers)
    return "headers " + show(ours.headers) + " vs " + show(theirs.headers);
  if (ours.trailers != theirs.trailers)
    return "trailers " + show(ours.trailers) + " vs " + show(theirs.trailers);
  if (ours.body != theirs.body) return "body " + escape(ours.body) + " vs " + escape(theirs.body);
  if (ours.end != theirs.end)
    return "message end " + std::to_string(ours.end) + " vs " + std::to_string(theirs.end);
  return {};
}

bool httpParserKnowsMethod(std::string_view method) {
  for (int m = 0; m < 64; ++m) {
    std::string_view name = http_method_str(static_cast<http_method>(m));
    if (name == "<unknown>") break;
    if (name == method) return true;
  }
  return false;
}

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::Accept:
      return "accept";
    case Verdict::Reject:
      return "reject";
    case Verdict::Incomplete:
      return "incomplete";
  }
  return "?";
}

std::string escape(std::string_view bytes, size_t max) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (bytes.size() > max) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

}  // namespace courier::http1::diff
