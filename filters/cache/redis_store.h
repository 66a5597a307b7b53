// The cache's Redis layer (L2): its commands on a worker's redis::Client,
// bytes in and bytes out (entry_codec.h turns entries into those bytes).
//
// Keys: an entry is "courier:c:<CacheKey hex>". Purges find entries through
// index sets of entry keys: "courier:cu:<path>" for the path (and query) an
// entry was keyed under, "courier:ct:<tag>" for each cache-tag value. Each
// put extends its index sets' expiry to at least the entry's, and drops a
// couple of members whose entries are gone, so the sets neither outlive
// their entries nor keep every key they ever held.
//
// Writes (put, publish) are fire and forget: a failure only counts in
// courier_redis_errors_total. Redis Cluster is not supported (the scripts
// touch keys in more than one slot).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "filters/cache/entry.h"
#include "proxy/redis/client.h"

namespace courier::stats {
class WorkerStats;
}

namespace courier::filters::cache {

inline constexpr std::string_view kInvalidationChannel = "courier:invalidate";

std::string redisEntryKey(const CacheKey& key);

// GET the entry: `handler` hears a String reply (the bytes), Nil (a miss),
// or an error or timeout from the client.
redis::Request* redisGet(redis::Client& client, const CacheKey& key, redis::ReplyHandler& handler);

// Stores `bytes` for `ttl_ms` (nothing if it is not positive) and indexes
// the key under `path` and `tags`, atomically in one script. Failures count
// RedisOp::CachePut in the client's stats (Client::errorCounter).
void redisPut(redis::Client& client, const CacheKey& key, std::string_view bytes, int64_t ttl_ms,
              std::string_view path, std::span<const std::string> tags);

// POST /cache/purge, one script each: deletes the entries stored for an
// exact path (and query), for every path starting with a prefix, or for a
// tag, with their index sets. `handler` hears an Integer reply, the number
// of entries deleted, or an error. A prefix purge scans the key space in a
// bounded loop (kMaxPrefixScanCalls SCAN calls of 1000 keys), so on a very
// large Redis it may leave some matching entries to expire by themselves.
// The reply is subject to the client's `timeout` like any command: Redis
// finishes a purge whose answer came too late.
enum class PurgeKind { Path, Prefix, Tag };
inline constexpr int kMaxPrefixScanCalls = 2000;
redis::Request* redisPurge(redis::Client& client, PurgeKind kind, std::string_view value,
                           redis::ReplyHandler& handler);

// The SCAN MATCH pattern of the path index sets under `prefix`, with the
// glob characters *?[]\ escaped.
std::string prefixPattern(std::string_view prefix);

// PUBLISH on kInvalidationChannel "<instance id> <path|prefix|tag> <value>",
// so other replicas drop their memory copies. The instance id must not
// contain a space; the value may (it comes last). Fire and forget: failures
// count RedisOp::Purge in the client's stats.
void redisPublishInvalidation(redis::Client& client, std::string_view instance_id, PurgeKind kind,
                              std::string_view value);

struct Invalidation {
  std::string instance_id;
  PurgeKind kind;
  std::string value;
};
// Parses such a message; nullopt if malformed (no instance id, unknown kind,
// or a missing separator). The value may be empty.
std::optional<Invalidation> parseInvalidation(std::string_view message);
std::string formatInvalidation(std::string_view instance_id, PurgeKind kind,
                               std::string_view value);

}  // namespace courier::filters::cache
