"""HTTP/2 limits and flood defences of courier's downstream h2c (SPEC §5:
"limits against rapid reset, CONTINUATION, SETTINGS and PING floods and HPACK
bombs ... nothing lets one connection starve others"), timeouts and
graceful drain.

Every flood test opens a well-behaved connection first, then attacks on a
second one, and checks that the attacker gets GOAWAY (and is closed) while
the well-behaved connection still gets its 200 afterwards. One worker, so
both connections share an event loop.

Run: COURIER_BINARY=... COURIER_DEMO_UPSTREAM=... /usr/bin/python3 -m unittest -v test_limits
(from this directory), or tests/e2e/h2_limits_test.sh.
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    DATA, ENHANCE_YOUR_CALM, GOAWAY, INTERNAL_ERROR, HEADERS, MAX_CONCURRENT_STREAMS, MAX_HEADER_LIST_SIZE,
    NO_ERROR, PING, PREFACE, PROTOCOL_ERROR, REFUSED_STREAM, RST_STREAM, CANCEL, H2TestCase,
    config, continuation_frame, data_frame, err_name, frame, headers_frame, hpack_indexed,
    hpack_literal, ping_frame, priority_frame, raw_block, request_headers, rst_frame,
    settings_frame, stop_upstream, TARGET)


def tearDownModule():
    stop_upstream()


class LimitTestCase(H2TestCase):

    def setUp(self):
        super().setUp()
        # The bystander: connected, and served, before the attack.
        self.good = self.client()
        self.assert_healthy(self.good)

    def assert_bystander_served(self):
        self.assertTrue(self.server.alive(), "server died:\n" + self.server.stderr()[-2000:])
        self.assertIsNone(self.good.terminated, "the well-behaved connection got GOAWAY: %s"
                          % self.good.terminated)
        self.assert_healthy(self.good)

    def assert_goaway_then_closed(self, c, codes, timeout=5):
        """The attacker gets a GOAWAY with one of `codes` and is closed."""
        g = c.wait_for(lambda f: f.type == GOAWAY, timeout,
                       "GOAWAY %s" % "/".join(err_name(x) for x in codes))
        self.assertIn(g.error_code, codes, "GOAWAY %s: %s" % (err_name(g.error_code), c.describe()))
        self.assertTrue(c.wait_closed(timeout), "attacker still connected after GOAWAY: %s"
                        % c.describe())
        return g


class Settings(LimitTestCase):

    def test_settings_advertise_stream_and_header_list_limits(self):
        c = self.raw()
        self.assertEqual(c.server_settings.get(MAX_CONCURRENT_STREAMS), 100, c.server_settings)
        self.assertEqual(c.server_settings.get(MAX_HEADER_LIST_SIZE), 65536, c.server_settings)

    @config(http2_max_concurrent_streams=5, max_header_bytes=4096)
    def test_settings_follow_the_config(self):
        c = self.raw()
        self.assertEqual(c.server_settings.get(MAX_CONCURRENT_STREAMS), 5, c.server_settings)
        self.assertEqual(c.server_settings.get(MAX_HEADER_LIST_SIZE), 4096, c.server_settings)


class ConcurrentStreams(LimitTestCase):
    """http2_max_concurrent_streams: streams beyond it are refused, the
    connection lives on."""

    def open_streams(self, c, n):
        """n POST /echo streams whose request bodies stay open."""
        sids = []
        for _ in range(n):
            sid = c.new_stream_id()
            c.send_headers(sid, request_headers("/echo", "POST"), end_stream=False)
            sids.append(sid)
        return sids

    @config(http2_max_concurrent_streams=5)
    def test_stream_beyond_acked_max_concurrent_streams_gets_goaway(self):
        # The client has ACKed the limit, so exceeding it is deliberate:
        # RFC 9113 §5.1.2 makes it a PROTOCOL_ERROR, and nghttp2 (so courier)
        # ends the connection; streams the client opened before the ACK are
        # only refused (next test).
        c = self.raw()  # SETTINGS exchanged and ACKed both ways
        self.assertEqual(c.server_settings.get(MAX_CONCURRENT_STREAMS), 5)
        held = self.open_streams(c, 5)
        c.ping_roundtrip()
        self.open_streams(c, 1)
        g = c.expect_goaway(PROTOCOL_ERROR)
        # The five streams within the limit were accepted.
        self.assertEqual(g.last_stream_id, held[-1], c.describe())
        self.assert_bystander_served()

    @config(http2_max_concurrent_streams=5)
    def test_streams_within_the_limit_are_served_and_make_room(self):
        c = self.raw()
        held = self.open_streams(c, 5)
        c.send(data_frame(held[0], b"done", end_stream=True))
        r = c.response(held[0])
        self.assertEqual((r.status, r.body), (200, b"done"), r)
        # One stream finished: a sixth one now fits.
        r = c.response(c.request("/"))
        self.assertEqual(r.status, 200, r)
        self.assertFalse(c.frames(GOAWAY), c.describe())
        self.assert_bystander_served()

    @config(http2_max_concurrent_streams=5)
    def test_streams_sent_before_settings_ack_beyond_limit_are_refused(self):
        # A client that opens streams right after its preface, before it saw
        # the limit: the streams beyond it are refused, not the connection.
        c = self.raw(handshake=False, auto_ack=False)
        hdrs = b"".join(headers_frame(sid, raw_block(request_headers("/echo", "POST")),
                                      end_stream=False) for sid in range(1, 15, 2))
        c.send(PREFACE + settings_frame() + hdrs)
        c.expect_rst(11, REFUSED_STREAM)
        c.expect_rst(13, REFUSED_STREAM)
        self.assertFalse(c.frames(GOAWAY), c.describe())
        self.assertFalse([f for f in c.frames(RST_STREAM) if f.stream_id < 11], c.describe())
        self.assert_bystander_served()


class HeaderListSize(LimitTestCase):
    """max_header_bytes bounds the decoded header list."""

    @config(max_header_bytes=4096)
    def test_header_list_over_limit_gets_431(self):
        c = self.raw()
        sid = c.request("/", extra=[("x-big", "b" * 6000)])
        r = c.response(sid)
        self.assertEqual(r.status, 431, r)
        # The connection is fine.
        r = c.response(c.request("/", extra=[("x-small", "s" * 1000)]))
        self.assertEqual(r.status, 200, r)
        self.assert_bystander_served()

    @config(max_header_bytes=4096)
    def test_header_list_over_limit_in_continuations_gets_431(self):
        c = self.raw()
        block = raw_block(request_headers("/") + [("x-a", "a" * 2500), ("x-b", "b" * 2500)])
        c.send(headers_frame(1, block[:3000], end_headers=False) + continuation_frame(1, block[3000:]))
        r = c.response(1)
        self.assertEqual(r.status, 431, r)
        self.assert_bystander_served()

    @config(max_header_bytes=1024)
    def test_header_list_over_4x_limit_is_enhance_your_calm(self):
        c = self.raw()
        c.send(headers_frame(1, raw_block(request_headers("/") + [("x-huge", "h" * 6000)])))
        self.assert_goaway_then_closed(c, [ENHANCE_YOUR_CALM])
        self.assert_bystander_served()

    def test_hpack_bomb_is_enhance_your_calm(self):
        # One 4000-byte dynamic table entry referenced 2000 times: a 9 KB
        # header block that decodes to 8 MB.
        c = self.raw()
        block = raw_block(request_headers("/")) + hpack_literal("x-bomb", "B" * 4000, indexing=True)
        block += hpack_indexed(62) * 2000
        self.assertLess(len(block), 16384)
        c.send(headers_frame(1, block))
        self.assert_goaway_then_closed(c, [ENHANCE_YOUR_CALM])
        self.assert_bystander_served()


class RapidReset(LimitTestCase):
    """CVE-2023-44487: streams opened and cancelled at once."""

    def test_rapid_reset_gets_goaway(self):
        c = self.raw()
        burst = b"".join(headers_frame(sid, raw_block(request_headers("/"))) + rst_frame(sid, CANCEL)
                         for sid in range(1, 4001, 2))  # 2000 pairs
        c.send(burst)
        g = self.assert_goaway_then_closed(c, [ENHANCE_YOUR_CALM, INTERNAL_ERROR,
                                               PROTOCOL_ERROR])
        self.assertLess(g.last_stream_id, 4001)
        self.assert_bystander_served()

    def test_a_few_cancelled_streams_are_fine(self):
        c = self.raw()
        c.send(b"".join(headers_frame(sid, raw_block(request_headers("/delay/500"))) +
                        rst_frame(sid, CANCEL) for sid in range(1, 101, 2)))  # 50 pairs
        r = c.response(c.request("/", stream_id=101))
        self.assertEqual(r.status, 200, r)
        self.assertFalse(c.frames(GOAWAY), c.describe())


class ContinuationFlood(LimitTestCase):
    """CVE-2024-27316 style: a field block that never ends."""

    def test_continuation_flood_gets_goaway(self):
        c = self.raw()
        block = raw_block(request_headers("/") + [("x-long", "l" * 3000)])
        frames = headers_frame(1, block[:1], end_stream=True, end_headers=False)
        frames += b"".join(continuation_frame(1, block[i:i + 1], end_headers=False)
                           for i in range(1, 1001))  # 1000 CONTINUATIONs, no END_HEADERS
        c.send(frames)
        self.assert_goaway_then_closed(c, [ENHANCE_YOUR_CALM, PROTOCOL_ERROR, INTERNAL_ERROR])
        self.assert_bystander_served()

    def test_empty_continuation_flood_gets_goaway(self):
        c = self.raw()
        block = raw_block(request_headers("/"))
        c.send(headers_frame(1, block, end_headers=False) +
               continuation_frame(1, b"", end_headers=False) * 1000)
        self.assert_goaway_then_closed(c, [ENHANCE_YOUR_CALM, PROTOCOL_ERROR, INTERNAL_ERROR])
        self.assert_bystander_served()

    def test_eight_continuations_are_fine(self):
        c = self.raw()
        block = raw_block(request_headers("/") + [("x-split", "s" * 90)])
        step = len(block) // 9 + 1
        parts = [block[i:i + step] for i in range(0, len(block), step)]
        self.assertEqual(len(parts), 9)
        data = headers_frame(1, parts[0], end_headers=False)
        data += b"".join(continuation_frame(1, p, end_headers=(i == len(parts) - 1))
                         for i, p in enumerate(parts[1:], 1))
        c.send(data)
        r = c.response(1)
        self.assertEqual(r.status, 200, r)


class ControlFrameFloods(LimitTestCase):
    """SETTINGS / PING (and PRIORITY, empty DATA) floods: a budget of about
    1000 control frames, refilled at 100/s."""

    def test_settings_flood_gets_enhance_your_calm(self):
        c = self.raw()
        c.send(settings_frame() * 5000)
        self.assert_goaway_then_closed(c, [ENHANCE_YOUR_CALM])
        self.assert_bystander_served()

    def test_ping_flood_gets_enhance_your_calm(self):
        c = self.raw()
        c.send(ping_frame(b"flooding") * 5000)
        self.assert_goaway_then_closed(c, [ENHANCE_YOUR_CALM])
        acks = len([f for f in c.frames(PING) if "ACK" in f.flags])
        self.assertLess(acks, 5000, "every PING of the flood was answered")
        self.assert_bystander_served()

    def test_ping_flood_without_reading_is_cut(self):
        # The client never reads its PING ACKs (and its receive buffer is
        # small): the server must not queue ACKs for it without bound
        # (nghttp2: at most 1000 queued ACKs), nor block the bystander.
        c = self.raw(rcvbuf=4096)
        c.sock.setblocking(True)
        c.sock.settimeout(2)
        sent = 0
        try:
            for _ in range(100):
                c.sock.sendall(ping_frame(b"noread!!") * 1000)
                sent += 1000
        except OSError:
            pass  # cut (reset), or the server stopped reading: both end the flood
        c.sock.setblocking(False)
        self.assertTrue(c.wait_closed(5), "flooding connection still open after %d PINGs: %s"
                        % (sent, c.describe()))
        for g in c.frames(GOAWAY):
            self.assertEqual(g.error_code, ENHANCE_YOUR_CALM, c.describe())
        self.assert_bystander_served()

    def test_priority_flood_gets_enhance_your_calm(self):
        c = self.raw()
        c.send(b"".join(priority_frame(sid, 0, 16) for sid in range(1, 20001, 2)))
        self.assert_goaway_then_closed(c, [ENHANCE_YOUR_CALM])
        self.assert_bystander_served()

    def test_empty_data_flood_gets_enhance_your_calm(self):
        c = self.raw()
        c.send_headers(1, request_headers("/echo", "POST"), end_stream=False)
        c.send(data_frame(1, b"") * 5000)
        self.assert_goaway_then_closed(c, [ENHANCE_YOUR_CALM])
        self.assert_bystander_served()

    def test_a_few_control_frames_are_fine(self):
        c = self.raw()
        c.send(settings_frame() * 20 + b"".join(ping_frame(b"%08d" % i) for i in range(50)))
        c.ping_roundtrip()
        r = c.response(c.request("/"))
        self.assertEqual(r.status, 200, r)
        self.assertFalse(c.frames(GOAWAY), c.describe())


class Timeouts(LimitTestCase):

    @config(stream_idle_timeout="1s")
    def test_stream_idle_timeout_gets_408(self):
        # The request body never finishes, and no response has started.
        c = self.raw()
        sid = c.new_stream_id()
        c.send_headers(sid, request_headers("/v1/completions", "POST",
                                            extra=[("content-length", "100")]), end_stream=False)
        c.send(data_frame(sid, b"x" * 10))
        start = time.monotonic()
        r = c.response(sid, timeout=5)
        elapsed = time.monotonic() - start
        self.assertEqual(r.status, 408, r)
        self.assertGreater(elapsed, 0.7, "timed out too early")
        self.assertLess(elapsed, 3.5, "timed out too late")
        # Only the stream: the connection serves the next request.
        r = c.response(c.request("/"))
        self.assertEqual(r.status, 200, r)
        self.assert_bystander_served()

    @config(stream_idle_timeout="1s")
    def test_stream_idle_timeout_after_response_started_resets_stream(self):
        c = self.raw()
        sid = c.new_stream_id()
        c.send_headers(sid, request_headers("/echo", "POST", extra=[("content-length", "100")]),
                       end_stream=False)
        c.send(data_frame(sid, b"x" * 10))
        c.wait_for(lambda f: f.type == HEADERS and f.stream_id == sid, what="response HEADERS")
        start = time.monotonic()
        f = c.wait_for(lambda f: f.stream_id == sid and (f.type == RST_STREAM or
                                                           "END_STREAM" in f.flags), 5,
                       "RST_STREAM on the idle stream")
        elapsed = time.monotonic() - start
        self.assertEqual(f.type, RST_STREAM, "an incomplete response ended cleanly: %s" % c.describe())
        self.assertLess(elapsed, 3.5)
        c.ping_roundtrip()
        self.assert_bystander_served()

    @config(stream_idle_timeout="1s")
    def test_active_stream_is_not_idle(self):
        # A response that keeps sending never hits the stream idle timeout.
        c = self.raw(auto_window=True)
        r = c.response(c.request("/slow-body?bytes=2000&rate=1000"), timeout=5)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.body), 2000)

    @config(idle_timeout="1s")
    def test_idle_connection_gets_goaway_no_error(self):
        c = self.raw()
        start = time.monotonic()
        g = c.wait_for(lambda f: f.type == GOAWAY, 5, "GOAWAY on the idle connection")
        elapsed = time.monotonic() - start
        self.assertEqual(g.error_code, NO_ERROR, c.describe())
        self.assertGreater(elapsed, 0.7)
        self.assertLess(elapsed, 3.5)
        self.assertTrue(c.wait_closed(3), "idle connection not closed: %s" % c.describe())

    @config(idle_timeout="1s")
    def test_connection_with_open_stream_is_not_idle(self):
        c = self.raw()
        r = c.response(c.request("/delay/1800"), timeout=5)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.goaway, "GOAWAY while a stream was open: %s" % c.describe())


class Drain(H2TestCase):
    SERVER_CONFIG = {"drain_timeout": "5s"}

    def test_sigterm_sends_goaway_and_lets_stream_finish(self):
        c = self.raw()
        sid = c.request("/delay/1000")
        c.ping_roundtrip()  # the request is in
        self.server.signal(self.server.graceful_stop_signal())
        g = c.wait_for(lambda f: f.type == GOAWAY, 3, "GOAWAY after SIGTERM")
        self.assertEqual(g.error_code, NO_ERROR, c.describe())
        r = c.response(sid, timeout=5)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(json.loads(r.body), {"delayed_ms": 1000})
        goaways = c.frames(GOAWAY)
        self.assertTrue(all(x.error_code == NO_ERROR for x in goaways), c.describe())
        self.assertGreaterEqual(goaways[-1].last_stream_id, sid, c.describe())
        self.assertTrue(c.wait_closed(5), "connection not closed after the drain: %s" % c.describe())
        code = self.server.wait_exit(7)
        self.assertEqual(code, 0, "exit status after SIGTERM: %s" % code)

    def test_sigterm_closes_idle_h2_connection_with_goaway(self):
        c = self.raw()
        self.server.signal(self.server.graceful_stop_signal())
        g = c.wait_for(lambda f: f.type == GOAWAY, 3, "GOAWAY after SIGTERM")
        self.assertEqual(g.error_code, NO_ERROR, c.describe())
        self.assertTrue(c.wait_closed(5), "connection not closed after the drain: %s" % c.describe())
        self.assertEqual(self.server.wait_exit(7), 0)


if __name__ == "__main__":
    unittest.main()
