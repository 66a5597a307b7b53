#include "config/parse_context.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "config/suggest.h"
#include "config/units.h"

namespace courier::config {
namespace {

bool isBareKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// Keys that are not bare TOML keys are written quoted, as TOML would.
void appendKey(std::string& path, std::string_view key) {
  if (!path.empty()) path += '.';
  if (isBareKey(key)) {
    path += key;
    return;
  }
  path += '"';
  for (char c : key) {
    if (c == '"' || c == '\\') path += '\\';
    path += c;
  }
  path += '"';
}

std::string rangeMessage(int64_t min, int64_t max) {
  constexpr auto kMin = std::numeric_limits<int64_t>::min();
  constexpr auto kMax = std::numeric_limits<int64_t>::max();
  if (max == kMax) return "must be at least " + std::to_string(min);
  if (min == kMin) return "must be at most " + std::to_string(max);
  return "must be between " + std::to_string(min) + " and " + std::to_string(max);
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

}  // namespace

std::string_view describeType(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

ParseContext::ParseContext(std::string_view file, std::string_view source_text)
    : file_(file), source_text_(source_text) {}

ParseContext::PathScope ParseContext::enter(std::string_view key) {
  size_t saved = path_.size();
  appendKey(path_, key);
  return PathScope(*this, saved);
}

ParseContext::PathScope ParseContext::enter(size_t index) {
  size_t saved = path_.size();
  path_ += '[' + std::to_string(index) + ']';
  return PathScope(*this, saved);
}

std::string ParseContext::pathWith(std::string_view key) const {
  std::string p = path_;
  appendKey(p, key);
  return p;
}

void ParseContext::error(const toml::source_region& at, std::string key_path, std::string message) {
  errors_.push_back(ConfigError{file_, static_cast<int>(at.begin.line),
                                static_cast<int>(at.begin.column), std::move(key_path),
                                std::move(message)});
}

void ParseContext::error(const toml::node& at, std::string message) {
  error(at.source(), path_, std::move(message));
}

void ParseContext::error(const toml::key& key, std::string message) {
  error(key.source(), pathWith(key.str()), std::move(message));
}

void ParseContext::errorInString(const toml::node& at, size_t offset, std::string message) {
  const toml::source_position begin = at.source().begin;
  ConfigError e{file_, static_cast<int>(begin.line), static_cast<int>(begin.column), path_,
                std::move(message)};
  // Find the value's first byte; toml++ columns count from 1.
  size_t pos = 0;
  for (toml::source_index line = 1; line < begin.line && pos != std::string_view::npos; ++line) {
    pos = source_text_.find('\n', pos);
    if (pos != std::string_view::npos) ++pos;
  }
  if (pos != std::string_view::npos && begin.column >= 1) {
    pos += begin.column - 1;
    std::string_view raw = pos < source_text_.size() ? source_text_.substr(pos) : "";
    // A single-line string whose first `offset` bytes are plain ASCII with
    // no escapes maps byte for byte onto the source.
    bool quoted_string = !raw.empty() && (raw[0] == '"' || raw[0] == '\'');
    bool multi_line = raw.size() >= 3 && raw[1] == raw[0] && raw[2] == raw[0];
    if (quoted_string && !multi_line && raw.size() > offset + 1) {
      std::string_view prefix = raw.substr(1, offset);
      bool plain = std::none_of(prefix.begin(), prefix.end(), [&](char c) {
        return (raw[0] == '"' && c == '\\') || static_cast<unsigned char>(c) >= 0x80 || c == '\n' ||
               c == raw[0];
      });
      if (plain) e.column += static_cast<int>(offset) + 1;
    }
  }
  errors_.push_back(std::move(e));
}

std::vector<ConfigError> ParseContext::takeErrors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return std::move(errors_);
}

void ParseContext::unsupportedKey(const toml::key& key) {
  error(key, "'" + std::string(key.str()) + "' is not supported by this build");
}

void ParseContext::unknownKey(const toml::key& key, std::span<const std::string_view> candidates) {
  error(key, "unknown key '" + std::string(key.str()) + "'" + didYouMean(key.str(), candidates));
}

bool ParseContext::rejectUnknownKeys(const toml::table& table,
                                     std::initializer_list<std::string_view> allowed,
                                     std::initializer_list<std::string_view> unsupported) {
  bool ok = true;
  for (const auto& entry : table) {
    const toml::key& key = entry.first;  // not a structured binding: clang 14 cannot capture those
    auto is = [&](std::initializer_list<std::string_view> list) {
      return std::find(list.begin(), list.end(), key.str()) != list.end();
    };
    if (is(allowed)) continue;
    ok = false;
    if (is(unsupported)) {
      unsupportedKey(key);
      continue;
    }
    std::vector<std::string_view> candidates(allowed);
    candidates.insert(candidates.end(), unsupported.begin(), unsupported.end());
    unknownKey(key, candidates);
  }
  return ok;
}

const toml::node* ParseContext::require(const toml::table& table, std::string_view key) {
  const toml::node* node = table.get(key);
  if (!node) error(table.source(), path_, "missing required key '" + std::string(key) + "'");
  return node;
}

void ParseContext::typeError(const toml::node& node, std::string_view expected) {
  error(node, "expected " + std::string(expected) + ", got " + std::string(describeType(node)));
}

const toml::table* ParseContext::asTable(const toml::node& node) {
  const toml::table* t = node.as_table();
  if (!t) typeError(node, "a table");
  return t;
}

const toml::array* ParseContext::asArray(const toml::node& node) {
  const toml::array* a = node.as_array();
  if (!a) typeError(node, "an array");
  return a;
}

std::optional<std::string> ParseContext::string(const toml::node& node) {
  const auto* s = node.as_string();
  if (!s) {
    typeError(node, "a string");
    return std::nullopt;
  }
  return s->get();
}

std::optional<std::string> ParseContext::nonEmptyString(const toml::node& node) {
  auto s = string(node);
  if (s && s->empty()) {
    error(node, "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<bool> ParseContext::boolean(const toml::node& node) {
  const auto* b = node.as_boolean();
  if (!b) {
    typeError(node, "true or false");
    return std::nullopt;
  }
  return b->get();
}

std::optional<int64_t> ParseContext::integer(const toml::node& node, int64_t min, int64_t max) {
  const auto* i = node.as_integer();
  if (!i) {
    typeError(node, "an integer");
    return std::nullopt;
  }
  int64_t v = i->get();
  if (v < min || v > max) {
    error(node, rangeMessage(min, max) + ", got " + std::to_string(v));
    return std::nullopt;
  }
  return v;
}

std::optional<double> ParseContext::number(const toml::node& node, double min, double max) {
  double v;
  if (const auto* i = node.as_integer()) {
    v = static_cast<double>(i->get());
  } else if (const auto* f = node.as_floating_point()) {
    v = f->get();
  } else {
    typeError(node, "a number");
    return std::nullopt;
  }
  if (std::isnan(v) || v < min || v > max) {
    char buf[96];
    snprintf(buf, sizeof buf, "must be between %g and %g", min, max);
    error(node, buf);
    return std::nullopt;
  }
  return v;
}

std::optional<Duration> ParseContext::duration(const toml::node& node, Duration min, Duration max) {
  const auto* s = node.as_string();
  if (!s) {
    if (const auto* i = node.as_integer()) {
      std::string n = std::to_string(i->get());
      error(node, "expected a duration like \"30s\"; a bare number has no unit (write \"" + n +
                      "s\" or \"" + n + "ms\")");
    } else if (node.is_floating_point()) {
      error(node,
            "expected a duration like \"30s\"; a bare number has no unit (write e.g. "
            "\"1.5s\")");
    } else
      typeError(node, "a duration like \"30s\"");
    return std::nullopt;
  }
  auto parsed = parseDuration(s->get());
  if (!parsed) {
    error(node, parsed.error());
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    error(node, *parsed < min ? "must be at least " + formatDuration(min)
                              : "must be at most " + formatDuration(max));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<uint64_t> ParseContext::size(const toml::node& node, uint64_t min, uint64_t max) {
  uint64_t bytes;
  if (const auto* i = node.as_integer()) {
    if (i->get() < 0) {
      error(node, "a size cannot be negative");
      return std::nullopt;
    }
    bytes = static_cast<uint64_t>(i->get());
  } else if (const auto* s = node.as_string()) {
    auto parsed = parseSize(s->get());
    if (!parsed) {
      error(node, parsed.error());
      return std::nullopt;
    }
    bytes = *parsed;
  } else {
    typeError(node, "a size like \"16MiB\" or a number of bytes");
    return std::nullopt;
  }
  if (bytes < min || bytes > max) {
    error(node, (bytes < min ? "must be at least " + std::to_string(min)
                             : "must be at most " + std::to_string(max)) +
                    " bytes, got " + std::to_string(bytes));
    return std::nullopt;
  }
  return bytes;
}

std::optional<std::vector<std::string>> ParseContext::stringArray(const toml::node& node,
                                                                  bool allow_empty) {
  const toml::array* arr = node.as_array();
  if (!arr) {
    typeError(node,
              node.is_string() ? "an array of strings (write [\"...\"])" : "an array of strings");
    return std::nullopt;
  }
  if (!allow_empty && arr->empty()) {
    error(node, "must not be empty");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto scope = enter(i);
    auto s = string((*arr)[i]);
    if (s)
      out.push_back(std::move(*s));
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> ParseContext::oneOf(const toml::node& node,
                                               std::initializer_list<std::string_view> choices) {
  auto s = string(node);
  if (!s) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *s) != choices.end()) return s;
  std::string list;
  for (std::string_view c : choices) list += (list.empty() ? "" : ", ") + quoted(c);
  std::vector<std::string_view> candidates(choices);
  error(node, "expected one of " + list + ", got " + quoted(*s) + didYouMean(*s, candidates));
  return std::nullopt;
}

bool ParseContext::readString(const toml::table& table, std::string_view key, std::string& out) {
  const toml::node* node = table.get(key);
  if (!node) return true;
  auto scope = enter(key);
  auto v = string(*node);
  if (v) out = std::move(*v);
  return v.has_value();
}

bool ParseContext::readBool(const toml::table& table, std::string_view key, bool& out) {
  const toml::node* node = table.get(key);
  if (!node) return true;
  auto scope = enter(key);
  auto v = boolean(*node);
  if (v) out = *v;
  return v.has_value();
}

bool ParseContext::readDuration(const toml::table& table, std::string_view key, Duration& out,
                                Duration min, Duration max) {
  const toml::node* node = table.get(key);
  if (!node) return true;
  auto scope = enter(key);
  auto v = duration(*node, min, max);
  if (v) out = *v;
  return v.has_value();
}

bool ParseContext::readSize(const toml::table& table, std::string_view key, uint64_t& out,
                            uint64_t min, uint64_t max) {
  const toml::node* node = table.get(key);
  if (!node) return true;
  auto scope = enter(key);
  auto v = size(*node, min, max);
  if (v) out = *v;
  return v.has_value();
}

bool ParseContext::readStringArray(const toml::table& table, std::string_view key,
                                   std::vector<std::string>& out, bool allow_empty) {
  const toml::node* node = table.get(key);
  if (!node) return true;
  auto scope = enter(key);
  auto v = stringArray(*node, allow_empty);
  if (v) out = std::move(*v);
  return v.has_value();
}

}  // namespace courier::config
