// ParseContext: what every section parser and filter parser uses to read
// TOML nodes into typed values and to report errors with the node's source
// position and key path ("routes[2].headers.request_add").
//
// Usage pattern (see filters/headers/config.cc):
//   auto scope = ctx.enter("timeout");          // path: routes[2].timeout
//   ctx.error(node, "must be positive");        // file:line:col: routes[2].timeout: ...
// or, for the common "optional key with a default" case:
//   ctx.readDuration(table, "timeout", route.timeout, Duration{1});
//
// Errors are collected, never thrown; a parser keeps going after an error so
// the operator sees every problem in one run. Readers return std::nullopt (or
// false) after reporting. Absent keys are not errors unless you call require().
//
// toml++ node positions survive only while nodes are read through
// references: never copy a toml::table or toml::node here.
// Single-threaded: one context per load.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/config_error.h"

namespace courier::config {

class ParseContext {
 public:
  // `file` names the source in errors; `source_text` is the TOML text (used
  // to point into string values, e.g. at a regex syntax error).
  ParseContext(std::string_view file, std::string_view source_text);
  ParseContext(const ParseContext&) = delete;
  ParseContext& operator=(const ParseContext&) = delete;

  // ---- Key paths ----------------------------------------------------------
  // Extends the current key path until the scope is destroyed. Scopes nest
  // strictly (destroy in reverse order of creation).
  class [[nodiscard]] PathScope {
   public:
    PathScope(const PathScope&) = delete;
    PathScope& operator=(const PathScope&) = delete;
    ~PathScope() { ctx_.path_.resize(saved_); }

   private:
    friend class ParseContext;
    PathScope(ParseContext& ctx, size_t saved) : ctx_(ctx), saved_(saved) {}
    ParseContext& ctx_;
    size_t saved_;
  };
  PathScope enter(std::string_view key);  // ".key" (or "key" at the root)
  PathScope enter(size_t index);          // "[index]"
  const std::string& path() const { return path_; }
  // The current path extended by `key`, without entering it.
  std::string pathWith(std::string_view key) const;

  // ---- Errors -------------------------------------------------------------
  // At the node's position, under the current path.
  void error(const toml::node& at, std::string message);
  // At a key's own position (e.g. an unknown key), under path + key.
  void error(const toml::key& key, std::string message);
  void error(const toml::source_region& at, std::string key_path, std::string message);
  // At byte `offset` inside the string value `at`, when the source spells it
  // without escapes (then the column is exact); otherwise at the value.
  void errorInString(const toml::node& at, size_t offset, std::string message);
  bool hasErrors() const { return !errors_.empty(); }
  size_t errorCount() const { return errors_.size(); }
  // All errors so far, sorted by position (file-level errors first).
  std::vector<ConfigError> takeErrors();

  // ---- Tables and keys ----------------------------------------------------
  // Reports every key of `table` that is not in `allowed`. Keys listed in
  // `unsupported` get "'<key>' is not supported by this build" instead (keys
  // the SPEC defines for features this build does not have yet). Returns
  // false if any key was rejected.
  bool rejectUnknownKeys(const toml::table& table, std::initializer_list<std::string_view> allowed,
                         std::initializer_list<std::string_view> unsupported = {});
  // Reports one unknown key; suggests the closest of `candidates`.
  void unknownKey(const toml::key& key, std::span<const std::string_view> candidates);
  // "'<key>' is not supported by this build" at the key.
  void unsupportedKey(const toml::key& key);
  // The key's value, or an error "missing required key '<key>'" at the table.
  const toml::node* require(const toml::table& table, std::string_view key);
  // The node as a table/array, or a type error at the node.
  const toml::table* asTable(const toml::node& node);
  const toml::array* asArray(const toml::node& node);

  // ---- Typed readers on a node (errors use the current path) ---------------
  std::optional<std::string> string(const toml::node& node);
  // A string that must not be empty.
  std::optional<std::string> nonEmptyString(const toml::node& node);
  std::optional<bool> boolean(const toml::node& node);
  std::optional<int64_t> integer(const toml::node& node,
                                 int64_t min = std::numeric_limits<int64_t>::min(),
                                 int64_t max = std::numeric_limits<int64_t>::max());
  // An integer or a float, e.g. a sampling ratio.
  std::optional<double> number(const toml::node& node, double min, double max);
  // A string like "250ms"; a bare number is an error that says to add a unit.
  std::optional<Duration> duration(const toml::node& node, Duration min = Duration::zero(),
                                   Duration max = Duration::max());
  // A string like "16MiB", or an integer number of bytes.
  std::optional<uint64_t> size(const toml::node& node, uint64_t min = 0,
                               uint64_t max = std::numeric_limits<uint64_t>::max());
  // An array whose elements are all strings; element errors name "key[i]".
  std::optional<std::vector<std::string>> stringArray(const toml::node& node,
                                                      bool allow_empty = true);
  // One of `choices`; the error lists them (and suggests the closest).
  std::optional<std::string> oneOf(const toml::node& node,
                                   std::initializer_list<std::string_view> choices);

  // ---- Optional keys with defaults ----------------------------------------
  // If `table` has `key`, read it into `out` (which keeps its default when
  // the key is absent). Return false only when the key was present and bad.
  bool readString(const toml::table& table, std::string_view key, std::string& out);
  bool readBool(const toml::table& table, std::string_view key, bool& out);
  bool readDuration(const toml::table& table, std::string_view key, Duration& out,
                    Duration min = Duration::zero(), Duration max = Duration::max());
  bool readSize(const toml::table& table, std::string_view key, uint64_t& out, uint64_t min = 0,
                uint64_t max = std::numeric_limits<uint64_t>::max());
  bool readStringArray(const toml::table& table, std::string_view key,
                       std::vector<std::string>& out, bool allow_empty = true);
  template <typename Int>
  bool readInteger(const toml::table& table, std::string_view key, Int& out, int64_t min,
                   int64_t max) {
    const toml::node* node = table.get(key);
    if (!node) return true;
    auto scope = enter(key);
    auto v = integer(*node, min, max);
    if (v) out = static_cast<Int>(*v);
    return v.has_value();
  }

  // The name of the route whose filters are being parsed (filters that keep
  // state across reloads or in Redis key it by route name, not position).
  void setRouteName(std::string name) { route_name_ = std::move(name); }
  const std::string& routeName() const { return route_name_; }
  // Whether the document has a [redis] section (set before routes load).
  void setRedisConfigured(bool yes) { redis_configured_ = yes; }
  bool redisConfigured() const { return redis_configured_; }
  // [cache] (set before routes load; route caches size objects by it).
  void setCacheSettings(const CacheSettings& c) { cache_settings_ = c; }
  const CacheSettings& cacheSettings() const { return cache_settings_; }

  const std::string& file() const { return file_; }
  std::string_view sourceText() const { return source_text_; }

 private:
  void typeError(const toml::node& node, std::string_view expected);

  std::string file_;
  std::string_view source_text_;
  std::string path_;
  std::vector<ConfigError> errors_;
  bool redis_configured_ = false;
  CacheSettings cache_settings_;
  std::string route_name_;
};

// "a string", "an integer", "a table" ... for type errors.
std::string_view describeType(const toml::node& node);

}  // namespace courier::config
