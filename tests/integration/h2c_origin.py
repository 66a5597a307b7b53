#!/usr/bin/python3
"""A small h2c (HTTP/2 over cleartext, prior knowledge) origin for courier's
integration tests (tests/integration/h2_upstream_test.cc), on python3-h2.

Prints "LISTENING <h2c port> <stats port>" once both are bound. The stats
port answers any HTTP/1.x request with JSON counters and closes.

Paths (the query is ignored unless stated):
  /bytes/N           N bytes of 'a' + i % 26, with content-length
  /echo              the request body (after END_STREAM), content-type copied;
                     request trailers come back as response trailers
  /trailers/N        N pattern bytes without content-length, then the
                     trailer x-checksum (sum of the bytes)
  /delay/MS          '{"delayed_ms":MS}' after MS milliseconds
  /stall             never answers
  /rst               RST_STREAM(INTERNAL_ERROR) once the head arrives
  /refuse            RST_STREAM(REFUSED_STREAM)
  /refuse-once/KEY   refused the first time for KEY, then 200 "ok"
  /goaway            GOAWAY (last_stream_id = this stream), then 200 "bye";
                     the connection closes when its streams are done
  /goaway-refuse-once/KEY  the first time for KEY: GOAWAY with a
                     last_stream_id below this stream (which is never
                     answered); then 200 "ok"
  /rst-after/N       sends the head and N body bytes, then RST_STREAM
  /noread            never returns flow-control window for the request body
  /malformed         a response field with an upper-case name (RFC 9113 §8.2.1)
  /huge-head         24 KB of response fields (over max_header_bytes = 16384;
                     one field over 64 KiB would be an HPACK error for the
                     whole connection in nghttp2)
"""
import argparse
import asyncio
import json
import struct
import sys

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

STATS = {"connections": 0, "active": 0, "requests": 0, "peak_streams": 0, "bytes_sent": 0,
         "paths": {}}
REFUSED_ONCE = set()


