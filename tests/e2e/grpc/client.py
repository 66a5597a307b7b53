#!/usr/bin/python3
"""gRPC client checks for tests/e2e/grpc_test.sh, against server.py (directly
or through a proxy). Raw-bytes calls, no protoc code generation.

Prints one "ok   - ..." or "FAIL - ..." line per assertion and a closing
"grpc client: N ok, M failed" line; exits 1 if any assertion failed.

Usage: /usr/bin/python3 client.py --target 127.0.0.1:PORT [--expect-proxy]
  --expect-proxy  also require that the server saw x-forwarded-for (with
                  127.0.0.1) and x-request-id: proof that a proxy was in between.
Needs Debian's python3-grpcio (run with /usr/bin/python3).
"""
import argparse
import hashlib
import queue
import sys
import time

import grpc

SERVICE = "/courier.test.Echo/"
TIMEOUT = 10  # seconds, per call unless a check says otherwise

results = {"ok": 0, "failed": 0}


def check(what, cond, detail=""):
    if cond:
        results["ok"] += 1
        print("ok   - " + what, flush=True)
    else:
        results["failed"] += 1
        print("FAIL - " + what + (": " + detail if detail else ""), flush=True)
    return cond


def md(metadata):
    return {k: v for k, v in (metadata or ())}


