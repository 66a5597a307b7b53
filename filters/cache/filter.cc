#include "filters/cache/filter.h"

#include <event2/buffer.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "filters/cache/entry_codec.h"
#include "filters/cache/key.h"
#include "filters/cache/policy.h"
#include "filters/cache/redis_store.h"
#include "filters/cache/runtime.h"
#include "proxy/stats/worker_stats.h"

namespace courier::filters::cache {
namespace {

using http::FilterDataStatus;
using http::FilterHeadersStatus;
using stats::CacheLayer;
using stats::CacheResult;

// Carries the refresh key from the stream that saw a stale entry to the
// internal stream that refreshes it; honoured only on internal streams.
constexpr std::string_view kRefreshKeyField = "x-courier-refresh-key";

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Fields a 304 carries (RFC 9110 §15.4.5), besides the ones we add.
bool keptInNotModified(std::string_view name) {
  return name == "etag" || name == "cache-control" || name == "expires" || name == "date" ||
         name == "vary" || name == "content-location" || name == "last-modified";
}

}  // namespace

CacheFilter::CacheFilter(const CacheConfig& config) : config_(config) {}

CacheFilter::~CacheFilter() {
  if (!destroyed_) onDestroy();
}

CacheRuntime& CacheFilter::runtime() const {
  return *config_.runtime;
}

void CacheFilter::record(CacheLayer layer, CacheResult result) {
  const http::WorkerServices& s = callbacks_->workerServices();
  if (s.stats && !refresh_) s.stats->recordCache(s.route_stats_index, layer, result);
}

// ---- Request side -------------------------------------------------------------

FilterHeadersStatus CacheFilter::decodeHeaders(http::RequestHeaders& headers, bool end_stream) {
  request_ = &headers;
  head_request_ = headers.method == "HEAD";
  if (callbacks_->streamInfo().internal) {
    if (const std::string_view* hex = headers.headers.get(kRefreshKeyField)) {
      if (auto k = parseCacheKeyHex(*hex)) {
        refresh_ = true;
        refresh_key_ = *k;
      }
      headers.headers.remove(kRefreshKeyField);
    }
  }
  request_cc_ = parseCacheControl(headers.headers, true);
  bool bypass = !config_.cachesMethod(headers.method) || request_cc_.no_store ||
                headers.headers.get("range") != nullptr ||
                (!config_.policy.authorization_in_key && headers.headers.get("authorization"));
  if (bypass) {
    x_cache_ = "BYPASS";
    bypass_ = true;
    record(CacheLayer::None, CacheResult::Bypass);
    phase_ = Phase::Upstream;
    return FilterHeadersStatus::Continue;
  }
  if (headers.method == "POST" && !end_stream) {
    phase_ = Phase::BufferingBody;  // the body is part of the key
    return FilterHeadersStatus::StopIteration;
  }
  if (headers.method == "POST") {
    Buffer empty;
    body_hash_ = bodyHash(empty, config_.body_key);
    has_body_hash_ = true;
  }
  return beginLookup() == Next::Upstream ? FilterHeadersStatus::Continue
                                         : FilterHeadersStatus::StopIteration;
}

FilterDataStatus CacheFilter::decodeData(Buffer& data, bool end_stream) {
  if (phase_ != Phase::BufferingBody) return FilterDataStatus::Continue;
  if (!end_stream) return FilterDataStatus::StopIterationAndBuffer;
  body_hash_ = bodyHash(data, config_.body_key);
  has_body_hash_ = true;
  phase_ = Phase::Start;
  switch (beginLookup()) {
    case Next::Upstream:
      // Headers first, then this (whole) body behind them.
      callbacks_->continueDecoding();
      return FilterDataStatus::Continue;
    case Next::Answered:
      return FilterDataStatus::StopIterationNoBuffer;
    case Next::Async:
      break;
  }
  return FilterDataStatus::StopIterationAndBuffer;
}

CacheFilter::Next CacheFilter::beginLookup() {
  KeyInput in;
  in.method = request_->method;
  in.authority = request_->authority;
  in.path = request_->path;
  in.headers = &request_->headers;
  in.key_headers = config_.key_headers;
  in.body_hash = has_body_hash_ ? &body_hash_ : nullptr;
  primary_ = key_ = primaryKey(in);
  if (refresh_) {
    // A background refresh: validate what the memory layer holds, if it
    // still holds it, and store the answer.
    auto e = runtime().memory.find(primary_, nowMs());
    if (e && e->vary_marker) {
      key_ = variantKey(primary_, e->vary, request_->headers);
      e = runtime().memory.find(key_, nowMs());
    }
    if (e && !e->vary_marker) {
      entry_ = std::move(e);
      if (hasValidators(*entry_)) addValidators();
    }
    return goUpstream();
  }
  if (config_.memory) return lookupMemory();
  if (config_.redis && callbacks_->workerServices().redis) return lookupRedis(primary_);
  return miss();
}

CacheFilter::Next CacheFilter::lookupMemory() {
  int64_t now = nowMs();
  auto e = runtime().memory.find(primary_, now);
  if (e && e->vary_marker) {
    key_ = variantKey(primary_, e->vary, request_->headers);
    e = runtime().memory.find(key_, now);
  }
  if (e && !e->vary_marker) return useEntry(std::move(e), CacheLayer::Memory);
  record(CacheLayer::Memory, CacheResult::Miss);
  if (config_.redis && callbacks_->workerServices().redis) return lookupRedis(key_);
  return miss();
}

CacheFilter::Next CacheFilter::lookupRedis(const CacheKey& key) {
  phase_ = Phase::RedisLookup;
  redis_request_ = redisGet(*callbacks_->workerServices().redis, key, *this);
  return Next::Async;
}

void CacheFilter::onRedisReply(const redis::Reply& reply) {
  redis_request_ = nullptr;
  if (reply.isNil()) {
    record(CacheLayer::Redis, CacheResult::Miss);
    proceed(miss());
    return;
  }
  std::optional<CachedEntry> decoded;
  if (reply.isString())
    decoded =
        decodeEntry(reply.string(), config_.memory ? BodyStorage::MemoryLayer : BodyStorage::Heap);
  if (!decoded) {
    // Another format version or damage: never served, and counted.
    record(CacheLayer::Redis, CacheResult::Error);
    proceed(miss());
    return;
  }
  if (decoded->vary_marker) {
    if (redis_variant_lookup_) {  // a marker where the variant should be
      record(CacheLayer::Redis, CacheResult::Miss);
      proceed(miss());
      return;
    }
    redis_variant_lookup_ = true;
    key_ = variantKey(primary_, decoded->vary, request_->headers);
    lookupRedis(key_);
    return;
  }
  auto entry = std::make_shared<const CachedEntry>(std::move(*decoded));
  if (config_.memory) {
    int64_t keep = keepUntil(*entry);
    runtime().memory.insert(key_, entry, keep);
    if (key_ != primary_) {
      auto marker = std::make_shared<CachedEntry>();
      marker->vary_marker = true;
      marker->vary = entry->vary;
      marker->path = entry->path;
      runtime().memory.insert(primary_, std::move(marker), keep);
    }
  }
  record(CacheLayer::Redis, CacheResult::Hit);
  proceed(useEntry(std::move(entry), CacheLayer::Redis));
}

void CacheFilter::onRedisError(redis::Error error, std::string_view) {
  redis_request_ = nullptr;
  // A missing connection is counted by the client (op="connect"); a slow or
  // failing Redis is counted here. Either way the request goes on without L2.
  const http::WorkerServices& s = callbacks_->workerServices();
  if (error != redis::Error::Disconnected && s.stats)
    s.stats->recordRedisError(stats::RedisOp::CacheGet);
  record(CacheLayer::Redis, CacheResult::Error);
  proceed(miss());
}

CacheFilter::Next CacheFilter::useEntry(std::shared_ptr<const CachedEntry> entry,
                                        CacheLayer layer) {
  entry_ = std::move(entry);
  entry_layer_ = layer;
  std::string_view hit = layer == CacheLayer::Redis ? "HIT-REDIS" : "HIT-MEMORY";
  bool from_memory = layer == CacheLayer::Memory;
  switch (classify(*entry_, request_cc_, nowMs())) {
    case Usability::Fresh:
      if (from_memory) record(CacheLayer::Memory, CacheResult::Hit);
      serveEntry(hit);
      return Next::Answered;
    case Usability::ServeStale:
      if (from_memory) record(CacheLayer::Memory, CacheResult::Stale);
      serveEntry("STALE");
      return Next::Answered;
    case Usability::StaleWhileRevalidate:
      // Refreshing needs a request we can repeat: GET/HEAD (no body).
      if (!has_body_hash_ && callbacks_->workerServices().internal_requests) {
        if (from_memory) record(CacheLayer::Memory, CacheResult::Stale);
        serveEntry("STALE");
        startBackgroundRefresh();
        return Next::Answered;
      }
      [[fallthrough]];
    case Usability::Revalidate:
      break;
  }
  // The origin answers (a 304 may still let the entry answer): a miss, as
  // x-cache says; "stale" counts only stale entries served.
  if (from_memory) record(CacheLayer::Memory, CacheResult::Miss);
  if (request_cc_.only_if_cached) {
    callbacks_->sendLocalReply(504, "upstream_timeout", "only-if-cached: no fresh entry",
                               "cache_only_if_cached");
    return Next::Answered;
  }
  if (hasValidators(*entry_)) addValidators();
  return goUpstream();
}

CacheFilter::Next CacheFilter::miss() {
  if (request_cc_.only_if_cached) {
    callbacks_->sendLocalReply(504, "upstream_timeout", "only-if-cached: not in the cache",
                               "cache_only_if_cached");
    return Next::Answered;
  }
  // A HEAD cannot fill a GET entry, so it neither leads nor waits.
  const http::WorkerServices& s = callbacks_->workerServices();
  if (head_request_ || !config_.coalesce || !s.dispatcher) return goUpstream();
  bool leader = false;
  auto fill = runtime().fills.join(primary_, &leader);
  if (leader) {
    fill_ = std::move(fill);
    leader_ = true;
    return goUpstream();
  }
  waitOn(std::move(fill));
  return Next::Async;
}

CacheFilter::Next CacheFilter::goUpstream() {
  phase_ = Phase::Upstream;
  request_time_ms_ = nowMs();
  return Next::Upstream;
}

void CacheFilter::proceed(Next next) {
  if (next == Next::Upstream) callbacks_->continueDecoding();
}

void CacheFilter::addValidators() {
  http::HeaderMap& h = request_->headers;
  if (const std::string_view* v = h.get("if-none-match")) client_if_none_match_ = *v;
  if (const std::string_view* v = h.get("if-modified-since")) client_if_modified_since_ = *v;
  h.remove("if-none-match");
  h.remove("if-modified-since");
  // Copied, not viewed: entry_ may be replaced while the request lives.
  if (const std::string* etag = entry_->header("etag")) h.add("if-none-match", *etag);
  if (const std::string* lm = entry_->header("last-modified")) h.add("if-modified-since", *lm);
  revalidating_ = true;
}

void CacheFilter::restoreClientConditionals() {
  http::HeaderMap& h = request_->headers;
  h.remove("if-none-match");
  h.remove("if-modified-since");
  if (!client_if_none_match_.empty()) h.addView("if-none-match", client_if_none_match_);
  if (!client_if_modified_since_.empty()) h.addView("if-modified-since", client_if_modified_since_);
}

void CacheFilter::startBackgroundRefresh() {
  http::InternalRequests* internal = callbacks_->workerServices().internal_requests;
  if (!internal || !runtime().refreshing.tryBegin(key_, nowMs())) return;
  auto h = std::make_unique<http::RequestHeaders>();
  h->method = "GET";
  h->scheme = request_->scheme;
  h->setPath(request_->path);
  h->setAuthority(request_->authority);
  for (const auto& f : request_->headers.fields()) {
    if (f.name == "if-none-match" || f.name == "if-modified-since" || f.name == "cache-control" ||
        f.name == "pragma" || f.name == kRefreshKeyField)
      continue;
    h->headers.add(f.name, f.value);
  }
  h->headers.add(kRefreshKeyField, key_.hex());
  internal->start(std::move(h));
}

// ---- Answering from an entry ------------------------------------------------------

void CacheFilter::writeEntryHead(http::ResponseHeaders& headers, std::string_view x_cache,
                                 bool not_modified) {
  const CachedEntry& e = *entry_;
  headers.status = not_modified ? 304 : e.status;
  for (const auto& [name, value] : e.headers) {
    if (name == "content-length") continue;  // ours below: the stored body's
    if (not_modified && !keptInNotModified(name)) continue;
    headers.headers.addView(name, value);  // entry_ outlives the response
  }
  char digits[24];
  auto age = std::to_chars(digits, digits + sizeof digits, e.currentAgeMs(nowMs()) / 1000);
  headers.headers.add("age", std::string_view(digits, age.ptr - digits));
  if (!not_modified && !http::statusHasNoBody(e.status)) {
    auto len = std::to_chars(digits, digits + sizeof digits, e.body.size());
    headers.headers.add("content-length", std::string_view(digits, len.ptr - digits));
  }
  headers.headers.addView("x-cache", x_cache);
}

void CacheFilter::addEntryBody(Buffer& out) const {
  const EntryBody& body = entry_->body;
  if (body.file()) {
    out.addFile(body.file());  // an HTTP/1.1 socket sends it with sendfile()
  } else {
    out.addReference(body.view(), entry_);
  }
}

void CacheFilter::serveEntry(std::string_view x_cache) {
  phase_ = Phase::Answered;
  x_cache_ = x_cache;
  bool not_modified = conditionalMatches(*request_, *entry_);
  auto headers = std::make_unique<http::ResponseHeaders>();
  writeEntryHead(*headers, x_cache, not_modified);
  bool end = head_request_ || not_modified || entry_->body.empty();
  callbacks_->encodeHeaders(std::move(headers), end);
  if (end || destroyed_) return;
  Buffer body;
  addEntryBody(body);
  callbacks_->encodeData(body, true);
}

// ---- Response side ------------------------------------------------------------------

FilterHeadersStatus CacheFilter::encodeHeaders(http::ResponseHeaders& headers, bool end_stream) {
  if (bypass_) {
    headers.headers.addView("x-cache", "BYPASS");
    return FilterHeadersStatus::Continue;
  }
  if (revalidating_) {
    revalidating_ = false;
    restoreClientConditionals();
    if (headers.status == 304 && entry_) {
      answerFromRevalidated(headers, end_stream);
      return FilterHeadersStatus::Continue;
    }
  }
  if (headers.status >= 500 && entry_ && !refresh_ &&
      staleIfErrorAllows(*entry_, request_cc_, nowMs())) {
    abandonStore(false);
    replaceWithEntry(headers, end_stream, "STALE", false);
    return FilterHeadersStatus::Continue;
  }
  headers.headers.addView("x-cache", x_cache_);
  if (!head_request_)
    beginStore(headers, end_stream);
  else
    abandonStore(false);
  return FilterHeadersStatus::Continue;
}

void CacheFilter::answerFromRevalidated(http::ResponseHeaders& headers, bool end_stream) {
  // RFC 9111 §4.3.4: the 304 refreshes the stored entry.
  auto fresh = refreshFromNotModified(*entry_, *request_, request_cc_, headers, config_.policy,
                                      request_time_ms_, nowMs());
  if (fresh) {
    fresh->path = entry_->path;
    std::shared_ptr<const CachedEntry> stored = fresh;
    insertEntry(fresh);
    entry_ = std::move(stored);
  }
  if (refresh_) return;  // nobody reads the answer of a background refresh
  std::string_view hit = entry_layer_ == CacheLayer::Redis ? "HIT-REDIS" : "HIT-MEMORY";
  replaceWithEntry(headers, end_stream, hit, conditionalMatches(*request_, *entry_));
}

void CacheFilter::replaceWithEntry(http::ResponseHeaders& headers, bool end_stream,
                                   std::string_view x_cache, bool not_modified) {
  x_cache_ = x_cache;
  headers.headers.clear();
  writeEntryHead(headers, x_cache, not_modified);
  bool want_body = !not_modified && !head_request_ && !entry_->body.empty();
  if (end_stream) {
    if (want_body) {
      Buffer body;
      addEntryBody(body);
      callbacks_->injectEncodedBody(body);
    }
  } else {
    // The origin's body is dropped as it comes; the entry's goes at its end.
    replacing_body_ = true;
    replace_with_body_ = want_body;
  }
}

void CacheFilter::beginStore(http::ResponseHeaders& headers, bool end_stream) {
  if (phase_ != Phase::Upstream) return;
  auto entry = std::make_shared<CachedEntry>();
  CacheControl response_cc = parseCacheControl(headers.headers, false);
  StoreDecision d = decideStore(*request_, request_cc_, headers, response_cc, config_.policy,
                                request_time_ms_, nowMs(), *entry);
  if (d.store) {
    // A length known to be too large is not worth collecting.
    const std::string_view* cl = headers.headers.get("content-length");
    uint64_t length = 0;
    if (cl && std::from_chars(cl->data(), cl->data() + cl->size(), length).ec == std::errc() &&
        length > config_.max_object_bytes)
      d.store = false;
  }
  if (!d.store) {
    abandonStore(false);
    return;
  }
  entry->path = std::string(callbacks_->streamInfo().client_path);
  key_ = entry->vary.empty() ? primary_ : variantKey(primary_, entry->vary, request_->headers);
  building_ = std::move(entry);
  storing_ = true;
  if (fill_) fill_->setHead(std::make_shared<const CachedEntry>(*building_), key_);
  if (end_stream) finishStore();
}

FilterDataStatus CacheFilter::encodeData(Buffer& data, bool end_stream) {
  if (replacing_body_) {
    data.clear();
    if (end_stream) {
      replacing_body_ = false;
      if (replace_with_body_) addEntryBody(data);
    }
    return FilterDataStatus::Continue;
  }
  if (storing_) {
    storeChunk(data);
    if (end_stream && storing_) finishStore();
  }
  return FilterDataStatus::Continue;
}

http::FilterTrailersStatus CacheFilter::encodeTrailers(http::HeaderMap&) {
  // Entries keep no trailers; a response that needs them (gRPC) is not stored.
  if (storing_) abandonStore(true);
  return http::FilterTrailersStatus::Continue;
}

void CacheFilter::storeChunk(Buffer& data) {
  size_t n = data.length();
  if (n == 0) return;
  if (body_bytes_ + n > config_.max_object_bytes) {
    abandonStore(true);  // it streams on, uncached
    return;
  }
  auto chunk = std::make_shared<std::string>(n, '\0');
  evbuffer_copyout(data.raw(), chunk->data(), n);
  body_bytes_ += n;
  chunks_.push_back(chunk);
  if (fill_) fill_->append(std::move(chunk));
}

void CacheFilter::finishStore() {
  storing_ = false;
  std::vector<std::string_view> parts;
  parts.reserve(chunks_.size());
  for (const auto& c : chunks_) parts.emplace_back(*c);
  building_->body = EntryBody::forCache(parts.data(), parts.size());
  chunks_.clear();
  insertEntry(std::move(building_));
  if (fill_) {
    fill_->complete();
    runtime().fills.remove(primary_, fill_.get());
    fill_.reset();
  }
}

void CacheFilter::abandonStore(bool failed) {
  storing_ = false;
  building_.reset();
  chunks_.clear();
  if (fill_ && leader_) {
    if (failed) {
      fill_->fail();
    } else {
      fill_->abandon();
    }
    runtime().fills.remove(primary_, fill_.get());
    fill_.reset();
  }
}

void CacheFilter::insertEntry(std::shared_ptr<CachedEntry> entry) {
  int64_t keep = keepUntil(*entry);
  std::shared_ptr<CachedEntry> marker;
  if (key_ != primary_) {
    marker = std::make_shared<CachedEntry>();
    marker->vary_marker = true;
    marker->vary = entry->vary;
    marker->path = entry->path;
  }
  const http::WorkerServices& s = callbacks_->workerServices();
  if (config_.redis && s.redis) {
    int64_t ttl =
        config_.redis_ttl_ms ? config_.redis_ttl_ms : std::max<int64_t>(keep - nowMs(), 1'000);
    redisPut(*s.redis, key_, encodeEntry(*entry), ttl, entry->path, entry->tags);
    if (marker) redisPut(*s.redis, primary_, encodeEntry(*marker), ttl, marker->path, {});
  }
  if (config_.memory) {
    runtime().memory.insert(key_, std::move(entry), keep);
    if (marker) runtime().memory.insert(primary_, std::move(marker), keep);
  }
}

int64_t CacheFilter::keepUntil(const CachedEntry& e) const {
  int64_t fresh_left = std::max<int64_t>(e.freshness_lifetime_ms - e.corrected_initial_age_ms, 0);
  int64_t extra = std::max(e.stale_while_revalidate_ms, e.stale_if_error_ms);
  // An entry with validators stays a while after it goes stale: a 304 from
  // the origin is much cheaper than the whole response again.
  if (hasValidators(e)) extra = std::max<int64_t>({extra, e.freshness_lifetime_ms, 60'000});
  return e.response_time_ms + fresh_left + extra;
}

// ---- Local replies ----------------------------------------------------------------

void CacheFilter::onLocalReply(http::ResponseHeaders& headers) {
  headers.headers.addView("x-cache", x_cache_);
}

bool CacheFilter::replaceLocalReply(int) {
  // The origin is unreachable or timed out: stale-if-error.
  if (refresh_ || !entry_ || phase_ != Phase::Upstream) return false;
  if (!staleIfErrorAllows(*entry_, request_cc_, nowMs())) return false;
  if (revalidating_) {
    revalidating_ = false;
    restoreClientConditionals();
  }
  abandonStore(false);
  serveEntry("STALE");
  return true;
}

// ---- Waiting on a coalesced response ----------------------------------------------

void CacheFilter::waitOn(std::shared_ptr<Fill> fill) {
  phase_ = Phase::Waiting;
  fill_ = std::move(fill);
  waiter_ = std::make_shared<Fill::Waiter>();
  waiter_->dispatcher = callbacks_->workerServices().dispatcher;
  waiter_->wake = [this] { pumpFill(); };
  wait_timer_.emplace(callbacks_->eventBase(), [this] {
    if (fill_started_) return;
    leaveFill();
    proceed(goUpstream());  // waited long enough: ask the origin ourselves
  });
  wait_timer_->arm(config_.coalesce_timeout);
  fill_->addWaiter(waiter_);
}

void CacheFilter::leaveFill() {
  if (waiter_) {
    waiter_->alive = false;
    if (fill_) fill_->removeWaiter(waiter_.get());
    waiter_.reset();
  }
  if (!leader_) fill_.reset();
  if (wait_timer_) wait_timer_->cancel();
}

void CacheFilter::pumpFill() {
  if (!fill_ || !waiter_ || destroyed_) return;
  std::vector<Fill::Chunk> chunks;
  Fill::Snapshot snap = fill_->snapshot(next_chunk_, chunks);
  if (!fill_started_) {
    if (snap.state == Fill::State::Pending) return;
    bool usable = snap.state == Fill::State::Streaming || snap.state == Fill::State::Complete;
    // The response varies on a field this request sends differently.
    if (usable && !snap.head->vary.empty() &&
        variantKey(primary_, snap.head->vary, request_->headers) != snap.stored_key)
      usable = false;
    if (!usable) {
      leaveFill();
      proceed(goUpstream());
      return;
    }
    fill_started_ = true;
    wait_timer_->cancel();
    phase_ = Phase::Answered;
    fill_head_ = snap.head;
    auto headers = std::make_unique<http::ResponseHeaders>();
    headers->status = fill_head_->status;
    for (const auto& [name, value] : fill_head_->headers) headers->headers.addView(name, value);
    headers->headers.addView("x-cache", x_cache_);
    bool end = snap.state == Fill::State::Complete && snap.chunk_count == 0;
    callbacks_->encodeHeaders(std::move(headers), end);
    if (end) leaveFill();
    if (end || destroyed_) return;
  }
  if (snap.state == Fill::State::Failed) {
    leaveFill();
    callbacks_->sendLocalReply(502, "bad_gateway", "the shared upstream response failed",
                               "cache_fill_failed");
    return;
  }
  for (const auto& chunk : chunks) {
    if (downstream_full_) return;  // onDownstreamWatermark(false) pumps again
    Buffer b;
    b.addReference(*chunk, chunk);
    ++next_chunk_;
    bool last = snap.state == Fill::State::Complete && next_chunk_ == snap.chunk_count;
    callbacks_->encodeData(b, last);
    if (destroyed_) return;
    if (last) {
      leaveFill();
      return;
    }
  }
  if (snap.state == Fill::State::Complete && next_chunk_ == snap.chunk_count) {
    Buffer empty;
    leaveFill();
    callbacks_->encodeData(empty, true);
  }
}

void CacheFilter::onDownstreamWatermark(bool above_high) {
  downstream_full_ = above_high;
  if (!above_high && fill_started_ && waiter_) pumpFill();
}

void CacheFilter::onDestroy() {
  if (destroyed_) return;
  destroyed_ = true;
  if (redis_request_) {
    redis_request_->cancel();
    redis_request_ = nullptr;
  }
  if (leader_ && fill_) {
    abandonStore(true);  // waiters streaming it are cut; the rest ask the origin
  } else {
    leaveFill();
  }
  wait_timer_.reset();
  if (refresh_) runtime().refreshing.end(refresh_key_);
}

}  // namespace courier::filters::cache
