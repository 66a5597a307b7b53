#!/usr/bin/python3
"""A small gRPC test server (insecure: h2c) for tests/e2e/grpc_test.sh.

No protoc code generation: every method takes and returns raw bytes
(generic handlers without serializers). Service `courier.test.Echo`:

  Unary         returns the request bytes; initial metadata `x-echo-initial:
                yes`, trailing metadata `x-echo-trailer: <request length>`,
                plus what the server saw of the proxy: `x-seen-forwarded-for`,
                `x-seen-request-id`, `x-seen-client-meta` (the client's
                `x-client-meta`), `x-seen-user-agent`.
  ServerStream  request "N" or "N,DELAY_MS": yields b"msg-0" .. b"msg-{N-1}",
                sleeping DELAY_MS between messages; trailing metadata
                `x-stream-count: N`.
  NotFound      aborts with NOT_FOUND, details "no such thing: <request>",
                trailing metadata `x-error-trailer: present`.
  ClientStream  returns b"<count>:" + the concatenation of every message.
  Bidi          answers each message with its upper-case form, as it arrives.
  Slow          sleeps the request's number of milliseconds, then echoes it
                (for client deadlines).

Usage: /usr/bin/python3 server.py [--port N]
Prints "listening on 127.0.0.1:PORT" (flushed) once serving; runs until
SIGTERM / SIGINT. Needs Debian's python3-grpcio (run with /usr/bin/python3).
"""
import argparse
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

SERVICE = "courier.test.Echo"


def _metadata(context):
    return {k: v for k, v in context.invocation_metadata()}


def unary(request, context):
    md = _metadata(context)
    context.send_initial_metadata((("x-echo-initial", "yes"),))
    context.set_trailing_metadata((
        ("x-echo-trailer", str(len(request))),
        ("x-seen-forwarded-for", md.get("x-forwarded-for", "")),
        ("x-seen-request-id", md.get("x-request-id", "")),
        ("x-seen-client-meta", md.get("x-client-meta", "")),
        ("x-seen-user-agent", md.get("user-agent", "")),
    ))
    return request


def server_stream(request, context):
    text = request.decode("ascii")
    count, _, delay = text.partition(",")
    count = int(count)
    delay_s = int(delay or 0) / 1000.0
    context.set_trailing_metadata((("x-stream-count", str(count)),))
    for i in range(count):
        if i and delay_s:
            time.sleep(delay_s)
        yield b"msg-%d" % i


def not_found(request, context):
    context.set_trailing_metadata((("x-error-trailer", "present"),))
    context.abort(grpc.StatusCode.NOT_FOUND, "no such thing: " + request.decode("utf-8", "replace"))


def client_stream(request_iterator, context):
    parts = list(request_iterator)
    return b"%d:" % len(parts) + b"".join(parts)


def bidi(request_iterator, context):
    for msg in request_iterator:
        yield msg.upper()


def slow(request, context):
    time.sleep(int(request.decode("ascii")) / 1000.0)
    return request


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    args = parser.parse_args()

    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "NotFound": grpc.unary_unary_rpc_method_handler(not_found),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
    }
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=32),
        options=[("grpc.max_receive_message_length", 16 << 20),
                 ("grpc.max_send_message_length", 16 << 20),
                 ("grpc.so_reuseport", 0)],
    )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:%d" % args.port)
    if port == 0:
        print("could not bind 127.0.0.1:%d" % args.port, file=sys.stderr)
        return 1
    server.start()
    print("listening on 127.0.0.1:%d" % port, flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    server.stop(grace=0.5).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
