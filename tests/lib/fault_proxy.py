#!/usr/bin/env python3
"""A fault-injecting HTTP proxy on loopback, between fgrun and moto.

fgrun reaches it through AWS_ENDPOINT_URL; it forwards each request to the
upstream URL, except the ones it chooses to fault. Decisions come from a
seeded RNG and are taken in arrival order (fgrun sends one request at a
time), so a run with the same seed replays the same faults. Each decision
is logged, one line a request, to --log:

    <n> <seconds since start> <service>.<Operation> <protocol> <fault or "pass">

Faults (--faults, comma-separated, one drawn at random per faulted request):
  throttle      the protocol's throttling error (json: 400 ThrottlingException;
                query: 400 <ErrorResponse> Throttling; ec2: 503
                <Response><Errors> RequestLimitExceeded)
  500, 503      a server error in the protocol's format
  reset         the connection is reset before the request is forwarded
  reset-after   the request is forwarded (the server acts), then the
                connection is reset: the answer is lost
  503-after     the request is forwarded (the server acts), then 503 is
                answered in the protocol's format instead of its answer
  stall         no answer for --stall seconds, then the connection closes
  truncate      the answer's headers announce the whole body, half is sent
  latency       the answer is forwarded after --latency seconds
  hold          (--hold N only) request N is forwarded, then its answer is
                held for --stall seconds: a test kills the client meanwhile
Which requests are faulted:
  --rate R            each request with probability R (0..1)
  --after N           every request after the Nth (R ignored)
  --ops REGEX         only operations matching REGEX (e.g. '^Create')
  --max N             at most N faults in all
  --once-per-op       at most one fault per operation name
  --hold N            hold the answer to request N (logged before it is held)
Control (not forwarded): GET /__fault/off, /__fault/on switch faulting;
GET /__fault/stats answers {"requests": n, "faults": n}.

Usage: fault_proxy.py --upstream URL --port-file FILE [--seed S] [--log FILE] ...
"""
import argparse
import http.client
import json
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import loopback  # noqa: E402

FAULTS = ("throttle", "500", "503", "reset", "reset-after", "503-after", "stall", "truncate", "latency")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length"}
UPSTREAM_TIMEOUT_S = 60
MAX_BODY = 64 * 1024 * 1024


class Injector:
    """The seeded decisions and their log; shared by the handler threads."""

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.ops = re.compile(args.ops) if args.ops else None
        self.lock = threading.Lock()
        self.enabled = True
        self.requests = 0
        self.faults = 0
        self.faulted_ops = set()
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.started = time.monotonic()

    def note(self, text):
        with self.lock:
            if self.log:
                self.log.write("# %s\n" % text)

    def decide(self, service, op, protocol):
        with self.lock:
            self.requests += 1
            n = self.requests
            # Both draws are taken for every request, so the sequence of
            # decisions depends only on the seed and the request order.
            roll = self.rng.random()
            kind = self.rng.choice(self.args.faults)
            a = self.args
            faulted = self.enabled and (
                (a.after is not None and n > a.after) or (a.after is None and roll < a.rate))
            if faulted and self.ops and not self.ops.search(op):
                faulted = False
            if faulted and a.max is not None and self.faults >= a.max:
                faulted = False
            if faulted and a.once_per_op and op in self.faulted_ops:
                faulted = False
            if a.hold is not None:
                faulted, kind = n == a.hold, "hold"
            if faulted:
                self.faults += 1
                self.faulted_ops.add(op)
            decision = kind if faulted else "pass"
            if self.log:
                self.log.write("%d %.2f %s.%s %s %s\n" % (n, time.monotonic() - self.started,
                                                       service, op, protocol, decision))
            return decision


def protocol_of(headers, body, path):
    """json (X-Amz-Target), ec2 (Action=... with an ec2 Version), query
    (Action=... form), or rest (anything else)."""
    target = headers.get("X-Amz-Target")
    if target:
        return "json", target.rsplit(".", 1)[-1]
    form = {}
    ctype = headers.get("Content-Type", "")
    if "x-www-form-urlencoded" in ctype or (body and body[:7] == b"Action="):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    if not form and "?" in path:
        form = urllib.parse.parse_qs(path.split("?", 1)[1])
    action = form.get("Action", [None])[0]
    if action:
        version = form.get("Version", [""])[0]
        # EC2's API versions are 2016-11-15 and older dates; its
        # signing scope says ec2 too (checked by the caller).
        return ("ec2" if version.startswith("2016-11-15") else "query"), action
    return "rest", path.split("?", 1)[0]


