// The cache's Redis layer against a real redis-server: entries, their index
// sets and expiry, the three purges, invalidation messages, and a dead Redis.
#include "filters/cache/redis_store.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/redis/subscriber.h"
#include "proxy/stats/worker_stats.h"
#include "tests/unit/redis/redis_test_util.h"

namespace courier::filters::cache {
namespace {

using namespace redis::testing;

class CacheRedisStoreTest : public RedisTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.ok()) << server_.error();
    client_ = std::make_unique<redis::Client>(loop_.base(), configFor(server_.port()), &stats_);
    ASSERT_TRUE(loop_.runUntil([&] { return client_->connected(); }));
    // A script's first run goes EVALSHA, NOSCRIPT, then EVAL, so commands
    // sent meanwhile overtake it. Load the put script first, so that tests
    // can read right after a put.
    put(CacheKey{99, 99}, "warm", 60'000, "/warm");
    ASSERT_TRUE(eventuallyStored(CacheKey{99, 99}));
    ASSERT_EQ(redisCommand({"FLUSHALL"}), "OK");  // keeps the scripts
  }

  void put(CacheKey key, std::string_view bytes, int64_t ttl_ms, std::string_view path,
           std::vector<std::string> tags = {}) {
    redisPut(*client_, key, bytes, ttl_ms, path, tags);
  }
  // GET through the layer; waits, so earlier puts on the client are done.
  Recorder get(CacheKey key) {
    Recorder r;
    EXPECT_NE(redisGet(*client_, key, r), nullptr);
    EXPECT_TRUE(loop_.runUntil([&] { return r.done(); }));
    return r;
  }
  std::optional<std::string> purge(PurgeKind kind, std::string_view value) {
    Recorder r;
    EXPECT_NE(redisPurge(*client_, kind, value, r), nullptr);
    EXPECT_TRUE(loop_.runUntil([&] { return r.done(); }));
    EXPECT_FALSE(r.error.has_value()) << r.message;
    return r.reply;
  }
  bool stored(CacheKey key) { return get(key).reply != "(nil)"; }
  bool eventuallyStored(CacheKey key) {
    return loop_.runUntil(
        [&] {
          return redisCommand({"EXISTS", redisEntryKey(key)}) == "1";
        },
        2000ms);
  }
  std::string redisCommand(const std::vector<std::string>& argv) { return server_.command(argv); }
  uint64_t errors(stats::RedisOp op) const { return stats_.redisErrors(static_cast<size_t>(op)); }

  test::RedisServer server_;
  Loop loop_;
  stats::WorkerStats stats_{1, 0};
  std::unique_ptr<redis::Client> client_;
};

constexpr CacheKey kA{1, 1}, kB{1, 2}, kC{2, 1}, kD{2, 2};

TEST(CacheRedisKeys, EntryKeyIsPrefixedHex) {
  EXPECT_EQ(redisEntryKey(CacheKey{0x0123456789abcdefULL, 0xfedcba9876543210ULL}),
            "courier:c:0123456789abcdeffedcba9876543210");
}

TEST(CacheRedisKeys, PrefixPatternEscapesGlobCharacters) {
  EXPECT_EQ(prefixPattern("/docs/"), "courier:cu:/docs/*");
  EXPECT_EQ(prefixPattern("/a*b?c[d]e\\f"), "courier:cu:/a\\*b\\?c\\[d\\]e\\\\f*");
  EXPECT_EQ(prefixPattern(""), "courier:cu:*");
}