def pattern(n, offset=0):
    base = bytes(ord("a") + i % 26 for i in range(26))
    start = offset % 26
    rep = (base[start:] + base[:start]) * (n // 26 + 2)
    return rep[:n]


class Stream:
    def __init__(self, headers):
        self.headers = dict(headers)
        self.body = bytearray()
        self.trailers = None
        self.pending = bytearray()
        self.end = False  # end the stream once `pending` is sent
        self.send_trailers = None
        self.closed = False


class H2Origin(asyncio.Protocol):
    def __init__(self, args):
        self.args = args

    def connection_made(self, transport):
        self.transport = transport
        STATS["connections"] += 1
        STATS["active"] += 1
        # Outbound headers go out as given, so /malformed can break the rules.
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8",
                                           validate_outbound_headers=False,
                                           normalize_outbound_headers=False)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.args.max_concurrent,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65536,
            },
        )
        self.conn.initiate_connection()
        self.streams = {}
        self.goaway_sent = False
        self.goaway_last = 0
        self.flush()

    def connection_lost(self, exc):
        STATS["active"] -= 1
        for s in self.streams.values():
            s.closed = True

    def data_received(self, data):
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.flush()
            self.transport.close()
            return
        for ev in events:
            if isinstance(ev, h2.events.RequestReceived):
                if self.goaway_sent and ev.stream_id > self.goaway_last:
                    continue  # RFC 9113 §6.8: not processed, the client retries
                self.streams[ev.stream_id] = Stream(ev.headers)
                STATS["requests"] += 1
                path = dict(ev.headers).get(":path", "")
                STATS["paths"][path] = STATS["paths"].get(path, 0) + 1
                open_now = sum(1 for s in self.streams.values() if not s.closed)
                STATS["peak_streams"] = max(STATS["peak_streams"], open_now)
                self.on_head(ev.stream_id)
            elif isinstance(ev, h2.events.DataReceived):
                s = self.streams.get(ev.stream_id)
                if s:
                    s.body += ev.data
                    if self.path(ev.stream_id) == "/noread":
                        continue  # never opens the window: the upload stalls
                if ev.flow_controlled_length:
                    try:
                        self.conn.acknowledge_received_data(ev.flow_controlled_length,
                                                            ev.stream_id)
                    except h2.exceptions.StreamClosedError:
                        pass
            elif isinstance(ev, h2.events.TrailersReceived):
                s = self.streams.get(ev.stream_id)
                if s:
                    s.trailers = ev.headers
            elif isinstance(ev, h2.events.StreamEnded):
                self.on_end(ev.stream_id)
            elif isinstance(ev, h2.events.StreamReset):
                s = self.streams.pop(ev.stream_id, None)
                if s:
                    s.closed = True
            elif isinstance(ev, h2.events.ConnectionTerminated):
                self.flush()
                self.transport.close()
                return
        self.flush()

    # --- request handling ---------------------------------------------------

    def path(self, sid):
        return self.streams[sid].headers.get(":path", "").split("?")[0]

    def on_head(self, sid):
        p = self.path(sid)
        if p == "/rst":
            self.reset(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
        elif p == "/refuse":
            self.reset(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
        elif p.startswith("/refuse-once/"):
            if p not in REFUSED_ONCE:
                REFUSED_ONCE.add(p)
                self.reset(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
        elif p == "/goaway":
            self.send_goaway(sid)
        elif p.startswith("/goaway-refuse-once/"):
            if p not in REFUSED_ONCE:
                REFUSED_ONCE.add(p)
                self.streams.pop(sid, None)
                self.send_goaway(sid - 2)
        elif p.startswith("/rst-after/"):
            n = int(p.split("/")[2])
            self.respond(sid, 200, [("content-length", str(n * 2))], pattern(n), end=False)
            asyncio.get_running_loop().call_later(0.05, self.reset, sid,
                                                  h2.errors.ErrorCodes.INTERNAL_ERROR)

    def on_end(self, sid):
        s = self.streams.get(sid)
        if s is None or s.closed:
            return
        p = self.path(sid)
        if p.startswith("/bytes/"):
            n = int(p.split("/")[2])
            self.respond(sid, 200, [("content-length", str(n)),
                                    ("content-type", "application/octet-stream")], pattern(n))
        elif p == "/echo":
            hdrs = [("content-length", str(len(s.body)))]
            ct = s.headers.get("content-type")
            if ct:
                hdrs.append(("content-type", ct))
            te = s.headers.get("te")
            if te:
                hdrs.append(("x-request-te", te))
            if s.trailers:
                hdrs = [h for h in hdrs if h[0] != "content-length"]
            self.respond(sid, 200, hdrs, bytes(s.body), trailers=s.trailers)
        elif p.startswith("/trailers/"):
            n = int(p.split("/")[2])
            body = pattern(n)
            self.respond(sid, 200, [("content-type", "text/plain")], body,
                         trailers=[("x-checksum", str(sum(body)))])
        elif p.startswith("/delay/"):
            ms = int(p.split("/")[2])
            body = json.dumps({"delayed_ms": ms}, separators=(",", ":")).encode()
            asyncio.get_running_loop().call_later(
                ms / 1000.0, self.respond, sid, 200,
                [("content-length", str(len(body))), ("content-type", "application/json")], body)
        elif p == "/goaway":
            self.respond(sid, 200, [("content-length", "3")], b"bye")
        elif p == "/malformed":
            self.respond(sid, 200, [("content-length", "2"), ("Bad-Name", "x")], b"no")
        elif p == "/huge-head":
            fields = [("x-huge-%d" % i, "h" * 4000) for i in range(6)]
            self.respond(sid, 200, [("content-length", "2")] + fields, b"no")
        elif p.startswith("/refuse-once/") or p.startswith("/goaway-refuse-once/"):
            self.respond(sid, 200, [("content-length", "2")], b"ok")
        elif p in ("/stall", "/rst", "/refuse", "/noread") or p.startswith("/rst-after/"):
            pass
        else:
            self.respond(sid, 404, [("content-length", "9")], b"not found")

    # --- sending --------------------------------------------------------------

    def send_goaway(self, last_stream_id):
        # Written by hand: h2's close_connection() would refuse to send the
        # responses of the streams the GOAWAY lets finish.
        self.flush()
        self.goaway_sent = True
        self.goaway_last = max(last_stream_id, 0)
        payload = struct.pack(">II", self.goaway_last, 0)
        self.transport.write(struct.pack(">I", len(payload))[1:] + bytes([7, 0]) +
                             struct.pack(">I", 0) + payload)

    def reset(self, sid, code):
        s = self.streams.pop(sid, None)
        if s is None or s.closed:
            return
        s.closed = True
        try:
            self.conn.reset_stream(sid, error_code=code)
        except h2.exceptions.StreamClosedError:
            pass
        self.flush()

    def respond(self, sid, status, headers, body, trailers=None, end=True):
        s = self.streams.get(sid)
        if s is None or s.closed:
            return
        self.conn.send_headers(sid, [(":status", str(status))] + headers,
                               end_stream=(not body and not trailers and end))
        if not body and not trailers and end:
            self.finish(sid)
            return
        s.pending += body
        s.end = end
        s.send_trailers = trailers
        self.flush()

    def finish(self, sid):
        s = self.streams.pop(sid, None)
        if s:
            s.closed = True

    def pump(self):
        for sid, s in list(self.streams.items()):
            while s.pending:
                window = self.conn.local_flow_control_window(sid)
                n = min(len(s.pending), window, self.conn.max_outbound_frame_size)
                if n <= 0:
                    break
                self.conn.send_data(sid, bytes(s.pending[:n]))
                STATS["bytes_sent"] += n
                del s.pending[:n]
            if not s.pending and s.end:
                if s.send_trailers:
                    self.conn.send_headers(sid, s.send_trailers, end_stream=True)
                else:
                    self.conn.end_stream(sid)
                self.finish(sid)

    def flush(self):
        if self.transport.is_closing():
            return
        try:
            self.pump()
        except h2.exceptions.StreamClosedError:
            pass
        data = self.conn.data_to_send()
        if data:
            self.transport.write(data)
        if self.goaway_sent and not self.streams:
            self.transport.close()


class StatsServer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""

    def data_received(self, data):
        self.buf += data
        if b"\r\n\r\n" in self.buf:
            body = json.dumps(STATS).encode()
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                 b"content-length: " + str(len(body)).encode() +
                                 b"\r\nconnection: close\r\n\r\n" + body)
            self.transport.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-concurrent", type=int, default=100)
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: H2Origin(args), "127.0.0.1", 0)
    stats = await loop.create_server(StatsServer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stats_port = stats.sockets[0].getsockname()[1]
    print(f"LISTENING {port} {stats_port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
