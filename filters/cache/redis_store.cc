// The cache's Redis commands: GET, and Lua scripts for what must be atomic
// (an entry with its index sets) or loop inside Redis (purges).
#include "filters/cache/redis_store.h"

#include <map>
#include <utility>
#include <vector>

#include "proxy/stats/worker_stats.h"

namespace courier::filters::cache {
namespace {

constexpr std::string_view kEntryPrefix = "courier:c:";
constexpr std::string_view kPathPrefix = "courier:cu:";
constexpr std::string_view kTagPrefix = "courier:ct:";

// KEYS[1]: the entry, KEYS[2..]: its index sets (path, then tags).
// ARGV[1]: the bytes, ARGV[2]: the ttl in ms. Before adding the key, each
// set loses up to two random members whose entries are gone: on a path that
// keeps being stored under new keys (key_headers, Vary), the set keeps being
// extended and would otherwise hold every key it ever had.
constexpr std::string_view kPutScript = R"lua(
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 2, #KEYS do
  local set = KEYS[i]
  for _, old in ipairs(redis.call('SRANDMEMBER', set, 2)) do
    if redis.call('EXISTS', old) == 0 then redis.call('SREM', set, old) end
  end
  redis.call('SADD', set, KEYS[1])
  if redis.call('PTTL', set) < ttl then redis.call('PEXPIRE', set, ttl) end
end
)lua";

// Deletes an index set's entries and the set; returns how many entries
// existed. DEL takes the members in slices: Lua's unpack has a stack limit.
constexpr std::string_view kPurgeFunction = R"lua(
local function purge(set)
  local keys = redis.call('SMEMBERS', set)
  local n = 0
  for i = 1, #keys, 500 do
    n = n + redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
  end
  redis.call('DEL', set)
  return n
end
)lua";

// KEYS[1]: a path or tag index set.
constexpr std::string_view kPurgeSetBody = "return purge(KEYS[1])\n";

// ARGV[1]: the MATCH pattern of the path sets, ARGV[2]: most SCAN calls.
// The sets are found by SCAN, not named in KEYS: they are not known before.
constexpr std::string_view kPurgePrefixBody = R"lua(
local cursor, calls, n = '0', 0, 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, set in ipairs(page[2]) do n = n + purge(set) end
  calls = calls + 1
until cursor == '0' or calls >= tonumber(ARGV[2])
return n
)lua";

// A script's text and SHA1, made once; the text outlives every request.
struct Script {
  explicit Script(std::string t) : text(std::move(t)), sha(redis::scriptSha1(text)) {}
  std::string text;
  std::string sha;
};

const Script& putScript() {
  static const Script script{std::string(kPutScript)};
  return script;
}
const Script& purgeSetScript() {
  static const Script script{std::string(kPurgeFunction).append(kPurgeSetBody)};
  return script;
}
const Script& purgePrefixScript() {
  static const Script script{std::string(kPurgeFunction).append(kPurgePrefixBody)};
  return script;
}

std::string_view kindName(PurgeKind kind) {
  switch (kind) {
    case PurgeKind::Path:
      return "path";
    case PurgeKind::Prefix:
      return "prefix";
    case PurgeKind::Tag:
      return "tag";
  }
  return "path";
}

std::string concat(std::string_view a, std::string_view b) {
  std::string s;
  s.reserve(a.size() + b.size());
  s.append(a).append(b);
  return s;
}

}  // namespace

std::string redisEntryKey(const CacheKey& key) {
  return concat(kEntryPrefix, key.hex());
}

redis::Request* redisGet(redis::Client& client, const CacheKey& key, redis::ReplyHandler& handler) {
  std::string entry = redisEntryKey(key);
  std::string_view argv[] = {"GET", entry};
  return client.send(argv, handler);
}

void redisPut(redis::Client& client, const CacheKey& key, std::string_view bytes, int64_t ttl_ms,
              std::string_view path, std::span<const std::string> tags) {
  if (ttl_ms <= 0) return;  // SET PX refuses it, and it would be stale at once
  std::vector<std::string> key_names;
  key_names.reserve(2 + tags.size());
  key_names.push_back(redisEntryKey(key));
  key_names.push_back(concat(kPathPrefix, path));
  for (const std::string& tag : tags) key_names.push_back(concat(kTagPrefix, tag));
  std::vector<std::string_view> keys(key_names.begin(), key_names.end());
  std::string ttl = std::to_string(ttl_ms);
  std::string_view args[] = {bytes, ttl};
  client.evalScript(putScript().text, putScript().sha, keys, args,
                    client.errorCounter(stats::RedisOp::CachePut));
}

std::string prefixPattern(std::string_view prefix) {
  std::string pattern(kPathPrefix);
  pattern.reserve(pattern.size() + 2 * prefix.size() + 1);
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('*');
  return pattern;
}

redis::Request* redisPurge(redis::Client& client, PurgeKind kind, std::string_view value,
                           redis::ReplyHandler& handler) {
  if (kind == PurgeKind::Prefix) {
    std::string pattern = prefixPattern(value);
    std::string calls = std::to_string(kMaxPrefixScanCalls);
    std::string_view args[] = {pattern, calls};
    const Script& script = purgePrefixScript();
    return client.evalScript(script.text, script.sha, {}, args, handler);
  }
  std::string set = concat(kind == PurgeKind::Path ? kPathPrefix : kTagPrefix, value);
  std::string_view keys[] = {set};
  const Script& script = purgeSetScript();
  return client.evalScript(script.text, script.sha, keys, {}, handler);
}

std::string formatInvalidation(std::string_view instance_id, PurgeKind kind,
                               std::string_view value) {
  std::string message;
  std::string_view name = kindName(kind);
  message.reserve(instance_id.size() + name.size() + value.size() + 2);
  message.append(instance_id).append(" ").append(name).append(" ").append(value);
  return message;
}

void redisPublishInvalidation(redis::Client& client, std::string_view instance_id, PurgeKind kind,
                              std::string_view value) {
  std::string message = formatInvalidation(instance_id, kind, value);
  std::string_view argv[] = {"PUBLISH", kInvalidationChannel, message};
  client.send(argv, client.errorCounter(stats::RedisOp::Purge));
}

std::optional<Invalidation> parseInvalidation(std::string_view message) {
  size_t id_end = message.find(' ');
  if (id_end == std::string_view::npos || id_end == 0) return std::nullopt;
  size_t kind_end = message.find(' ', id_end + 1);
  if (kind_end == std::string_view::npos) return std::nullopt;
  std::string_view name = message.substr(id_end + 1, kind_end - id_end - 1);
  PurgeKind kind;
  if (name == "path") {
    kind = PurgeKind::Path;
  } else if (name == "prefix") {
    kind = PurgeKind::Prefix;
  } else if (name == "tag") {
    kind = PurgeKind::Tag;
  } else {
    return std::nullopt;
  }
  return Invalidation{std::string(message.substr(0, id_end)), kind,
                      std::string(message.substr(kind_end + 1))};
}

}  // namespace courier::filters::cache