TEST_F(CacheRedisStoreTest, PutThenGetReturnsTheBytes) {
  std::string bytes("entry\0with\r\nbinary", 18);
  put(kA, bytes, 60'000, "/a");
  Recorder hit = get(kA);
  EXPECT_EQ(hit.reply, bytes);
  EXPECT_EQ(redisCommand({"GET", redisEntryKey(kA)}), bytes);

  put(kA, "replaced", 60'000, "/a");
  EXPECT_EQ(get(kA).reply, "replaced");
  EXPECT_EQ(errors(stats::RedisOp::CachePut), 0u);
}

TEST_F(CacheRedisStoreTest, MissIsNil) {
  Recorder miss = get(kB);
  EXPECT_EQ(miss.reply, "(nil)");
  EXPECT_FALSE(miss.error.has_value());
}

TEST_F(CacheRedisStoreTest, EntriesAndTheirIndexSetsExpire) {
  put(kA, "a", 60'000, "/p?q=1", {"red", "blue team"});
  ASSERT_TRUE(stored(kA));
  auto pttl = [&](const std::string& key) { return std::stoll(redisCommand({"PTTL", key})); };
  EXPECT_GT(pttl(redisEntryKey(kA)), 58'000);
  EXPECT_LE(pttl(redisEntryKey(kA)), 60'000);
  for (const char* set : {"courier:cu:/p?q=1", "courier:ct:red", "courier:ct:blue team"}) {
    EXPECT_EQ(redisCommand({"SMEMBERS", set}), "[" + redisEntryKey(kA) + "]") << set;
    EXPECT_GT(pttl(set), 58'000) << set;
  }

  // A shorter entry does not shorten the set; a longer one extends it.
  put(kB, "b", 1'000, "/p?q=1");
  ASSERT_TRUE(stored(kB));
  EXPECT_GT(pttl("courier:cu:/p?q=1"), 58'000);
  put(kC, "c", 120'000, "/p?q=1");
  ASSERT_TRUE(stored(kC));
  EXPECT_GT(pttl("courier:cu:/p?q=1"), 118'000);
  EXPECT_LE(pttl("courier:ct:red"), 60'000);

  // A short-lived entry takes its sets with it.
  put(kD, "d", 150, "/short", {"brief"});
  ASSERT_TRUE(stored(kD));
  loop_.runFor(250ms);
  EXPECT_FALSE(stored(kD));
  EXPECT_EQ(redisCommand({"EXISTS", "courier:cu:/short"}), "0");
  EXPECT_EQ(redisCommand({"EXISTS", "courier:ct:brief"}), "0");
  EXPECT_EQ(errors(stats::RedisOp::CachePut), 0u);
}

TEST_F(CacheRedisStoreTest, PutDropsMembersWhoseEntriesAreGone) {
  put(kA, "a", 100, "/p");
  put(kB, "b", 60'000, "/p");
  ASSERT_TRUE(stored(kB));
  loop_.runFor(200ms);  // kA expired; the set lives on for kB
  ASSERT_FALSE(stored(kA));
  put(kC, "c", 60'000, "/p");
  ASSERT_TRUE(stored(kC));
  EXPECT_EQ(redisCommand({"SISMEMBER", "courier:cu:/p", redisEntryKey(kA)}), "0");
  EXPECT_EQ(redisCommand({"SCARD", "courier:cu:/p"}), "2");
}

TEST_F(CacheRedisStoreTest, NoTtlStoresNothing) {
  put(kA, "a", 0, "/a");
  put(kB, "b", -5, "/b");
  EXPECT_FALSE(stored(kA));
  EXPECT_FALSE(stored(kB));
  EXPECT_EQ(errors(stats::RedisOp::CachePut), 0u);
}

TEST_F(CacheRedisStoreTest, PurgeByPathTakesEveryVariantOfThatPathOnly) {
  put(kA, "a", 60'000, "/item?id=1");  // e.g. a vary marker
  put(kB, "b", 60'000, "/item?id=1");  // and its variant
  put(kC, "c", 60'000, "/item?id=2");
  put(kD, "d", 60'000, "/item?id=1&x");
  ASSERT_TRUE(stored(kD));

  EXPECT_EQ(purge(PurgeKind::Path, "/item?id=1"), "2");
  EXPECT_FALSE(stored(kA));
  EXPECT_FALSE(stored(kB));
  EXPECT_TRUE(stored(kC));
  EXPECT_TRUE(stored(kD));
  EXPECT_EQ(redisCommand({"EXISTS", "courier:cu:/item?id=1"}), "0");
  EXPECT_EQ(purge(PurgeKind::Path, "/item?id=1"), "0");
  EXPECT_EQ(purge(PurgeKind::Path, "/never-stored"), "0");
}

TEST_F(CacheRedisStoreTest, PrefixPurgeTreatsGlobCharactersLiterally) {
  struct Stored {
    CacheKey key;
    std::string path;
  };
  std::vector<Stored> all = {
      {{10, 1}, "/a*/1"}, {{10, 2}, "/ab/1"},  {{10, 3}, "/a[b]/1"}, {{10, 4}, "/ab]"},
      {{10, 5}, "/a?"},   {{10, 6}, "/aZ"},    {{10, 7}, "/a\\x"},   {{10, 8}, "/ax"},
      {{10, 9}, "/b/a*"}, {{10, 10}, "/a*/2"},
  };
  for (const Stored& s : all) put(s.key, s.path, 60'000, s.path);
  ASSERT_TRUE(stored(all.back().key));
  auto alive = [&](const std::string& path) {
    for (const Stored& s : all)
      if (s.path == path) return stored(s.key);
    ADD_FAILURE() << path;
    return false;
  };

  EXPECT_EQ(purge(PurgeKind::Prefix, "/a*"), "2");  // not every "/a..."
  EXPECT_FALSE(alive("/a*/1"));
  EXPECT_FALSE(alive("/a*/2"));
  EXPECT_TRUE(alive("/ab/1"));
  EXPECT_TRUE(alive("/ax"));

  EXPECT_EQ(purge(PurgeKind::Prefix, "/a[b]"), "1");  // not "/ab..."
  EXPECT_TRUE(alive("/ab/1"));
  EXPECT_EQ(purge(PurgeKind::Prefix, "/a?"), "1");  // not "/aZ"
  EXPECT_TRUE(alive("/aZ"));
  EXPECT_EQ(purge(PurgeKind::Prefix, "/a\\"), "1");  // not "/ax"
  EXPECT_TRUE(alive("/ax"));
  EXPECT_EQ(purge(PurgeKind::Prefix, "/ab]"), "1");
  EXPECT_TRUE(alive("/ab/1"));

  EXPECT_EQ(purge(PurgeKind::Prefix, "/a"), "3");  // /ab/1, /aZ, /ax
  EXPECT_TRUE(alive("/b/a*"));
  EXPECT_EQ(purge(PurgeKind::Prefix, "/"), "1");
  EXPECT_EQ(redisCommand({"KEYS", "courier:*"}), "[]");
}

TEST_F(CacheRedisStoreTest, PrefixPurgeScansALargeKeySpace) {
  // More keys than one SCAN call looks at, most of them not ours to purge.
  ASSERT_EQ(
      redisCommand({"EVAL", "for i = 1, 5000 do redis.call('SET', 'other:' .. i, i) end", "0"}),
      "(nil)");
  for (uint64_t i = 0; i < 50; ++i) put(CacheKey{20, i}, "x", 60'000, "/many/" + std::to_string(i));
  put(kA, "a", 60'000, "/kept");
  ASSERT_TRUE(stored(kA));
  EXPECT_EQ(purge(PurgeKind::Prefix, "/many/"), "50");
  EXPECT_TRUE(stored(kA));
}

TEST_F(CacheRedisStoreTest, PurgeByTag) {
  put(kA, "a", 60'000, "/a", {"product:1", "blue team"});
  put(kB, "b", 60'000, "/b", {"product:2"});
  put(kC, "c", 60'000, "/c", {"blue team"});
  ASSERT_TRUE(stored(kC));

  EXPECT_EQ(purge(PurgeKind::Tag, "blue team"), "2");
  EXPECT_FALSE(stored(kA));
  EXPECT_TRUE(stored(kB));
  EXPECT_FALSE(stored(kC));
  EXPECT_EQ(purge(PurgeKind::Tag, "product:1"), "0");  // its entry already went
  EXPECT_EQ(purge(PurgeKind::Tag, "product:2"), "1");
  EXPECT_EQ(purge(PurgeKind::Tag, "blue"), "0");
}

TEST_F(CacheRedisStoreTest, ScriptsSurviveAFlushedScriptCache) {
  put(kA, "a", 60'000, "/a");
  ASSERT_TRUE(stored(kA));
  ASSERT_EQ(redisCommand({"SCRIPT", "FLUSH"}), "OK");
  put(kB, "b", 60'000, "/a");
  EXPECT_TRUE(eventuallyStored(kB));
  ASSERT_EQ(redisCommand({"SCRIPT", "FLUSH"}), "OK");
  EXPECT_EQ(purge(PurgeKind::Path, "/a"), "2");
  EXPECT_EQ(errors(stats::RedisOp::CachePut), 0u);
}

TEST_F(CacheRedisStoreTest, RefusedPutCountsAnError) {
  ASSERT_EQ(redisCommand({"SET", "courier:cu:/clash", "not a set"}), "OK");
  put(kA, "a", 60'000, "/clash");
  loop_.runUntil([&] { return errors(stats::RedisOp::CachePut) > 0; });
  EXPECT_EQ(errors(stats::RedisOp::CachePut), 1u);
}

TEST_F(CacheRedisStoreTest, PublishedInvalidationReachesSubscribers) {
  std::vector<std::string> heard;
  redis::Subscriber sub(
      loop_.base(), configFor(server_.port()), std::string(kInvalidationChannel),
      [&](std::string_view m) { heard.emplace_back(m); }, [] {}, nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return sub.subscribed(); }));

  redisPublishInvalidation(*client_, "replica-7", PurgeKind::Prefix, "/docs/a b");
  redisPublishInvalidation(*client_, "replica-7", PurgeKind::Tag, "blue team");
  redisPublishInvalidation(*client_, "replica-7", PurgeKind::Path, "/x?y=1");
  ASSERT_TRUE(loop_.runUntil([&] { return heard.size() == 3; }));
  EXPECT_EQ(heard[0], "replica-7 prefix /docs/a b");

  auto first = parseInvalidation(heard[0]);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->instance_id, "replica-7");
  EXPECT_EQ(first->kind, PurgeKind::Prefix);
  EXPECT_EQ(first->value, "/docs/a b");
  auto second = parseInvalidation(heard[1]);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->kind, PurgeKind::Tag);
  EXPECT_EQ(second->value, "blue team");
  auto third = parseInvalidation(heard[2]);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->kind, PurgeKind::Path);
  EXPECT_EQ(third->value, "/x?y=1");
  EXPECT_EQ(errors(stats::RedisOp::Purge), 0u);
}

TEST(CacheRedisInvalidation, ParsesOnlyWellFormedMessages) {
  for (PurgeKind kind : {PurgeKind::Path, PurgeKind::Prefix, PurgeKind::Tag}) {
    for (std::string value : {"/a", "", "with  two spaces ", "x y z"}) {
      auto parsed = parseInvalidation(formatInvalidation("id-1", kind, value));
      ASSERT_TRUE(parsed.has_value()) << value;
      EXPECT_EQ(parsed->instance_id, "id-1");
      EXPECT_EQ(parsed->kind, kind);
      EXPECT_EQ(parsed->value, value);
    }
  }
  for (const char* bad :
       {"", "id", "id path", " path /a", "id  /a", "id PATH /a", "id paths /a", "id bogus /a"}) {
    EXPECT_FALSE(parseInvalidation(bad).has_value()) << '"' << bad << '"';
  }
}

class CacheRedisDeadTest : public RedisTest {
 protected:
  Loop loop_;
  stats::WorkerStats stats_{1, 0};
  uint64_t errors(stats::RedisOp op) const { return stats_.redisErrors(static_cast<size_t>(op)); }
};

TEST_F(CacheRedisDeadTest, DeadRedisFailsFastAndCountsErrors) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  server.stop();
  redis::Client client(loop_.base(), configFor(server.port()), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return errors(stats::RedisOp::Connect) >= 1; }, 2000ms));

  std::vector<std::string> tags = {"t"};
  redisPut(client, kA, "a", 60'000, "/a", tags);
  redisPut(client, kB, "b", 60'000, "/b", tags);
  redisPublishInvalidation(client, "me", PurgeKind::Path, "/a");
  Recorder get, purge;
  auto start = Clock::now();
  EXPECT_NE(redisGet(client, kA, get), nullptr);
  EXPECT_NE(redisPurge(client, PurgeKind::Prefix, "/", purge), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return get.done() && purge.done(); }, 1000ms));
  EXPECT_LT(Clock::now() - start, 100ms);
  EXPECT_EQ(get.error, redis::Error::Disconnected);
  EXPECT_EQ(purge.error, redis::Error::Disconnected);
  // Without a connection, writes count nothing more: op="connect" has it.
  EXPECT_EQ(errors(stats::RedisOp::CachePut), 0u);
  EXPECT_EQ(errors(stats::RedisOp::Purge), 0u);
  EXPECT_EQ(errors(stats::RedisOp::CacheGet), 0u);  // the caller counts gets
}

TEST_F(CacheRedisDeadTest, SlowWritesCountInTheClientsCurrentStats) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  redis::Client client(loop_.base(), configFor(server.port(), 25ms), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connectCount() == 1; }, 2000ms));
  // A reload hands the client to new stats: later failures count there, so
  // nothing writes to the retired shard.
  stats::WorkerStats next{1, 0};
  client.setStats(&next);
  ASSERT_TRUE(server.pause(500ms));
  std::vector<std::string> tags;
  redisPut(client, kA, "a", 60'000, "/a", tags);
  ASSERT_TRUE(loop_.runUntil(
      [&] { return next.redisErrors(static_cast<size_t>(stats::RedisOp::CachePut)) == 1; },
      2000ms));
  EXPECT_EQ(errors(stats::RedisOp::CachePut), 0u);
}

}  // namespace
}  // namespace courier::filters::cache