def service_of(headers):
    """The service from the SigV4 credential scope (…/region/service/aws4_request)."""
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request", headers.get("Authorization", ""))
    return m.group(1) if m else "?"


def error_answer(protocol, kind):
    """(status, content type, body) of a throttling or server error."""
    rid = "fault-proxy"
    if kind == "throttle":
        code, status = {"json": ("ThrottlingException", 400), "query": ("Throttling", 400),
                        "ec2": ("RequestLimitExceeded", 503), "rest": ("ThrottlingException", 429)}[protocol]
        message = "Rate exceeded (injected by the fault proxy)"
    else:
        status = int(kind)
        code = "InternalFailure" if status == 500 else "ServiceUnavailable"
        message = "injected HTTP %d" % status
    if protocol in ("json", "rest"):
        body = json.dumps({"__type": code, "message": message})
        return status, "application/x-amz-json-1.1", body.encode()
    if protocol == "ec2":
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>%s</Code>"
                "<Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>") % (code, message, rid)
        return status, "text/xml;charset=UTF-8", body.encode()
    body = ("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>"
            "<Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>") % (code, message, rid)
    return status, "text/xml", body.encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as fgrun's libcurl expects
    injector = None
    upstream = None

    def log_message(self, fmt, *args):
        pass

    def reset(self):
        """Closes the connection with a TCP RST (SO_LINGER 0)."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def send_raw(self, status, headers, body, send_bytes=None):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if send_bytes is None else body[:send_bytes])
        self.wfile.flush()

    def control(self):
        inj = self.injector
        what = self.path[len("/__fault/"):]
        with inj.lock:
            if what == "off":
                inj.enabled = False
            elif what == "on":
                inj.enabled = True
            stats = {"requests": inj.requests, "faults": inj.faults, "enabled": inj.enabled}
        self.send_raw(200, [("Content-Type", "application/json")], json.dumps(stats).encode())

    def forward(self, body):
        u = self.upstream
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=UPSTREAM_TIMEOUT_S)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body if body else None, headers=headers)
            r = conn.getresponse()
            data = r.read(MAX_BODY)
            out = [(k, v) for k, v in r.getheaders() if k.lower() not in HOP_BY_HOP]
            return r.status, out, data
        finally:
            conn.close()

    def handle_any(self):
        if self.path.startswith("/__fault/"):
            return self.control()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY)) if length else b""
        protocol, op = protocol_of(self.headers, body, self.path)
        service = service_of(self.headers)
        if protocol == "query" and service == "ec2":
            protocol = "ec2"
        decision = self.injector.decide(service, op, protocol)
        args = self.injector.args
        if decision == "pass":
            return self.send_raw(*self.forward(body))
        if decision in ("throttle", "500", "503"):
            status, ctype, data = error_answer(protocol, decision)
            return self.send_raw(status, [("Content-Type", ctype)], data)
        if decision == "reset":
            return self.reset()
        if decision == "503-after":
            self.forward(body)
            status, ctype, data = error_answer(protocol, "503")
            return self.send_raw(status, [("Content-Type", ctype)], data)
        if decision == "reset-after":
            self.forward(body)
            return self.reset()
        if decision == "stall":
            time.sleep(args.stall)
            return self.reset()
        if decision == "truncate":
            status, headers, data = self.forward(body)
            self.send_raw(status, headers, data, send_bytes=len(data) // 2)
            self.close_connection = True   # an orderly close, short of the length
            return None
        if decision == "hold":
            self.forward(body)
            self.injector.note("held %d" % self.injector.requests)
            time.sleep(args.stall)
            return self.reset()
        if decision == "latency":
            time.sleep(args.latency)
            return self.send_raw(*self.forward(body))
        raise AssertionError(decision)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--log")
    p.add_argument("--rate", type=float, default=0.0)
    p.add_argument("--after", type=int)
    p.add_argument("--faults", default="throttle,500,503")
    p.add_argument("--ops")
    p.add_argument("--max", type=int)
    p.add_argument("--once-per-op", action="store_true")
    p.add_argument("--hold", type=int)
    p.add_argument("--stall", type=float, default=5.0)
    p.add_argument("--latency", type=float, default=0.3)
    args = p.parse_args()
    args.faults = [f for f in args.faults.split(",") if f]
    for f in args.faults:
        if f not in FAULTS:
            p.error("unknown fault %r (known: %s)" % (f, ", ".join(FAULTS)))
    Handler.injector = Injector(args)
    Handler.upstream = urllib.parse.urlsplit(args.upstream)
    loopback.serve(Handler, args.port_file)
    sys.exit(0)


if __name__ == "__main__":
    main()