def run(name, fn):
    """Runs one group of checks; an unexpected exception is a failure."""
    try:
        fn()
    except grpc.RpcError as e:  # pylint: disable=broad-except
        check(name + " (no unexpected RPC error)", False, "%s %s" % (e.code(), e.details()))
    except Exception as e:  # pylint: disable=broad-except
        check(name + " (no unexpected exception)", False, repr(e))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of the server or the proxy")
    parser.add_argument("--expect-proxy", action="store_true")
    args = parser.parse_args()

    channel = grpc.insecure_channel(args.target, options=[
        ("grpc.enable_http_proxy", 0),  # never through $http_proxy
        ("grpc.max_receive_message_length", 16 << 20),
        ("grpc.max_send_message_length", 16 << 20),
    ])
    try:
        grpc.channel_ready_future(channel).result(timeout=TIMEOUT)
    except grpc.FutureTimeoutError:
        check("channel to %s becomes ready" % args.target, False, "timed out")
        return finish()

    unary = channel.unary_unary(SERVICE + "Unary")
    server_stream = channel.unary_stream(SERVICE + "ServerStream")
    not_found = channel.unary_unary(SERVICE + "NotFound")
    client_stream = channel.stream_unary(SERVICE + "ClientStream")
    bidi = channel.stream_stream(SERVICE + "Bidi")
    slow = channel.unary_unary(SERVICE + "Slow")
    nope = channel.unary_unary(SERVICE + "Nope")

    def t_unary():
        resp, call = unary.with_call(b"hello courier", timeout=TIMEOUT,
                                     metadata=(("x-client-meta", "abc-123"),))
        check("unary: echoed payload", resp == b"hello courier", repr(resp))
        check("unary: status OK", call.code() == grpc.StatusCode.OK, str(call.code()))
        init, trail = md(call.initial_metadata()), md(call.trailing_metadata())
        check("unary: initial metadata x-echo-initial passes", init.get("x-echo-initial") == "yes",
              repr(init))
        check("unary: trailing metadata x-echo-trailer passes",
              trail.get("x-echo-trailer") == "13", repr(trail))
        check("unary: request metadata x-client-meta reaches the server",
              trail.get("x-seen-client-meta") == "abc-123", repr(trail))
        check("unary: the client's user-agent reaches the server",
              "grpc-python" in trail.get("x-seen-user-agent", ""), repr(trail))
        if args.expect_proxy:
            check("unary: server saw x-forwarded-for with 127.0.0.1",
                  "127.0.0.1" in trail.get("x-seen-forwarded-for", ""), repr(trail))
            check("unary: server saw an x-request-id", trail.get("x-seen-request-id", "") != "",
                  repr(trail))

    def t_unary_empty_and_binary():
        resp = unary(b"", timeout=TIMEOUT)
        check("unary: empty message echoed", resp == b"", repr(resp))
        payload = bytes(range(256)) * 64
        resp = unary(payload, timeout=TIMEOUT)
        check("unary: all 256 byte values echoed (16 KiB)", resp == payload)

    def t_unary_large():
        # Larger than HTTP/2's default 64 KiB windows and courier's 1 MiB
        # back-pressure mark: flow control on both sides of the proxy.
        payload = bytes((i * 7 + i // 251) & 0xFF for i in range(3 * 1024 * 1024 + 17))
        resp, call = unary.with_call(payload, timeout=TIMEOUT)
        check("unary: 3 MiB message echoed intact (sha256)",
              hashlib.sha256(resp).digest() == hashlib.sha256(payload).digest(),
              "%d bytes back" % len(resp))
        check("unary: 3 MiB trailer x-echo-trailer",
              md(call.trailing_metadata()).get("x-echo-trailer") == str(len(payload)))

    def t_server_stream():
        call = server_stream(b"100", timeout=TIMEOUT)
        msgs = list(call)
        check("server stream: 100 messages", len(msgs) == 100, "got %d" % len(msgs))
        check("server stream: messages in order", msgs == [b"msg-%d" % i for i in range(100)],
              repr(msgs[:5]))
        check("server stream: status OK", call.code() == grpc.StatusCode.OK, str(call.code()))
        check("server stream: trailing metadata x-stream-count: 100",
              md(call.trailing_metadata()).get("x-stream-count") == "100",
              repr(call.trailing_metadata()))

    def t_server_stream_live():
        # 5 messages 200 ms apart: each must arrive as it is sent, not at the end.
        start = time.monotonic()
        arrivals = []
        for msg in server_stream(b"5,200", timeout=TIMEOUT):
            arrivals.append((time.monotonic() - start, msg))
        check("live stream: 5 messages in order",
              [m for _, m in arrivals] == [b"msg-%d" % i for i in range(5)], repr(arrivals))
        if len(arrivals) == 5:
            first, last = arrivals[0][0], arrivals[-1][0]
            check("live stream: first message before the last was sent (%.0f ms vs %.0f ms)"
                  % (first * 1000, last * 1000), last - first >= 0.6,
                  "messages were buffered")

    def t_not_found():
        try:
            not_found(b"widget", timeout=TIMEOUT)
            check("error: NotFound raises", False, "the call succeeded")
        except grpc.RpcError as e:
            check("error: status NOT_FOUND", e.code() == grpc.StatusCode.NOT_FOUND, str(e.code()))
            check("error: details pass through", e.details() == "no such thing: widget",
                  repr(e.details()))
            check("error: trailing metadata with the error",
                  md(e.trailing_metadata()).get("x-error-trailer") == "present",
                  repr(e.trailing_metadata()))

    def t_unimplemented():
        try:
            nope(b"x", timeout=TIMEOUT)
            check("unknown method raises", False, "the call succeeded")
        except grpc.RpcError as e:
            check("unknown method: status UNIMPLEMENTED", e.code() == grpc.StatusCode.UNIMPLEMENTED,
                  str(e.code()))

    def t_client_stream():
        resp = client_stream(iter([b"a", b"bb", b"ccc", b"dddd"]), timeout=TIMEOUT)
        check("client stream: 4 messages counted and joined", resp == b"4:abbcccdddd", repr(resp))
        resp = client_stream(iter([b"x" * 100000 for _ in range(30)]), timeout=TIMEOUT)
        check("client stream: 30 x 100 kB messages", resp == b"30:" + b"x" * 3000000,
              "%d bytes back" % len(resp))

    def t_bidi():
        # Ping-pong: the next message is sent only after the previous answer
        # came back, so a proxy that waited for the end of the request body
        # would hang here (until the deadline).
        q = queue.Queue()

        def requests():
            while True:
                m = q.get()
                if m is None:
                    return
                yield m

        call = bidi(requests(), timeout=TIMEOUT)
        words = [b"alpha", b"bravo", b"charlie", b"delta", b"echo"]
        answers = []
        for w in words:
            q.put(w)
            answers.append(next(call))
        q.put(None)
        rest = list(call)
        check("bidi: each message answered before the next is sent",
              answers == [w.upper() for w in words], repr(answers))
        check("bidi: nothing after the half-close, status OK",
              rest == [] and call.code() == grpc.StatusCode.OK, repr(rest))

    def t_deadline():
        start = time.monotonic()
        try:
            slow(b"3000", timeout=0.3)
            check("deadline: slow call fails", False, "the call succeeded")
        except grpc.RpcError as e:
            elapsed = time.monotonic() - start
            check("deadline: DEADLINE_EXCEEDED after ~0.3 s (%.2f s)" % elapsed,
                  e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and elapsed < 2.5, str(e.code()))
        resp = unary(b"after-deadline", timeout=TIMEOUT)
        check("deadline: the channel still works afterwards", resp == b"after-deadline")

    def t_concurrent():
        futs = [unary.future(b"req-%03d" % i, timeout=TIMEOUT) for i in range(64)]
        got = [f.result() for f in futs]
        check("64 concurrent unary calls on one channel, each its own answer",
              got == [b"req-%03d" % i for i in range(64)])
        streams = [server_stream(b"20,10", timeout=TIMEOUT) for _ in range(8)]
        lists = [list(s) for s in streams]
        check("8 concurrent server streams, 20 messages each in order",
              all(lst == [b"msg-%d" % i for i in range(20)] for lst in lists),
              repr([len(lst) for lst in lists]))

    for name, fn in [("unary", t_unary), ("unary empty/binary", t_unary_empty_and_binary),
                     ("unary large", t_unary_large), ("server stream", t_server_stream),
                     ("live stream", t_server_stream_live), ("error", t_not_found),
                     ("unknown method", t_unimplemented), ("client stream", t_client_stream),
                     ("bidi", t_bidi), ("deadline", t_deadline), ("concurrency", t_concurrent)]:
        run(name, fn)
    channel.close()
    return finish()


def finish():
    print("grpc client: %d ok, %d failed" % (results["ok"], results["failed"]), flush=True)
    return 1 if results["failed"] or not results["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
