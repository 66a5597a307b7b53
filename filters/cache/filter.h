// The `cache` filter: answers requests from the memory layer (L1, shared
// by all workers) or Redis (L2, shared by all replicas), and stores what the
// origin sends, per RFC 9111 for a shared cache and SPEC §4.
//
// One request's path through it:
//   method not cached, no-store, Authorization not in key_headers -> BYPASS
//   POST: buffer the body (the key hashes it), then look up as below
//   L1 lookup (synchronous) -> fresh: HIT-MEMORY (304 if conditionals match)
//                           -> stale within stale-while-revalidate: STALE,
//                              and one background refresh (InternalRequests)
//                           -> stale: revalidate with the origin (a 304
//                              refreshes the entry and is answered from it)
//   L2 lookup (asynchronous, chain stopped, bounded by [redis] timeout)
//                           -> hit: fills L1, HIT-REDIS
//   miss: join the key's Fill (coalescer.h): the first goes upstream and
//   stores (MISS), the rest stream its response as it arrives.
//   The origin fails (5xx, unreachable, timeout) and a stale entry is within
//   stale-if-error: STALE.
// Every response of the route carries x-cache.
//
// Threading/ownership: one filter per stream, on its worker. Entries and
// Fills are shared across workers through shared_ptr; a response served
// from an entry points into it, so the filter holds the entry until the
// stream ends.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/cache/cache_control.h"
#include "filters/cache/coalescer.h"
#include "filters/cache/config.h"
#include "filters/cache/entry.h"
#include "proxy/event/timer.h"
#include "proxy/http/filter.h"
#include "proxy/redis/client.h"
#include "proxy/stats/feature_stats.h"

namespace courier::filters::cache {

class CacheFilter : public http::StreamFilter, public redis::ReplyHandler {
 public:
  explicit CacheFilter(const CacheConfig& config);
  ~CacheFilter() override;

  http::FilterHeadersStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  http::FilterDataStatus decodeData(Buffer& data, bool end_stream) override;
  http::FilterHeadersStatus encodeHeaders(http::ResponseHeaders& headers, bool end_stream) override;
  http::FilterDataStatus encodeData(Buffer& data, bool end_stream) override;
  http::FilterTrailersStatus encodeTrailers(http::HeaderMap& trailers) override;
  bool wantsDecodeBody() const override { return phase_ == Phase::BufferingBody; }
  bool wantsEncodeBody() const override { return storing_ || replacing_body_; }
  void onLocalReply(http::ResponseHeaders& headers) override;
  bool replaceLocalReply(int status) override;
  void onDownstreamWatermark(bool above_high) override;
  void onDestroy() override;

  void onRedisReply(const redis::Reply& reply) override;
  void onRedisError(redis::Error error, std::string_view message) override;

 private:
  enum class Phase {
    Start,
    BufferingBody,  // POST: the body is part of the key
    RedisLookup,    // waiting for L2
    Waiting,        // a coalesced request, waiting on another's Fill
    Upstream,       // the origin answers (miss, revalidation, bypass)
    Answered,       // served from the cache (entry or Fill)
  };
  // What a lookup step decided.
  enum class Next { Upstream, Answered, Async };

  Next beginLookup();
  Next lookupMemory();
  Next lookupRedis(const CacheKey& key);
  Next useEntry(std::shared_ptr<const CachedEntry> entry, stats::CacheLayer layer);
  Next miss();
  Next goUpstream();
  // Resumes the stopped request after an asynchronous step.
  void proceed(Next next);

  // Answers from `entry` (a 304 when the client's conditionals match).
  void serveEntry(std::string_view x_cache);
  // Fills `headers` from entry_ for a response to this request.
  void writeEntryHead(http::ResponseHeaders& headers, std::string_view x_cache, bool not_modified);
  void addEntryBody(Buffer& out) const;
  // Stale-while-revalidate: one background refresh per key.
  void startBackgroundRefresh();
  // Asks the origin to validate entry_ instead of sending it again, and
  // puts the client's own conditionals back once the origin answered.
  void addValidators();
  void restoreClientConditionals();
  // The origin's 304 refreshed entry_: answer the client from it.
  void answerFromRevalidated(http::ResponseHeaders& headers, bool end_stream);
  // Rewrites the origin's response in place into entry_'s.
  void replaceWithEntry(http::ResponseHeaders& headers, bool end_stream, std::string_view x_cache,
                        bool not_modified);

  // The response being stored (leader, refresh or revalidation).
  void beginStore(http::ResponseHeaders& headers, bool end_stream);
  void storeChunk(Buffer& data);
  void finishStore();
  void abandonStore(bool failed);
  void insertEntry(std::shared_ptr<CachedEntry> entry);
  int64_t keepUntil(const CachedEntry& entry) const;

  // Coalesced waiter side.
  void waitOn(std::shared_ptr<Fill> fill);
  void pumpFill();
  void leaveFill();

  void record(stats::CacheLayer layer, stats::CacheResult result);
  CacheRuntime& runtime() const;

  const CacheConfig& config_;
  Phase phase_ = Phase::Start;
  http::RequestHeaders* request_ = nullptr;
  CacheControl request_cc_;
  std::string_view x_cache_ = "MISS";
  bool head_request_ = false;
  bool bypass_ = false;
  bool refresh_ = false;  // an internal stream refreshing a stale entry
  CacheKey refresh_key_;
  CacheKey body_hash_;
  bool has_body_hash_ = false;
  CacheKey primary_;
  CacheKey key_;  // primary_, or the variant when the entry varies
  int64_t request_time_ms_ = 0;

  // The entry being served, revalidated, or kept for stale-if-error.
  std::shared_ptr<const CachedEntry> entry_;
  stats::CacheLayer entry_layer_ = stats::CacheLayer::Memory;
  bool revalidating_ = false;
  // The client's own conditionals, set aside while validators of ours go
  // upstream (views into the request head).
  std::string_view client_if_none_match_;
  std::string_view client_if_modified_since_;
  bool replacing_body_ = false;     // the origin's body is replaced by entry_'s
  bool replace_with_body_ = false;  // ... and entry_ has one to send

  // Storing (the leader of a Fill, a refresh, or an uncoalesced miss).
  bool storing_ = false;
  std::shared_ptr<CachedEntry> building_;
  std::vector<Fill::Chunk> chunks_;
  size_t body_bytes_ = 0;
  std::shared_ptr<Fill> fill_;
  bool leader_ = false;

  // Waiting on another stream's Fill.
  std::shared_ptr<Fill::Waiter> waiter_;
  std::shared_ptr<const CachedEntry> fill_head_;  // the response head served from
  std::optional<event::Timer> wait_timer_;
  size_t next_chunk_ = 0;
  bool fill_started_ = false;
  bool downstream_full_ = false;

  redis::Request* redis_request_ = nullptr;
  bool redis_variant_lookup_ = false;
  bool destroyed_ = false;
};

}  // namespace courier::filters::cache
