"""Harness for courier's frame-level HTTP/2 tests (test_conformance.py,
test_limits.py), run by tests/e2e/h2_*_test.sh with /usr/bin/python3 (the
python3-h2 Debian package; the `python3` first on PATH does not see it).

What it gives a test:
  * Upstream: the demo upstream ($COURIER_DEMO_UPSTREAM) on a free port, one
    per test module (upstream() starts it on first use).
  * Server: courier ($COURIER_BINARY --config FILE) on free loopback ports with
    per-test [server] overrides, ready once GET http://127.0.0.1:ADMIN/ready
    answers; a picked port that was taken meanwhile is retried with new ones
    (as tests/e2e/lib.sh does). H2_TARGET=nghttpx runs nghttpx in front of the
    same upstream instead (only for developing the tests: the limits are
    courier's contract, not nghttpx's).
  * RawH2: a socket that speaks HTTP/2 frame by frame. Frames are hand-built
    (so a test can send what no client library would: bad lengths, bad stream
    ids, CONTINUATION floods, broken HPACK) and the server's frames are parsed
    with hyperframe and their header blocks decoded with hpack.
  * H2Client: a well-behaved client on h2.connection.H2Connection, for the
    "another connection keeps working" checks and ordinary exchanges.

Everything is bounded in time: every read has a deadline (a few seconds at
most) and everything runs on 127.0.0.1.
"""

import atexit
import ctypes
import os
import shutil
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import http.client

import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame,
                              PingFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types (RFC 9113 §6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, \
    WINDOW_UPDATE, CONTINUATION = range(10)

# Flags.
END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20

# Error codes (RFC 9113 §7).
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
SETTINGS_TIMEOUT = 0x4
STREAM_CLOSED = 0x5
FRAME_SIZE_ERROR = 0x6
REFUSED_STREAM = 0x7
CANCEL = 0x8
COMPRESSION_ERROR = 0x9
CONNECT_ERROR = 0xA
ENHANCE_YOUR_CALM = 0xB
INADEQUATE_SECURITY = 0xC
HTTP_1_1_REQUIRED = 0xD

ERROR_NAMES = {code: name for name, code in [
    ("NO_ERROR", NO_ERROR), ("PROTOCOL_ERROR", PROTOCOL_ERROR), ("INTERNAL_ERROR", INTERNAL_ERROR),
    ("FLOW_CONTROL_ERROR", FLOW_CONTROL_ERROR), ("SETTINGS_TIMEOUT", SETTINGS_TIMEOUT),
    ("STREAM_CLOSED", STREAM_CLOSED), ("FRAME_SIZE_ERROR", FRAME_SIZE_ERROR),
    ("REFUSED_STREAM", REFUSED_STREAM), ("CANCEL", CANCEL), ("COMPRESSION_ERROR", COMPRESSION_ERROR),
    ("CONNECT_ERROR", CONNECT_ERROR), ("ENHANCE_YOUR_CALM", ENHANCE_YOUR_CALM),
    ("INADEQUATE_SECURITY", INADEQUATE_SECURITY), ("HTTP_1_1_REQUIRED", HTTP_1_1_REQUIRED)]}

# Settings ids (RFC 9113 §6.5.2).
HEADER_TABLE_SIZE = 0x1
ENABLE_PUSH = 0x2
MAX_CONCURRENT_STREAMS = 0x3
INITIAL_WINDOW_SIZE = 0x4
MAX_FRAME_SIZE = 0x5
MAX_HEADER_LIST_SIZE = 0x6

DEFAULT_TIMEOUT = 3.0  # seconds a test waits for one expected thing

TARGET = os.environ.get("H2_TARGET", "courier")


def err_name(code):
    return "%s(0x%x)" % (ERROR_NAMES.get(code, "UNKNOWN"), code)


# --- frame building ---------------------------------------------------------

def frame(ftype, flags, stream_id, payload=b"", length=None):
    """One frame's bytes. `length` lies about the payload length if given."""
    n = len(payload) if length is None else length
    return struct.pack(">I", n)[1:] + struct.pack(">BBI", ftype, flags, stream_id) + payload


def settings_frame(pairs=(), ack=False, stream_id=0):
    payload = b"".join(struct.pack(">HI", k, v) for k, v in pairs)
    return frame(SETTINGS, ACK if ack else 0, stream_id, payload)


def ping_frame(data=b"\0" * 8, ack=False, stream_id=0):
    return frame(PING, ACK if ack else 0, stream_id, data)


def rst_frame(stream_id, code=CANCEL):
    return frame(RST_STREAM, 0, stream_id, struct.pack(">I", code))


def window_update_frame(stream_id, increment):
    return frame(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment))


