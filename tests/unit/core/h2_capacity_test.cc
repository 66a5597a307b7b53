// The arithmetic behind H2ConnPool's and H2ClientConnection's capacity.
#include "proxy/upstream/h2_capacity.h"

#include <gtest/gtest.h>

namespace courier::upstream::h2 {
namespace {

TEST(H2Capacity, PeerLimitMinusOpenStreams) {
  EXPECT_EQ(streamCapacity(100, 0, 1), 100u);
  EXPECT_EQ(streamCapacity(100, 99, 199), 1u);
  EXPECT_EQ(streamCapacity(100, 100, 201), 0u);
  EXPECT_EQ(streamCapacity(2, 0, 1), 2u);
  EXPECT_EQ(streamCapacity(2, 1, 3), 1u);
  EXPECT_EQ(streamCapacity(0, 0, 1), 0u) << "a peer may allow no streams at all";
}

TEST(H2Capacity, PeerLoweringItsLimitBelowOpenStreamsLeavesNoRoom) {
  EXPECT_EQ(streamCapacity(10, 50, 101), 0u);
}

TEST(H2Capacity, UnlimitedPeersAreCapped) {
  EXPECT_EQ(streamCapacity(0xffffffffu, 0, 1), kMaxStreamsPerConnection);
  EXPECT_EQ(streamCapacity(0xffffffffu, 999, 1999), 1u);
  EXPECT_EQ(streamCapacity(5000, 1000, 2001), 0u);
}

TEST(H2Capacity, StreamIdsRunOut) {
  // Odd client ids up to 2^31 - 1: from next id n there are (max - n) / 2 + 1 left.
  EXPECT_EQ(streamCapacity(100, 0, kLastStreamId), 1u);
  EXPECT_EQ(streamCapacity(100, 0, kLastStreamId - 2), 2u);
  EXPECT_EQ(streamCapacity(100, 0, kLastStreamId + 2), 0u);
  EXPECT_EQ(streamCapacity(100, 3, kLastStreamId - 4), 3u);
}

TEST(H2Capacity, ConnectionsToStartCoverTheWaiters) {
  EXPECT_EQ(connectionsToStart(0, 0), 0u);
  EXPECT_EQ(connectionsToStart(1, 0), 1u);
  EXPECT_EQ(connectionsToStart(100, 0), 1u);
  EXPECT_EQ(connectionsToStart(101, 0), 2u);
  EXPECT_EQ(connectionsToStart(1, 1), 0u) << "a connect under way is assumed to take 100";
  EXPECT_EQ(connectionsToStart(100, 1), 0u);
  EXPECT_EQ(connectionsToStart(150, 1), 1u);
  EXPECT_EQ(connectionsToStart(350, 1), 3u);
}

TEST(H2Capacity, AFailedConnectFailsOnlyWhatOthersCannotTake) {
  EXPECT_EQ(waitersToFail(5, 0), 5u);
  EXPECT_EQ(waitersToFail(5, 1), 0u);
  EXPECT_EQ(waitersToFail(130, 1), 30u);
  EXPECT_EQ(waitersToFail(0, 0), 0u);
}

}  // namespace
}  // namespace courier::upstream::h2
