// The arithmetic of HTTP/2 upstream stream capacity, kept pure so it is
// unit-tested without sockets: how many more streams one connection may
// open, and how many connections a pool must start for its waiters.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace courier::upstream::h2 {

// Streams courier opens on one connection at most, whatever the peer allows
// (a peer that advertises "unlimited" should not get a million streams on
// one TCP connection).
inline constexpr uint32_t kMaxStreamsPerConnection = 1000;
// What a connection is assumed to carry before the peer's SETTINGS say:
// RFC 9113 §6.5.2 recommends that peers allow at least 100.
inline constexpr uint32_t kAssumedStreamsPerConnection = 100;
// The last client-initiated (odd) stream id.
inline constexpr int64_t kLastStreamId = (int64_t{1} << 31) - 1;

// Streams that may still be opened on a connection: the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS capped at kMaxStreamsPerConnection, minus
// the streams open now, and never more than the stream ids left from
// `next_stream_id` (odd ids up to 2^31 - 1).
inline uint32_t streamCapacity(uint32_t peer_max_concurrent, size_t open_streams,
                               int64_t next_stream_id) {
  uint64_t limit = std::min(peer_max_concurrent, kMaxStreamsPerConnection);
  if (open_streams >= limit) return 0;
  uint64_t room = limit - open_streams;
  int64_t ids_left = next_stream_id > kLastStreamId ? 0 : (kLastStreamId - next_stream_id) / 2 + 1;
  return static_cast<uint32_t>(std::min<uint64_t>(room, static_cast<uint64_t>(ids_left)));
}

// Connections to start so that `waiting` requesters have room, given the
// streams that connections still connecting are assumed to take.
inline size_t connectionsToStart(size_t waiting, size_t connecting) {
  size_t room = connecting * kAssumedStreamsPerConnection;
  if (waiting <= room) return 0;
  return (waiting - room + kAssumedStreamsPerConnection - 1) / kAssumedStreamsPerConnection;
}

// Requesters to fail after a connection failed before it was ready: those
// the connections still connecting are not assumed to take.
inline size_t waitersToFail(size_t waiting, size_t connecting) {
  size_t room = connecting * kAssumedStreamsPerConnection;
  return waiting > room ? waiting - room : 0;
}

}  // namespace courier::upstream::h2
