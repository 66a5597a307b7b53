"""Frame-level HTTP/2 conformance of courier's downstream h2c (prior
knowledge), by RFC 9113 section. Each test names its section
(test_s6_5_...) and asserts the frame and error code the RFC requires.

Where the RFC asks for a stream error, expect_stream_error also accepts the
same code as a connection error (GOAWAY), which RFC 9113 §5.4 allows ("an
endpoint MAY choose to treat a stream error as a connection error"); where
it asks for a connection error, only a GOAWAY with that code passes.

Run: COURIER_BINARY=... COURIER_DEMO_UPSTREAM=... /usr/bin/python3 -m unittest -v test_conformance
(from this directory), or tests/e2e/h2_conformance_test.sh.
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    ACK, CANCEL, COMPRESSION_ERROR, CONTINUATION, DATA, END_HEADERS, END_STREAM, ENABLE_PUSH,
    FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, GOAWAY, HEADERS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE,
    NO_ERROR, PING, PREFACE, PRIORITY, PROTOCOL_ERROR, PUSH_PROMISE, RST_STREAM, SETTINGS,
    STREAM_CLOSED, WINDOW_UPDATE, H2TestCase, continuation_frame, data_frame, frame, goaway_frame,
    headers_frame, hpack_indexed, hpack_literal, hpack_table_size_update, ping_frame,
    priority_frame, raw_block, request_headers, rst_frame, settings_frame, stop_upstream,
    window_update_frame, pattern, err_name, nghttp2_deviation)

# A request whose response takes a while: the stream stays open meanwhile.
SLOW = "/delay/1500"


def tearDownModule():
    stop_upstream()


class S3_4_Preface(H2TestCase):
    """RFC 9113 §3.4: HTTP/2 connection preface."""

    def test_s3_4_server_preface_is_settings_frame(self):
        c = self.raw(handshake=False)
        c.preface()
        f = c.read_frame()
        self.assertIsNotNone(f, "connection closed instead of sending SETTINGS")
        self.assertEqual(f.type, SETTINGS, "first server frame: %s" % c.describe())
        self.assertNotIn("ACK", f.flags)
        self.assertEqual(f.stream_id, 0)

    def test_s3_4_client_settings_are_acked(self):
        c = self.raw(handshake=False)
        c.preface([(INITIAL_WINDOW_SIZE, 100000)])
        c.wait_for(lambda f: f.type == SETTINGS and "ACK" in f.flags, what="SETTINGS ACK")

    def test_s3_4_invalid_preface_closes_connection(self):
        c = self.raw(handshake=False)
        c.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + settings_frame())
        self.assertTrue(c.wait_closed(), "connection still open after an invalid preface: %s"
                        % c.describe())
        # A GOAWAY may be omitted (§3.4); if one is sent it must be PROTOCOL_ERROR.
        for g in c.frames(GOAWAY):
            self.assertEqual(g.error_code, PROTOCOL_ERROR, c.describe())
        self.assertFalse(c.frames(HEADERS), "a response to an invalid preface: %s" % c.describe())

    def test_s3_4_preface_not_followed_by_settings_is_protocol_error(self):
        c = self.raw(handshake=False)
        c.send(PREFACE + ping_frame())
        c.expect_goaway(PROTOCOL_ERROR)
        self.assertTrue(c.wait_closed())

    def test_s3_4_request_sent_with_the_preface_is_answered(self):
        # A client may send requests right after its preface, before the
        # server's SETTINGS arrive.
        c = self.raw(handshake=False)
        c.send(PREFACE + settings_frame() + headers_frame(1, c.encode(request_headers("/"))))
        r = c.response(1)
        self.assertEqual(r.status, 200, r)


class S4_Frames(H2TestCase):
    """RFC 9113 §4: frame format, frame size, field section compression."""

    def test_s4_1_unknown_frame_type_is_ignored(self):
        c = self.raw()
        c.send(frame(0xFA, 0, 0, b"hello") + frame(0xFB, 0xFF, 1, b"x" * 10))
        c.ping_roundtrip()

    def test_s4_1_undefined_flags_are_ignored(self):
        c = self.raw()
        c.send(frame(PING, 0xFE, 0, b"12345678"))  # every flag but ACK
        c.wait_for(lambda f: f.type == PING and "ACK" in f.flags and f.opaque_data == b"12345678",
                   what="PING ACK")
        hf = headers_frame(1, raw_block(request_headers("/")))
        c.send(hf[:4] + bytes([END_STREAM | END_HEADERS | 0x02 | 0x10 | 0x40 | 0x80]) + hf[5:])
        r = c.response(1)
        self.assertEqual(r.status, 200, r)

    def test_s4_1_reserved_bit_is_ignored(self):
        c = self.raw()
        c.send(frame(PING, 0, 0x80000000, b"reserved"))  # R bit set, stream 0
        c.wait_for(lambda f: f.type == PING and "ACK" in f.flags and f.opaque_data == b"reserved",
                   what="PING ACK")

    def test_s4_2_data_larger_than_max_frame_size_is_frame_size_error(self):
        c = self.raw()
        max_frame = c.server_settings.get(MAX_FRAME_SIZE, 16384)
        c.send_headers(1, request_headers("/echo", "POST"), end_stream=False)
        c.send(data_frame(1, b"x" * (max_frame + 1), end_stream=True))
        c.expect_stream_error(1, FRAME_SIZE_ERROR)

    def test_s4_2_headers_larger_than_max_frame_size_is_connection_error(self):
        # A frame that can change connection state (a field block) MUST be a
        # connection error.
        c = self.raw()
        max_frame = c.server_settings.get(MAX_FRAME_SIZE, 16384)
        block = c.encode(request_headers("/")) + raw_block([("x-pad", "p" * (max_frame + 10))])
        c.send(headers_frame(1, block))
        c.expect_goaway(FRAME_SIZE_ERROR)

    def test_s4_3_invalid_index_is_compression_error(self):
        c = self.raw()
        c.send(headers_frame(1, c.encode(request_headers("/")) + hpack_indexed(200)))
        c.expect_goaway(COMPRESSION_ERROR)

    def test_s4_3_index_zero_is_compression_error(self):
        c = self.raw()
        c.send(headers_frame(1, b"\x80"))
        c.expect_goaway(COMPRESSION_ERROR)

    def test_s4_3_table_size_update_above_setting_is_compression_error(self):
        c = self.raw()
        c.send(headers_frame(1, hpack_table_size_update(1 << 20) + c.encode(request_headers("/"))))
        c.expect_goaway(COMPRESSION_ERROR)

    def test_s4_3_table_size_update_after_field_is_compression_error(self):
        # RFC 7541 §4.2: a size update must come first in the block.
        c = self.raw()
        c.send(headers_frame(1, raw_block(request_headers("/")) + hpack_table_size_update(0)))
        c.expect_goaway(COMPRESSION_ERROR)

    def test_s4_3_bad_huffman_is_compression_error(self):
        # A Huffman string holding EOS (30 one-bits) is a decoding error.
        c = self.raw()
        bad = b"\x00\x84\xff\xff\xff\xff\x01v"  # literal, name: Huffman, 4 bytes of 1s
        c.send(headers_frame(1, raw_block(request_headers("/")) + bad))
        c.expect_goaway(COMPRESSION_ERROR)

    def test_s4_3_truncated_field_block_is_compression_error(self):
        c = self.raw()
        block = raw_block(request_headers("/")) + b"\x00\x05x-abc\x0a" + b"only4"
        c.send(headers_frame(1, block))
        c.expect_goaway(COMPRESSION_ERROR)

    def test_s4_3_dynamic_table_is_shared_across_streams(self):
        # Fields indexed on stream 1 are referenced from stream 3.
        c = self.raw()
        c.send(headers_frame(1, b"".join(hpack_literal(n, v, indexing=True)
                                         for n, v in request_headers("/headers",
                                                                     extra=[("x-indexed", "yes")]))))
        r1 = c.response(1)
        self.assertEqual(r1.status, 200, r1)
        # Newest entry is 62: x-indexed, then :path 63, :authority 64, :scheme 65, :method 66.
        c.send(headers_frame(3, b"".join(hpack_indexed(i) for i in (66, 65, 64, 63, 62))))
        r3 = c.response(3)
        self.assertEqual(r3.status, 200, r3)
        self.assertEqual(json.loads(r3.body)["headers"].get("x-indexed"), "yes", r3.body)


class S5_Streams(H2TestCase):
    """RFC 9113 §5: stream states, identifiers, priority, error handling."""

    # §5.1 idle
    def test_s5_1_data_on_idle_stream_is_protocol_error(self):
        c = self.raw()
        c.send(data_frame(1, b"hello", end_stream=True))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s5_1_rst_stream_on_idle_stream_is_protocol_error(self):
        c = self.raw()
        c.send(rst_frame(1, CANCEL))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s5_1_window_update_on_idle_stream_is_protocol_error(self):
        c = self.raw()
        c.send(window_update_frame(1, 100))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s5_1_continuation_on_idle_stream_is_protocol_error(self):
        c = self.raw()
        c.send(continuation_frame(1, c.encode(request_headers("/"))))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s5_1_priority_on_idle_stream_is_allowed(self):
        c = self.raw()
        c.send(priority_frame(3, 0, 32))
        sid = c.request("/", stream_id=1)  # PRIORITY did not open stream 3
        self.assertEqual(c.response(sid).status, 200)
        r = c.response(c.request("/", stream_id=3))
        self.assertEqual(r.status, 200, r)

    # §5.1 half-closed (remote)
    def test_s5_1_data_on_half_closed_remote_stream_is_stream_closed(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send(data_frame(1, b"late", end_stream=True))
        c.expect_stream_error(1, STREAM_CLOSED)

    def test_s5_1_headers_on_half_closed_remote_stream_is_stream_closed(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send_headers(1, [("x-trailer", "late")], end_stream=True)
        c.expect_stream_error(1, STREAM_CLOSED)

    def test_s5_1_window_update_and_priority_on_half_closed_remote_are_allowed(self):
        c = self.raw()
        c.request("/delay/200", stream_id=1)
        c.send(window_update_frame(1, 1000) + priority_frame(1, 0, 100))
        r = c.response(1)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(c.frames(GOAWAY), c.describe())

    # §5.1 closed. RFC 9113 lets a server ignore frames on a closed stream
    # or treat them as STREAM_CLOSED (a stream error, or a connection error);
    # either way a HEADERS block must still be decoded, so that the HPACK
    # state stays in step (§5.1 "MUST minimally process", §4.3).
    def check_closed_stream_frame(self, c, stream_id, next_stream_id):
        c.send(ping_frame(b"closed?!"))
        f = c.wait_for(lambda f: f.type == GOAWAY or (f.type == RST_STREAM and f.stream_id == stream_id)
                       or (f.type == PING and "ACK" in f.flags and f.opaque_data == b"closed?!"),
                       what="PING ACK, RST_STREAM or GOAWAY")
        if f.type != PING:
            self.assertEqual(f.error_code, STREAM_CLOSED, c.describe())
        if f.type == GOAWAY:
            return
        # The connection goes on, and its HPACK state is intact: this request
        # is encoded against a dynamic table that includes the ignored block.
        r = c.response(c.request("/headers", extra=[("x-after", "closed")], stream_id=next_stream_id))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(json.loads(r.body)["headers"].get("x-after"), "closed")

    def test_s5_1_data_after_rst_stream_is_ignored_or_stream_closed(self):
        c = self.raw()
        c.send_headers(1, request_headers("/echo", "POST"), end_stream=False)
        c.send(rst_frame(1, CANCEL))
        c.send(data_frame(1, b"after reset", end_stream=True))
        self.check_closed_stream_frame(c, 1, 3)

    def test_s5_1_headers_after_rst_stream_is_ignored_or_stream_closed(self):
        c = self.raw()
        c.send_headers(1, request_headers("/echo", "POST"), end_stream=False)
        c.send(rst_frame(1, CANCEL))
        c.send_headers(1, [("x-trailer", "after reset"), ("x-after", "closed")], end_stream=True)
        self.check_closed_stream_frame(c, 1, 3)

    def test_s5_1_data_on_closed_stream_is_ignored_or_stream_closed(self):
        c = self.raw()
        r = c.response(c.request("/", stream_id=1))
        self.assertEqual(r.status, 200)
        c.send(data_frame(1, b"too late", end_stream=True))
        self.check_closed_stream_frame(c, 1, 3)

    def test_s5_1_headers_on_closed_stream_is_ignored_or_stream_closed(self):
        c = self.raw()
        r = c.response(c.request("/", stream_id=1))
        self.assertEqual(r.status, 200)
        c.send_headers(1, [("x-trailer", "late"), ("x-after", "closed")], end_stream=True)
        self.check_closed_stream_frame(c, 1, 3)

    def test_s5_1_priority_on_closed_stream_is_allowed(self):
        c = self.raw()
        r = c.response(c.request("/", stream_id=1))
        self.assertEqual(r.status, 200)
        c.send(priority_frame(1, 0, 200))
        c.ping_roundtrip()
        self.assertFalse(c.frames(GOAWAY) + c.frames(RST_STREAM), c.describe())

    # §5.1.1 stream identifiers
    def test_s5_1_1_even_stream_id_is_protocol_error(self):
        c = self.raw()
        c.send_headers(2, request_headers("/"))
        c.expect_goaway(PROTOCOL_ERROR)

    @nghttp2_deviation("nghttp2 ignores a HEADERS whose stream id is below the last one "
                       "(nghttp2_session_on_request_headers_received: 'we are very conservative')")
    def test_s5_1_1_decreasing_stream_id_is_protocol_error(self):
        c = self.raw()
        c.request(SLOW, stream_id=5)
        c.request("/", stream_id=3)
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s5_1_1_skipped_stream_ids_are_allowed(self):
        # Opening stream 7 first implicitly closes 1, 3 and 5.
        c = self.raw()
        r = c.response(c.request("/", stream_id=7))
        self.assertEqual(r.status, 200, r)
        r = c.response(c.request("/", stream_id=9))
        self.assertEqual(r.status, 200, r)

    # §5.3 priority
    def test_s5_3_1_headers_depending_on_itself_is_protocol_error(self):
        c = self.raw()
        c.send(headers_frame(1, c.encode(request_headers("/")), priority=(1, 16, False)))
        c.expect_stream_error(1, PROTOCOL_ERROR)

    def test_s5_3_1_priority_depending_on_itself_is_protocol_error(self):
        c = self.raw()
        c.send(priority_frame(1, 1, 16))
        c.expect_stream_error(1, PROTOCOL_ERROR)

    def test_s5_3_priority_frames_are_accepted(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send(priority_frame(1, 0, 256, exclusive=True) + priority_frame(3, 1, 1) +
               priority_frame(5, 3, 100, exclusive=True))
        r = c.response(c.request("/", stream_id=7))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(c.response(1).status, 200)

    # §5.4
    def test_s5_4_1_goaway_names_last_processed_stream(self):
        c = self.raw()
        r = c.response(c.request("/", stream_id=1))
        self.assertEqual(r.status, 200)
        c.send(frame(PING, 0, 0, b"short"))
        g = c.expect_goaway(FRAME_SIZE_ERROR)
        self.assertEqual(g.last_stream_id, 1, c.describe())
        self.assertTrue(c.wait_closed(), "connection left open after GOAWAY: %s" % c.describe())

    def test_s5_4_2_stream_error_leaves_connection_usable(self):
        c = self.raw()
        c.send(headers_frame(1, raw_block(request_headers("/") + [("Upper", "x")])))
        c.expect_rst(1, PROTOCOL_ERROR)
        r = c.response(c.request("/", stream_id=3))
        self.assertEqual(r.status, 200, r)

    # §5.5
    def test_s5_5_unknown_frame_inside_field_block_is_protocol_error(self):
        c = self.raw()
        block = c.encode(request_headers("/"))
        c.send(headers_frame(1, block[:3], end_headers=False) + frame(0xFA, 0, 1, b"ext") +
               continuation_frame(1, block[3:]))
        c.expect_goaway(PROTOCOL_ERROR)


class S6_1_Data(H2TestCase):
    """RFC 9113 §6.1 DATA."""

    def test_s6_1_data_on_stream_0_is_protocol_error(self):
        c = self.raw()
        c.send(data_frame(0, b"zero"))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_1_padding_longer_than_payload_is_protocol_error(self):
        c = self.raw()
        c.send_headers(1, request_headers("/echo", "POST"), end_stream=False)
        c.send(frame(DATA, 0x8 | END_STREAM, 1, bytes([10]) + b"abc"))  # pad 10 > 3
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_1_padded_data_is_accepted(self):
        c = self.raw()
        c.send_headers(1, request_headers("/echo", "POST", extra=[("content-length", "11")]),
                       end_stream=False)
        c.send(data_frame(1, b"hello", pad=7) + data_frame(1, b" world", end_stream=True, pad=0))
        r = c.response(1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"hello world")

    def test_s6_1_empty_data_with_end_stream_ends_request(self):
        c = self.raw()
        c.send_headers(1, request_headers("/echo", "POST"), end_stream=False)
        c.send(data_frame(1, b"abc") + data_frame(1, b"", end_stream=True))
        r = c.response(1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"abc")


class S6_2_Headers(H2TestCase):
    """RFC 9113 §6.2 HEADERS."""

    def test_s6_2_headers_on_stream_0_is_protocol_error(self):
        c = self.raw()
        c.send_headers(0, request_headers("/"))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_2_padding_longer_than_payload_is_protocol_error(self):
        c = self.raw()
        block = c.encode(request_headers("/"))
        c.send(frame(HEADERS, 0x8 | END_HEADERS | END_STREAM, 1, bytes([len(block) + 5]) + block))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_2_padded_headers_with_priority_are_accepted(self):
        c = self.raw()
        c.send(headers_frame(1, c.encode(request_headers("/")), priority=(0, 200, True), pad=9))
        r = c.response(1)
        self.assertEqual(r.status, 200, r)


class S6_3_Priority(H2TestCase):
    """RFC 9113 §6.3 PRIORITY."""

    def test_s6_3_priority_on_stream_0_is_protocol_error(self):
        c = self.raw()
        c.send(priority_frame(0, 1, 16))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_3_priority_wrong_length_is_frame_size_error(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send(frame(PRIORITY, 0, 1, b"\0\0\0\0"))
        c.expect_stream_error(1, FRAME_SIZE_ERROR)


class S6_4_RstStream(H2TestCase):
    """RFC 9113 §6.4 RST_STREAM."""

    def test_s6_4_rst_stream_on_stream_0_is_protocol_error(self):
        c = self.raw()
        c.send(rst_frame(0, CANCEL))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_4_rst_stream_wrong_length_is_frame_size_error(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send(frame(RST_STREAM, 0, 1, b"\0\0\0\x08\0"))
        c.expect_goaway(FRAME_SIZE_ERROR)

    def test_s6_4_rst_stream_cancels_only_that_stream(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send(rst_frame(1, CANCEL))
        r = c.response(c.request("/", stream_id=3))
        self.assertEqual(r.status, 200, r)
        # Nothing more is sent on the cancelled stream (no response, no RST back).
        self.assertTrue(c.quiet_for(0.3, lambda f: f.stream_id == 1 and f.type != PRIORITY),
                        c.describe())


class S6_5_Settings(H2TestCase):
    """RFC 9113 §6.5 SETTINGS."""

    def test_s6_5_settings_ack_with_payload_is_frame_size_error(self):
        c = self.raw()
        c.send(frame(SETTINGS, ACK, 0, b"\0\x03\0\0\0\x10"))
        c.expect_goaway(FRAME_SIZE_ERROR)

    def test_s6_5_settings_on_nonzero_stream_is_protocol_error(self):
        c = self.raw()
        c.send(settings_frame([(INITIAL_WINDOW_SIZE, 1000)], stream_id=1))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_5_settings_length_not_multiple_of_6_is_frame_size_error(self):
        c = self.raw()
        c.send(frame(SETTINGS, 0, 0, b"\0\x03\0\0\0\x10\0"))
        c.expect_goaway(FRAME_SIZE_ERROR)

    def test_s6_5_2_enable_push_2_is_protocol_error(self):
        c = self.raw()
        c.send(settings_frame([(ENABLE_PUSH, 2)]))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_5_2_initial_window_size_above_max_is_flow_control_error(self):
        c = self.raw()
        c.send(settings_frame([(INITIAL_WINDOW_SIZE, 1 << 31)]))
        c.expect_goaway(FLOW_CONTROL_ERROR)

    def test_s6_5_2_max_frame_size_below_initial_is_protocol_error(self):
        c = self.raw()
        c.send(settings_frame([(MAX_FRAME_SIZE, 16383)]))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_5_2_max_frame_size_above_max_is_protocol_error(self):
        c = self.raw()
        c.send(settings_frame([(MAX_FRAME_SIZE, 1 << 24)]))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_5_2_unknown_setting_is_ignored(self):
        c = self.raw()
        c.send(settings_frame([(0xFF, 1), (0x4242, 0xFFFFFFFF)]))
        c.wait_for(lambda f: f.type == SETTINGS and "ACK" in f.flags, what="SETTINGS ACK")
        c.ping_roundtrip()
        self.assertFalse(c.frames(GOAWAY), c.describe())

    def test_s6_5_3_settings_ack_is_sent_for_each_settings(self):
        c = self.raw()
        acked = c.settings_acked
        c.send(settings_frame([(INITIAL_WINDOW_SIZE, 70000)]) + settings_frame() +
               settings_frame([(MAX_FRAME_SIZE, 32768)]))
        c.ping_roundtrip()
        self.assertEqual(c.settings_acked - acked, 3, c.describe())

    def test_s6_5_3_max_frame_size_is_honoured(self):
        # A larger MAX_FRAME_SIZE may be used by the server; a response is
        # never framed above what the client allows (16384 by default).
        c = self.raw(auto_window=True)
        r = c.response(c.request("/bytes/100000"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, pattern(100000))
        self.assertTrue(all(len(f.data) <= 16384 for f in c.frames(DATA)), c.describe())


class S6_6_PushPromise(H2TestCase):
    """RFC 9113 §6.6 PUSH_PROMISE / §8.4: a client cannot push."""

    def test_s6_6_push_promise_from_client_is_protocol_error(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        block = c.encode(request_headers("/pushed"))
        c.send(frame(PUSH_PROMISE, END_HEADERS, 1, b"\0\0\0\x02" + block))
        c.expect_goaway(PROTOCOL_ERROR)


class S6_7_Ping(H2TestCase):
    """RFC 9113 §6.7 PING."""

    def test_s6_7_ping_is_acked_with_same_payload(self):
        c = self.raw()
        c.send(ping_frame(b"\x01\x02\x03\x04\x05\x06\x07\x08"))
        f = c.wait_for(lambda f: f.type == PING, what="PING ACK")
        self.assertIn("ACK", f.flags)
        self.assertEqual(f.opaque_data, b"\x01\x02\x03\x04\x05\x06\x07\x08")
        self.assertEqual(f.stream_id, 0)

    def test_s6_7_ping_ack_from_client_is_not_answered(self):
        c = self.raw()
        c.send(ping_frame(b"unsolici", ack=True) + ping_frame(b"solicitd"))
        f = c.wait_for(lambda f: f.type == PING, what="PING ACK")
        self.assertEqual(f.opaque_data, b"solicitd", "answered a PING ACK: %s" % c.describe())

    def test_s6_7_ping_on_nonzero_stream_is_protocol_error(self):
        c = self.raw()
        c.send(ping_frame(stream_id=1))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_7_ping_short_length_is_frame_size_error(self):
        c = self.raw()
        c.send(frame(PING, 0, 0, b"1234567"))
        c.expect_goaway(FRAME_SIZE_ERROR)

    def test_s6_7_ping_long_length_is_frame_size_error(self):
        c = self.raw()
        c.send(frame(PING, 0, 0, b"123456789"))
        c.expect_goaway(FRAME_SIZE_ERROR)


class S6_8_Goaway(H2TestCase):
    """RFC 9113 §6.8 GOAWAY."""

    def test_s6_8_goaway_on_nonzero_stream_is_protocol_error(self):
        c = self.raw()
        c.send(goaway_frame(0, NO_ERROR, stream_id=1))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_8_client_goaway_lets_open_streams_finish(self):
        c = self.raw()
        c.request("/delay/300", stream_id=1)
        c.send(goaway_frame(0, NO_ERROR))
        r = c.response(1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(json.loads(r.body), {"delayed_ms": 300})


class S6_9_WindowUpdate(H2TestCase):
    """RFC 9113 §6.9 WINDOW_UPDATE and flow control."""

    def test_s6_9_zero_increment_on_connection_is_protocol_error(self):
        c = self.raw()
        c.send(window_update_frame(0, 0))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_9_zero_increment_on_stream_is_protocol_error(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send(window_update_frame(1, 0))
        c.expect_stream_error(1, PROTOCOL_ERROR)

    def test_s6_9_wrong_length_is_frame_size_error(self):
        c = self.raw()
        c.send(frame(WINDOW_UPDATE, 0, 0, b"\0\0\x01"))
        c.expect_goaway(FRAME_SIZE_ERROR)

    def test_s6_9_1_connection_window_overflow_is_flow_control_error(self):
        c = self.raw()
        c.send(window_update_frame(0, (1 << 31) - 1))
        c.expect_goaway(FLOW_CONTROL_ERROR)

    def test_s6_9_1_stream_window_overflow_is_flow_control_error(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send(window_update_frame(1, (1 << 31) - 1))
        c.expect_stream_error(1, FLOW_CONTROL_ERROR)

    @nghttp2_deviation("nghttp2 answers RST_STREAM(FLOW_CONTROL_ERROR) on the overflowing stream; "
                       "§6.9.2 requires a connection error")
    def test_s6_9_2_settings_making_window_overflow_is_flow_control_error(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send(window_update_frame(1, (1 << 31) - 1 - 65535))  # stream window at the max
        c.send(settings_frame([(INITIAL_WINDOW_SIZE, 65536)]))  # +1: overflow
        c.expect_goaway(FLOW_CONTROL_ERROR)

    def test_s6_9_1_response_larger_than_window_waits_for_window_update(self):
        c = self.raw()  # default windows: 65535 for the stream and the connection
        sid = c.request("/bytes/200000")
        c.wait_for(lambda f: f.type == DATA and f.stream_id == sid and
                   sum(len(d.data) for d in c.frames(DATA, sid)) >= 65535, what="65535 bytes")
        got = sum(len(d.data) for d in c.frames(DATA, sid))
        self.assertEqual(got, 65535, "sent beyond the client's window: %s" % c.describe())
        self.assertTrue(c.quiet_for(0.3, lambda f: f.type == DATA),
                        "DATA beyond the window: %s" % c.describe())
        c.send(window_update_frame(0, 200000) + window_update_frame(sid, 200000))
        r = c.response(sid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, pattern(200000))

    def test_s6_9_2_initial_window_size_zero_holds_data_until_update(self):
        c = self.raw(settings=[(INITIAL_WINDOW_SIZE, 0)])
        sid = c.request("/bytes/1000")
        c.wait_for(lambda f: f.type == HEADERS and f.stream_id == sid, what="response HEADERS")
        self.assertTrue(c.quiet_for(0.3, lambda f: f.type == DATA and len(f.data) > 0),
                        "DATA with a zero window: %s" % c.describe())
        c.send(window_update_frame(sid, 400))
        c.wait_for(lambda f: sum(len(d.data) for d in c.frames(DATA, sid)) >= 400,
                   what="400 bytes after the WINDOW_UPDATE")
        self.assertTrue(c.quiet_for(0.3, lambda f: f.type == DATA and len(f.data) > 0),
                        "DATA beyond the window: %s" % c.describe())
        self.assertEqual(sum(len(f.data) for f in c.frames(DATA, sid)), 400, c.describe())
        c.send(settings_frame([(INITIAL_WINDOW_SIZE, 65535)]))  # raises the open stream's window
        r = c.response(sid)
        self.assertEqual(r.body, pattern(1000))


class S6_10_Continuation(H2TestCase):
    """RFC 9113 §6.10 CONTINUATION."""

    def test_s6_10_continuation_without_headers_is_protocol_error(self):
        c = self.raw()
        c.request(SLOW, stream_id=1)
        c.send(continuation_frame(1, c.encode([("x-a", "b")])))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_10_frame_interleaved_in_field_block_is_protocol_error(self):
        c = self.raw()
        block = c.encode(request_headers("/"))
        c.send(headers_frame(1, block[:4], end_headers=False) + ping_frame() +
               continuation_frame(1, block[4:]))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_10_continuation_on_other_stream_is_protocol_error(self):
        c = self.raw()
        block = c.encode(request_headers("/"))
        c.send(headers_frame(1, block[:4], end_headers=False) + continuation_frame(3, block[4:]))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_10_headers_interleaved_in_field_block_is_protocol_error(self):
        c = self.raw()
        block = c.encode(request_headers("/"))
        c.send(headers_frame(1, block[:4], end_headers=False) +
               headers_frame(3, raw_block(request_headers("/"))))
        c.expect_goaway(PROTOCOL_ERROR)

    def test_s6_10_field_block_split_over_continuations_is_accepted(self):
        c = self.raw()
        block = c.encode(request_headers("/headers", extra=[("x-split", "z" * 40)]))
        parts = [block[:5], block[5:20], block[20:]]
        c.send(headers_frame(1, parts[0], end_headers=False) +
               continuation_frame(1, parts[1], end_headers=False) +
               continuation_frame(1, parts[2]))
        r = c.response(1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(json.loads(r.body)["headers"].get("x-split"), "z" * 40)

    def test_s6_10_empty_continuation_frames_are_accepted(self):
        c = self.raw()
        block = c.encode(request_headers("/"))
        c.send(headers_frame(1, block, end_headers=False) + continuation_frame(1, b"", False) +
               continuation_frame(1, b""))
        self.assertEqual(c.response(1).status, 200)


class S8_Semantics(H2TestCase):
    """RFC 9113 §8: HTTP semantics, malformed messages."""

    def malformed(self, headers, end_stream=True, then=b""):
        """Sends a request whose header list is `headers` (raw, byte for
        byte) on a fresh stream; expects RST_STREAM(PROTOCOL_ERROR) and a
        connection that still serves a valid request."""
        c = self.raw()
        c.send(headers_frame(1, raw_block(headers), end_stream=end_stream) + then)
        c.expect_rst(1, PROTOCOL_ERROR)
        r = c.response(c.request("/", stream_id=3))
        self.assertEqual(r.status, 200, r)
        return c

    # valid requests
    def test_s8_valid_get_gets_200(self):
        c = self.raw()
        r = c.response(c.request("/"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b'{"status":"ok"}')
        self.assertEqual(r.header("content-type"), "application/json")
        names = [n for n, _ in r.headers]
        self.assertEqual(names[0], ":status")
        self.assertFalse({"connection", "keep-alive", "transfer-encoding", "upgrade",
                          "proxy-connection"} & set(names), r.headers)

    def test_s8_post_body_is_forwarded(self):
        # 200000 bytes: more than the initial windows, so the server must
        # open them as the body moves on.
        c = self.raw(auto_window=True)
        body = pattern(200000)
        sid = c.request("/echo", "POST", body=body)
        r = c.response(sid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, body)

    def test_s8_head_response_has_no_body(self):
        c = self.raw()
        r = c.response(c.request("/bytes/100", method="HEAD"))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"")

    def test_s8_status_from_upstream_is_kept(self):
        c = self.raw()
        r = c.response(c.request("/status/503"))
        self.assertEqual(r.status, 503, r)
        r = c.response(c.request("/nope"))
        self.assertEqual(r.status, 404, r)

    def test_s8_concurrent_streams_are_multiplexed(self):
        c = self.raw(auto_window=True)
        slow = c.request("/delay/800")
        fast = [c.request("/bytes/%d" % n) for n in (10, 20000, 30)]
        for sid, n in zip(fast, (10, 20000, 30)):
            r = c.response(sid)
            self.assertEqual(r.body, pattern(n))
        self.assertFalse(any(f.stream_id == slow and f.type == DATA for f in c.received),
                         "the slow stream answered first?")
        self.assertEqual(c.response(slow).status, 200)

    # §8.1 message framing
    def test_s8_1_content_length_larger_than_data_is_protocol_error(self):
        self.malformed(request_headers("/echo", "POST") + [("content-length", "10")],
                       end_stream=False, then=data_frame(1, b"12345", end_stream=True))

    def test_s8_1_content_length_smaller_than_data_is_protocol_error(self):
        self.malformed(request_headers("/echo", "POST") + [("content-length", "3")],
                       end_stream=False, then=data_frame(1, b"12345", end_stream=True))

    def test_s8_1_content_length_with_empty_end_stream_is_protocol_error(self):
        self.malformed(request_headers("/echo", "POST") + [("content-length", "4")])

    def test_s8_1_response_trailers_are_forwarded(self):
        c = self.raw(auto_window=True)
        r = c.response(c.request("/chunked/1000?chunk=100", extra=[("te", "trailers")]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, pattern(1000))
        self.assertIsNotNone(r.trailers, "no trailers: %s" % c.describe())
        self.assertEqual(dict(r.trailers).get("x-checksum"), str(sum(pattern(1000))))
        self.assertFalse([n for n, _ in r.trailers if n.startswith(":")], r.trailers)

    def test_s8_1_request_trailers_are_accepted(self):
        c = self.raw()
        c.send_headers(1, request_headers("/echo", "POST"), end_stream=False)
        c.send(data_frame(1, b"body"))
        c.send_headers(1, [("x-trailer", "t")], end_stream=True)
        r = c.response(1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"body")

    def test_s8_1_trailers_without_end_stream_is_protocol_error(self):
        c = self.raw()
        c.send_headers(1, request_headers("/echo", "POST"), end_stream=False)
        c.send(data_frame(1, b"body"))
        c.send(headers_frame(1, raw_block([("x-trailer", "t")]), end_stream=False))
        c.expect_stream_error(1, PROTOCOL_ERROR)

    def test_s8_1_trailers_with_pseudo_header_is_protocol_error(self):
        c = self.raw()
        c.send_headers(1, request_headers("/echo", "POST"), end_stream=False)
        c.send(data_frame(1, b"body"))
        c.send(headers_frame(1, raw_block([(":path", "/x"), ("x-trailer", "t")])))
        c.expect_stream_error(1, PROTOCOL_ERROR)

    # §8.2 fields
    def test_s8_2_uppercase_field_name_is_protocol_error(self):
        self.malformed(request_headers("/") + [("X-Upper", "1")])

    def test_s8_2_1_field_name_with_space_is_protocol_error(self):
        # nghttp2 ignores (drops) fields whose names hold other invalid
        # characters; RFC 9113 §8.2.1 says malformed. Either way it must not
        # reach the upstream.
        c = self.raw()
        c.send(headers_frame(1, raw_block(request_headers("/headers") + [("x bad", "1")])))
        f = c.wait_for(lambda f: f.stream_id == 1 and f.type in (HEADERS, RST_STREAM) or
                       f.type == GOAWAY, what="response or RST_STREAM")
        if f.type == HEADERS:
            r = c.response(1)
            self.assertNotIn("x bad", json.loads(r.body)["headers"], r.body)
        else:
            self.assertEqual(f.error_code, PROTOCOL_ERROR, c.describe())

    def test_s8_2_1_field_value_with_newline_is_protocol_error(self):
        self.malformed(request_headers("/") + [("x-bad", "a\r\nx-injected: 1")])

    def test_s8_2_1_field_value_with_nul_is_protocol_error(self):
        self.malformed(request_headers("/") + [("x-bad", "a\0b")])

    def test_s8_2_1_field_value_with_leading_space_is_protocol_error(self):
        self.malformed(request_headers("/") + [("x-bad", " padded")])

    def test_s8_2_2_connection_header_is_protocol_error(self):
        self.malformed(request_headers("/") + [("connection", "keep-alive")])

    def test_s8_2_2_keep_alive_header_is_protocol_error(self):
        self.malformed(request_headers("/") + [("keep-alive", "timeout=5")])

    def test_s8_2_2_proxy_connection_header_is_protocol_error(self):
        self.malformed(request_headers("/") + [("proxy-connection", "keep-alive")])

    def test_s8_2_2_transfer_encoding_header_is_protocol_error(self):
        self.malformed(request_headers("/") + [("transfer-encoding", "chunked")])

    def test_s8_2_2_upgrade_header_is_protocol_error(self):
        self.malformed(request_headers("/") + [("upgrade", "websocket")])

    def test_s8_2_2_te_other_than_trailers_is_protocol_error(self):
        self.malformed(request_headers("/") + [("te", "gzip")])

    def test_s8_2_2_te_trailers_is_accepted(self):
        c = self.raw()
        r = c.response(c.request("/", extra=[("te", "trailers")]))
        self.assertEqual(r.status, 200, r)

    def test_s8_2_3_cookie_crumbs_are_joined(self):
        c = self.raw()
        r = c.response(c.request("/headers", extra=[("cookie", "a=1"), ("x-other", "o"),
                                                     ("cookie", "b=2"), ("cookie", "c=3")]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(json.loads(r.body)["headers"].get("cookie"), "a=1; b=2; c=3", r.body)

    # §8.3 pseudo-header fields
    def test_s8_3_missing_method_is_protocol_error(self):
        self.malformed([(":scheme", "http"), (":authority", "localhost"), (":path", "/")])

    def test_s8_3_missing_scheme_is_protocol_error(self):
        self.malformed([(":method", "GET"), (":authority", "localhost"), (":path", "/")])

    def test_s8_3_missing_path_is_protocol_error(self):
        self.malformed([(":method", "GET"), (":scheme", "http"), (":authority", "localhost")])

    def test_s8_3_empty_path_is_protocol_error(self):
        self.malformed([(":method", "GET"), (":scheme", "http"), (":authority", "localhost"),
                        (":path", "")])

    def test_s8_3_duplicate_path_is_protocol_error(self):
        self.malformed(request_headers("/") + [(":path", "/again")])

    def test_s8_3_duplicate_method_is_protocol_error(self):
        self.malformed([(":method", "GET")] + request_headers("/"))

    def test_s8_3_unknown_pseudo_header_is_protocol_error(self):
        self.malformed(request_headers("/") + [(":foo", "bar")])

    def test_s8_3_response_pseudo_header_in_request_is_protocol_error(self):
        self.malformed(request_headers("/") + [(":status", "200")])

    def test_s8_3_pseudo_header_after_regular_field_is_protocol_error(self):
        self.malformed([(":method", "GET"), (":scheme", "http"), ("x-regular", "1"),
                        (":authority", "localhost"), (":path", "/")])

    def test_s8_3_1_authority_becomes_host(self):
        c = self.raw()
        c.send(headers_frame(1, raw_block([(":method", "GET"), (":scheme", "http"),
                                            (":authority", "api.example.com:8443"),
                                            (":path", "/headers?q=1")])))
        r = c.response(1)
        self.assertEqual(r.status, 200, r)
        seen = json.loads(r.body)
        self.assertEqual(seen["headers"].get("host"), "api.example.com:8443", seen)
        self.assertEqual(seen["path"], "/headers")
        self.assertEqual(seen["query"], "q=1")
        self.assertEqual(seen["method"], "GET")


if __name__ == "__main__":
    unittest.main()