def goaway_frame(last_stream_id=0, code=NO_ERROR, debug=b"", stream_id=0):
    return frame(GOAWAY, 0, stream_id, struct.pack(">II", last_stream_id, code) + debug)


def priority_payload(depends_on=0, weight=16, exclusive=False):
    return struct.pack(">IB", depends_on | (0x80000000 if exclusive else 0), weight - 1)


def priority_frame(stream_id, depends_on=0, weight=16, exclusive=False):
    return frame(PRIORITY, 0, stream_id, priority_payload(depends_on, weight, exclusive))


def data_frame(stream_id, data=b"", end_stream=False, pad=None):
    flags = END_STREAM if end_stream else 0
    if pad is not None:
        flags |= PADDED
        data = bytes([pad]) + data + b"\0" * pad
    return frame(DATA, flags, stream_id, data)


def headers_frame(stream_id, block, end_stream=True, end_headers=True, priority=None, pad=None):
    """HEADERS with an already encoded block. priority=(depends_on, weight,
    exclusive) sets the PRIORITY flag; pad=N pads with N bytes."""
    flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
    payload = block
    if priority is not None:
        flags |= PRIORITY_FLAG
        payload = priority_payload(*priority) + payload
    if pad is not None:
        flags |= PADDED
        payload = bytes([pad]) + payload + b"\0" * pad
    return frame(HEADERS, flags, stream_id, payload)


def continuation_frame(stream_id, block, end_headers=True):
    return frame(CONTINUATION, END_HEADERS if end_headers else 0, stream_id, block)


def request_headers(path="/", method="GET", authority="localhost", scheme="http", extra=()):
    return [(":method", method), (":scheme", scheme), (":authority", authority),
            (":path", path)] + list(extra)


# --- HPACK by hand (RFC 7541), for blocks the encoder would refuse -----------

def hpack_int(value, prefix_bits, first_byte_flags=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = [first_byte_flags | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_string(s):
    if isinstance(s, str):
        s = s.encode("latin-1")
    return hpack_int(len(s), 7) + s  # never Huffman


def hpack_literal(name, value, indexing=False):
    """A literal field with a literal name: with incremental indexing
    (0x40) or without indexing (0x00)."""
    return (b"\x40" if indexing else b"\x00") + hpack_string(name) + hpack_string(value)


def hpack_indexed(index):
    return hpack_int(index, 7, 0x80)


def hpack_table_size_update(size):
    return hpack_int(size, 5, 0x20)


def raw_block(headers):
    """Header block of literal-without-indexing fields, byte for byte as
    given (uppercase names, bad values...), no dynamic table involved."""
    return b"".join(hpack_literal(n, v) for n, v in headers)


# --- processes --------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Upstream:
    """The demo upstream on a port of its choosing."""

    def __init__(self):
        binary = os.environ.get("COURIER_DEMO_UPSTREAM")
        if not binary:
            raise RuntimeError("set COURIER_DEMO_UPSTREAM to courier-demo-upstream")
        self.dir = tempfile.mkdtemp(prefix="courier-h2-upstream.")
        self.out_path = os.path.join(self.dir, "upstream.out")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--quiet"],
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)
        _live.append(self.proc)

        def listening():
            with open(self.out_path, "rb") as f:
                for line in f:
                    if line.startswith(b"listening on "):
                        return line[len(b"listening on "):].strip().decode()
            return None

        self.address = wait_until(listening, 5)
        if not self.address:
            self.stop()
            raise RuntimeError("demo upstream did not start")
        self.port = int(self.address.rsplit(":", 1)[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


_upstream = None
_live = []  # every Server/Upstream process started, killed at exit whatever happens


@atexit.register
def _kill_all():
    for p in _live:
        if p.poll() is None:
            p.kill()
            p.wait()


# SIGTERM (ctest's or timeout's) still runs the atexit cleanup.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL if the test process dies, even by
    SIGKILL (PR_SET_PDEATHSIG), so no server outlives a killed run."""
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def upstream():
    global _upstream
    if _upstream is None:
        _upstream = Upstream()
    return _upstream


def stop_upstream():
    global _upstream
    if _upstream is not None:
        _upstream.stop()
        _upstream = None


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(v)


class Server:
    """courier (or nghttpx, with H2_TARGET=nghttpx) in front of the demo
    upstream. `server` holds [server] overrides, e.g.
    {"http2_max_concurrent_streams": 5, "idle_timeout": "1s"}."""

    def __init__(self, server=None, workers=1, target=None):
        self.overrides = dict(server or {})
        self.workers = workers
        self.target = target or TARGET
        self.upstream = upstream()
        self.dir = tempfile.mkdtemp(prefix="courier-h2.")
        self.proc = None
        self.port = None
        self.admin_port = None
        self.exit_code = None
        for attempt in range(3):
            self.port, self.admin_port = free_port(), free_port()
            if self.target == "nghttpx":
                started = self._start_nghttpx()
            else:
                started = self._start_courier()
            if started:
                return
            self._kill()
            err = self.stderr()
            if "Address already in use" not in err:
                break
        raise RuntimeError("%s did not become ready:\n%s" % (self.target, self.stderr()[-3000:]))

    # courier
    def config_text(self):
        lines = ["[server]",
                 'listen = "127.0.0.1:%d"' % self.port,
                 'admin = "127.0.0.1:%d"' % self.admin_port,
                 "workers = %d" % self.workers,
                 'access_log = "off"']
        lines += ["%s = %s" % (k, toml_value(v)) for k, v in self.overrides.items()]
        lines += ["", "[clusters.agent]", 'endpoints = ["%s"]' % self.upstream.address, "",
                  "[[routes]]", 'name = "app"', 'match = { prefix = "/" }', 'cluster = "agent"', ""]
        return "\n".join(lines)

    def _start_courier(self):
        binary = os.environ.get("COURIER_BINARY")
        if not binary:
            raise RuntimeError("set COURIER_BINARY to the courier binary")
        self.config_path = os.path.join(self.dir, "courier.toml")
        with open(self.config_path, "w") as f:
            f.write(self.config_text())
        self._open_logs()
        self.proc = subprocess.Popen([binary, "--config", self.config_path],
                                     stdout=self.out, stderr=self.err,
                                     preexec_fn=_die_with_parent)
        _live.append(self.proc)
        return wait_until(lambda: self.proc.poll() is None and self._ready(), 10, 0.05) \
            and self.proc.poll() is None

    def _ready(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=1)
            c.request("GET", "/ready")
            ok = c.getresponse().status == 200
            c.close()
            return ok
        except OSError:
            return False

    # nghttpx, for developing the tests without courier
    def _start_nghttpx(self):
        o = self.overrides
        args = ["/usr/sbin/nghttpx", "--frontend=127.0.0.1,%d;no-tls" % self.port,
                "--backend=127.0.0.1,%d" % self.upstream.port, "--workers=1", "--no-ocsp",
                "--conf=/dev/null", "--errorlog-file=%s" % os.path.join(self.dir, "nghttpx.log"),
                "--single-process"]
        if "http2_max_concurrent_streams" in o:
            args.append("--frontend-http2-max-concurrent-streams=%d" % o["http2_max_concurrent_streams"])
        if "idle_timeout" in o:
            args.append("--frontend-keep-alive-timeout=%s" % o["idle_timeout"])
        if "stream_idle_timeout" in o:
            args.append("--stream-read-timeout=%s" % o["stream_idle_timeout"])
        if "max_header_bytes" in o:
            args.append("--request-header-field-buffer=%d" % o["max_header_bytes"])
        self._open_logs()
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.err,
                                     preexec_fn=_die_with_parent)
        _live.append(self.proc)

        def accepting():
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        return wait_until(accepting, 10, 0.05)

    def _open_logs(self):
        self.out = open(os.path.join(self.dir, "server.out"), "wb")
        self.err = open(os.path.join(self.dir, "server.err"), "wb")

    def stderr(self):
        text = ""
        for name in ("server.err", "nghttpx.log"):
            try:
                with open(os.path.join(self.dir, name), "rb") as f:
                    text += f.read().decode("utf-8", "replace")
            except OSError:
                pass
        return text

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def graceful_stop_signal(self):
        """The signal that drains: SIGTERM for courier (SPEC §4), SIGQUIT for
        nghttpx."""
        return signal.SIGQUIT if self.target == "nghttpx" else signal.SIGTERM

    def wait_exit(self, timeout):
        try:
            self.exit_code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.exit_code

    def _kill(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
        for f in ("out", "err"):
            if hasattr(self, f):
                getattr(self, f).close()

    def stop(self):
        self._kill()
        if os.environ.get("H2_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


# --- raw frame-level connection ---------------------------------------------

class Closed(Exception):
    pass


class RawH2:
    """A client socket that sends hand-built frames and parses what the
    server sends. Server SETTINGS are ACKed automatically (auto_ack) so that
    the server applies nothing "pending"; PINGs from the server are
    answered. DATA is not acknowledged unless auto_window is set."""

    def __init__(self, port, auto_ack=True, auto_window=False, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:  # before connect, so that the window scale follows it
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(DEFAULT_TIMEOUT)
        self.sock.connect(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = b""
        self.closed = False
        self.reset = False  # the peer reset the connection (RST)
        self.auto_ack = auto_ack
        self.auto_window = auto_window
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder(max_header_list_size=1 << 30)
        self.decoder.max_allowed_table_size = 1 << 16
        self.received = []          # every frame, in order
        self.server_settings = {}   # the server's first SETTINGS
        self.settings_acked = 0     # ACKs of our SETTINGS
        self._block = None          # (stream_id, HeadersFrame, fragments) being continued
        self.next_stream_id = 1
        # Our send windows (what the server lets us send), from its SETTINGS
        # and WINDOW_UPDATEs.
        self.conn_window = 65535
        self.initial_window = 65535
        self.stream_windows = {}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # sending
    def send(self, data):
        view = memoryview(data)
        deadline = time.monotonic() + DEFAULT_TIMEOUT
        while view:
            try:
                n = self.sock.send(view)
                view = view[n:]
            except BlockingIOError:
                # The server is not reading (or we are not): read what it sent
                # so that neither side deadlocks on full buffers.
                self._pump(0.01)
                if time.monotonic() > deadline:
                    raise TimeoutError("send blocked for %ss" % DEFAULT_TIMEOUT)
            except (BrokenPipeError, ConnectionResetError):
                self.closed = True
                self.reset = True
                return False
        return True

    def preface(self, settings=()):
        return self.send(PREFACE + settings_frame(settings))

    def handshake(self, settings=(), timeout=DEFAULT_TIMEOUT):
        """Preface and our SETTINGS; waits for the server's SETTINGS (ACKed
        by the read loop) and for the ACK of ours."""
        self.preface(settings)
        self.wait_for(lambda f: f.type == SETTINGS and "ACK" not in f.flags, timeout,
                      "server SETTINGS")
        if not self.settings_acked:
            self.wait_for(lambda f: f.type == SETTINGS and "ACK" in f.flags, timeout,
                          "ACK of our SETTINGS")
        return self.server_settings

    def encode(self, headers):
        return self.encoder.encode(headers, huffman=False)

    def new_stream_id(self):
        sid = self.next_stream_id
        self.next_stream_id += 2
        return sid

    def send_headers(self, stream_id, headers, end_stream=True, **kw):
        return self.send(headers_frame(stream_id, self.encode(headers), end_stream=end_stream, **kw))

    def stream_window(self, stream_id):
        return self.stream_windows.setdefault(stream_id, self.initial_window)

    def send_body(self, stream_id, body, end_stream=True, timeout=DEFAULT_TIMEOUT):
        """DATA frames for body within the server's flow-control windows,
        waiting for WINDOW_UPDATEs as needed."""
        sent = 0
        deadline = time.monotonic() + timeout
        while sent < len(body) or (end_stream and sent == 0 and not body):
            room = min(self.conn_window, self.stream_window(stream_id), 16384, len(body) - sent)
            if room <= 0 and body:
                if self.closed or time.monotonic() > deadline:
                    raise AssertionError("no window to send the body (%d of %d sent): %s"
                                         % (sent, len(body), self.describe()))
                self._pump(0.05)
                continue
            last = sent + room == len(body)
            self.send(data_frame(stream_id, body[sent:sent + room], end_stream=end_stream and last))
            self.conn_window -= room
            self.stream_windows[stream_id] = self.stream_window(stream_id) - room
            sent += room
            if not body:
                break

    def request(self, path="/", method="GET", extra=(), body=None, stream_id=None):
        sid = stream_id or self.new_stream_id()
        hdrs = request_headers(path, method, extra=extra)
        if body is None:
            self.send_headers(sid, hdrs, end_stream=True)
        else:
            self.send_headers(sid, hdrs, end_stream=False)
            self.send_body(sid, body)
        return sid

    # receiving
    def _pump(self, wait):
        """Reads what is there (waiting at most `wait` s for something) and
        parses whole frames; False once the connection is closed."""
        if self.closed:
            return False
        r, _, _ = select.select([self.sock], [], [], max(0.0, wait))
        if not r:
            return True
        try:
            chunk = self.sock.recv(1 << 20)
        except BlockingIOError:
            return True
        except ConnectionResetError:
            self.closed = True
            self.reset = True
            return False
        if not chunk:
            self.closed = True
            return False
        self.buf += chunk
        self._parse()
        return True

    def _parse(self):
        while len(self.buf) >= 9:
            f, length = Frame.parse_frame_header(memoryview(self.buf[:9]), strict=False)
            if len(self.buf) < 9 + length:
                break
            body = self.buf[9:9 + length]
            self.buf = self.buf[9 + length:]
            f.parse_body(memoryview(body))
            self._on_frame(f)

    def _on_frame(self, f):
        if isinstance(f, HeadersFrame):
            if "END_HEADERS" in f.flags:
                f.headers = self._decode(f.data)
            else:
                self._block = (f, [f.data])
                return  # delivered with its last CONTINUATION
        elif isinstance(f, ContinuationFrame) and self._block is not None:
            first, parts = self._block
            parts.append(f.data)
            if "END_HEADERS" not in f.flags:
                return
            self._block = None
            first.headers = self._decode(b"".join(parts))
            first.flags.add("END_HEADERS")
            f = first
        elif isinstance(f, SettingsFrame):
            if "ACK" in f.flags:
                self.settings_acked += 1
            else:
                if not self.server_settings and not any(x.type == SETTINGS for x in self.received):
                    self.server_settings = dict(f.settings)
                settings = dict(f.settings)
                if INITIAL_WINDOW_SIZE in settings:
                    delta = settings[INITIAL_WINDOW_SIZE] - self.initial_window
                    self.initial_window = settings[INITIAL_WINDOW_SIZE]
                    for sid in self.stream_windows:
                        self.stream_windows[sid] += delta
                if self.auto_ack:
                    self.send(settings_frame(ack=True))
        elif isinstance(f, WindowUpdateFrame):
            if f.stream_id == 0:
                self.conn_window += f.window_increment
            else:
                self.stream_windows[f.stream_id] = self.stream_window(f.stream_id) + f.window_increment
        elif isinstance(f, PingFrame) and "ACK" not in f.flags and self.auto_ack:
            self.send(ping_frame(f.opaque_data, ack=True))
        elif isinstance(f, DataFrame) and self.auto_window and f.flow_controlled_length:
            self.send(window_update_frame(0, f.flow_controlled_length) +
                      window_update_frame(f.stream_id, f.flow_controlled_length))
        self.received.append(f)

    def _decode(self, block):
        return [(n.decode("latin-1") if isinstance(n, bytes) else n,
                 v.decode("latin-1") if isinstance(v, bytes) else v)
                for n, v in self.decoder.decode(block, raw=True)]

    def read_frame(self, timeout=DEFAULT_TIMEOUT):
        """The next frame not yet returned, or None once the connection is
        closed; TimeoutError if nothing within timeout."""
        if not hasattr(self, "_cursor"):
            self._cursor = 0
        deadline = time.monotonic() + timeout
        while self._cursor >= len(self.received):
            if self.closed:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame within %.1fs" % timeout)
            self._pump(min(left, 0.1))
        f = self.received[self._cursor]
        self._cursor += 1
        return f

    def wait_for(self, predicate, timeout=DEFAULT_TIMEOUT, what="frame"):
        """Reads frames until one matches; returns it. AssertionError on
        timeout or close, naming what was seen."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                f = self.read_frame(max(left, 0))
            except TimeoutError:
                raise AssertionError("timed out after %.1fs waiting for %s; got %s"
                                     % (timeout, what, self.describe()))
            if f is None:
                raise AssertionError("connection closed while waiting for %s; got %s"
                                     % (what, self.describe()))
            if predicate(f):
                return f

    def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        """True once the server closed the connection (frames are still
        collected)."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._pump(min(0.1, deadline - time.monotonic()))
        return self.closed

    def quiet_for(self, seconds, predicate=lambda f: True):
        """True if no frame matching predicate arrives for `seconds` (and the
        connection stays open). Used only to show something does NOT happen."""
        start = len(self.received)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.closed:
            self._pump(min(0.05, deadline - time.monotonic()))
        return not self.closed and not any(predicate(f) for f in self.received[start:])

    def frames(self, ftype=None, stream_id=None):
        return [f for f in self.received
                if (ftype is None or f.type == ftype) and (stream_id is None or f.stream_id == stream_id)]

    def describe(self, last=12):
        out = []
        for f in self.received[-last:]:
            s = "%s(sid=%d%s" % (type(f).__name__.replace("Frame", "").upper(), f.stream_id,
                                 (",flags=" + "|".join(sorted(f.flags))) if f.flags else "")
            if isinstance(f, (GoAwayFrame, RstStreamFrame)):
                s += "," + err_name(f.error_code)
            if isinstance(f, GoAwayFrame):
                s += ",last=%d" % f.last_stream_id
                if f.additional_data:
                    s += ",debug=%r" % bytes(f.additional_data[:80])
            if isinstance(f, HeadersFrame) and hasattr(f, "headers"):
                s += "," + ",".join("%s=%s" % (n, v[:40]) for n, v in f.headers if n.startswith(":"))
            if isinstance(f, DataFrame):
                s += ",len=%d" % len(f.data)
            out.append(s + ")")
        if len(self.received) > last:
            out.insert(0, "...%d earlier" % (len(self.received) - last))
        out.append("closed" + (" (reset)" if self.reset else "") if self.closed else "open")
        return "[" + ", ".join(out) + "]"

    # assertions
    def expect_goaway(self, code, timeout=DEFAULT_TIMEOUT):
        """A GOAWAY with `code` (a connection error, RFC 9113 §5.4.1)."""
        g = self.wait_for(lambda f: f.type == GOAWAY, timeout, "GOAWAY %s" % err_name(code))
        if g.error_code != code:
            raise AssertionError("GOAWAY %s, expected %s; got %s"
                                 % (err_name(g.error_code), err_name(code), self.describe()))
        return g

    def expect_stream_error(self, stream_id, code, timeout=DEFAULT_TIMEOUT):
        """RST_STREAM(code) on stream_id, or the same error escalated to the
        connection (GOAWAY(code)), which RFC 9113 §5.4 allows."""
        f = self.wait_for(lambda f: (f.type == RST_STREAM and f.stream_id == stream_id) or
                          f.type == GOAWAY, timeout,
                          "RST_STREAM %s on stream %d" % (err_name(code), stream_id))
        if f.error_code != code:
            raise AssertionError("%s %s, expected %s on stream %d; got %s"
                                 % ("RST_STREAM" if f.type == RST_STREAM else "GOAWAY",
                                    err_name(f.error_code), err_name(code), stream_id,
                                    self.describe()))
        return f

    def expect_rst(self, stream_id, code, timeout=DEFAULT_TIMEOUT):
        """Exactly RST_STREAM(code) on stream_id (the connection survives)."""
        f = self.wait_for(lambda f: (f.type == RST_STREAM and f.stream_id == stream_id) or
                          f.type == GOAWAY, timeout,
                          "RST_STREAM %s on stream %d" % (err_name(code), stream_id))
        if f.type != RST_STREAM or f.error_code != code:
            raise AssertionError("expected RST_STREAM %s on stream %d; got %s"
                                 % (err_name(code), stream_id, self.describe()))
        return f

    def ping_roundtrip(self, timeout=DEFAULT_TIMEOUT, data=b"alive?!!"):
        """Sends a PING and waits for its ACK: shows the connection is alive
        and everything sent before was processed."""
        self.send(ping_frame(data))
        self.wait_for(lambda f: f.type == PING and "ACK" in f.flags and f.opaque_data == data,
                      timeout, "PING ACK")

    def response(self, stream_id, timeout=DEFAULT_TIMEOUT):
        """Collects a response on stream_id until END_STREAM or RST_STREAM.
        Returns a Response."""
        resp = Response(stream_id)
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            frames = [f for f in self.received[seen:]]
            seen = len(self.received)
            for f in frames:
                if f.stream_id != stream_id and f.type != GOAWAY:
                    continue
                if f.type == GOAWAY:
                    resp.goaway = f
                    continue
                resp.add(f)
                if resp.done:
                    return resp
            if self.closed:
                raise AssertionError("connection closed before stream %d ended; got %s"
                                     % (stream_id, self.describe()))
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("stream %d did not end within %.1fs; got %s"
                                     % (stream_id, timeout, self.describe()))
            self._pump(min(left, 0.1))


class Response:
    def __init__(self, stream_id):
        self.stream_id = stream_id
        self.headers = None
        self.trailers = None
        self.informational = []
        self.body = b""
        self.reset_code = None
        self.done = False
        self.goaway = None

    def add(self, f):
        if f.type == HEADERS:
            status = dict(f.headers).get(":status")
            if self.headers is None and status and status.startswith("1"):
                self.informational.append(f.headers)
            elif self.headers is None:
                self.headers = f.headers
            else:
                self.trailers = f.headers
            if "END_STREAM" in f.flags:
                self.done = True
        elif f.type == DATA:
            self.body += bytes(f.data)
            if "END_STREAM" in f.flags:
                self.done = True
        elif f.type == RST_STREAM:
            self.reset_code = f.error_code
            self.done = True

    @property
    def status(self):
        if self.headers is None:
            return None
        return int(dict(self.headers)[":status"])

    def header(self, name):
        for n, v in self.headers or ():
            if n == name:
                return v
        return None

    def __repr__(self):
        return "Response(stream=%d, status=%s, body=%d bytes, reset=%s)" % (
            self.stream_id, self.status, len(self.body),
            None if self.reset_code is None else err_name(self.reset_code))


# --- a well-behaved client on h2 ---------------------------------------------

class H2Client:
    """HTTP/2 client on h2.connection.H2Connection over a plain socket."""

    def __init__(self, port, timeout=DEFAULT_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(0.1)
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding=None))
        self.conn.initiate_connection()
        self.events = []
        self.closed = False
        self.terminated = None  # ConnectionTerminated event
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self, wait=0.1):
        if self.closed:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            return True
        except ConnectionResetError:
            self.closed = True
            return False
        if not chunk:
            self.closed = True
            return False
        for ev in self.conn.receive_data(chunk):
            self.events.append(ev)
            if isinstance(ev, h2.events.DataReceived):
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.ConnectionTerminated):
                self.terminated = ev
        self.flush()
        return True

    def start_request(self, path="/", method="GET", headers=(), body=None, end_stream=True):
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(b":method", method.encode()), (b":scheme", b"http"),
                (b":authority", b"localhost"), (b":path", path.encode())]
        hdrs += [(n.encode() if isinstance(n, str) else n, v.encode() if isinstance(v, str) else v)
                 for n, v in headers]
        self.conn.send_headers(sid, hdrs, end_stream=(body is None and end_stream))
        if body is not None:
            self.conn.send_data(sid, body, end_stream=end_stream)
        self.flush()
        return sid

    def wait_response(self, sid, timeout=DEFAULT_TIMEOUT):
        """Waits until stream sid ends (or is reset); returns a dict with
        status, headers, body, trailers, reset."""
        deadline = time.monotonic() + timeout
        while True:
            r = self._collect(sid)
            if r["done"]:
                return r
            if self.closed:
                raise AssertionError("connection closed before stream %d ended (%s)" % (sid, r))
            if time.monotonic() > deadline:
                raise AssertionError("stream %d did not end within %.1fs (%s)" % (sid, timeout, r))
            self.pump(0.1)

    def _collect(self, sid):
        r = {"status": None, "headers": None, "body": b"", "trailers": None, "reset": None,
             "done": False}
        for ev in self.events:
            if getattr(ev, "stream_id", None) != sid:
                continue
            if isinstance(ev, h2.events.ResponseReceived):
                r["headers"] = [(n.decode(), v.decode()) for n, v in ev.headers]
                r["status"] = int(dict(r["headers"])[":status"])
            elif isinstance(ev, h2.events.DataReceived):
                r["body"] += ev.data
            elif isinstance(ev, h2.events.TrailersReceived):
                r["trailers"] = [(n.decode(), v.decode()) for n, v in ev.headers]
            elif isinstance(ev, h2.events.StreamEnded):
                r["done"] = True
            elif isinstance(ev, h2.events.StreamReset):
                r["reset"] = ev.error_code
                r["done"] = True
        return r

    def get(self, path="/", timeout=DEFAULT_TIMEOUT, **kw):
        return self.wait_response(self.start_request(path, **kw), timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def pattern(n, offset=0):
    """The demo upstream's body pattern: byte i is 'a' + i % 26."""
    return bytes(97 + (i % 26) for i in range(offset, offset + n))


# --- test base ------------------------------------------------------------

class H2TestCase(unittest.TestCase):
    """Starts a server per test with SERVER_CONFIG (class attribute) plus
    the overrides of a `config` decorator; checks it is still alive after the
    test. self.conn() opens a RawH2 after the handshake."""

    SERVER_CONFIG = {}
    WORKERS = 1

    def setUp(self):
        method = getattr(self, self._testMethodName)
        overrides = dict(self.SERVER_CONFIG)
        overrides.update(getattr(method, "server_config", {}))
        self.server = Server(overrides, workers=self.WORKERS)
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()
        try:
            if self.server.exit_code is None:  # not stopped on purpose by the test
                self.check_server_survived()
        finally:
            self.server.stop()

    def check_server_survived(self):
        """After every test: the server still answers a new connection (a
        PING round trip). If it does not, it is dying or dead: say how."""
        answered = False
        if self.server.alive():
            probe = None
            try:
                probe = RawH2(self.server.port)
                probe.handshake(timeout=2)
                probe.ping_roundtrip(timeout=2)
                answered = True
            except (AssertionError, OSError, TimeoutError):
                pass
            finally:
                if probe:
                    probe.close()
        if answered:
            return
        self.server.wait_exit(1)
        code = self.server.proc.returncode
        if code is None:
            how = "alive, but a new connection got no PING ACK"
        elif code < 0:
            how = "killed by signal %d (%s)" % (-code, signal.Signals(-code).name)
        else:
            how = "exited with status %d" % code
        self.fail("%s did not survive the test (%s):\n%s" % (
            self.server.target, how, self.server.stderr()[-3000:]))

    def raw(self, handshake=True, settings=(), **kw):
        c = RawH2(self.server.port, **kw)
        self.conns.append(c)
        if handshake:
            c.handshake(settings)
        return c

    def client(self):
        c = H2Client(self.server.port)
        self.conns.append(c)
        return c

    def assert_healthy(self, client=None):
        """A request on a (new or given) well-behaved connection gets 200."""
        c = client or self.client()
        r = c.get("/")
        self.assertEqual(r["status"], 200, "request on a well-behaved connection: %s" % r)
        self.assertEqual(r["body"], b'{"status":"ok"}')


def nghttp2_deviation(reason):
    """Marks a test of an RFC 9113 MUST that nghttp2 (which courier's h2 is
    built on, as is nghttpx) does not meet, verified against nghttpx: the
    test keeps asserting the RFC and runs as an expected failure, so the
    suite stays green and an "unexpected success" shows when it is fixed.
    H2_STRICT=1 runs these as ordinary tests."""
    def wrap(fn):
        fn.nghttp2_deviation = reason
        if os.environ.get("H2_STRICT") == "1":
            return fn
        return unittest.expectedFailure(fn)
    return wrap


def config(**overrides):
    """Decorator: [server] overrides for one test."""
    def wrap(fn):
        fn.server_config = overrides
        return fn
    return wrap
