#!/usr/bin/env python3
"""The AWS simulator: an HTTP proxy on loopback in front of moto that
answers as real AWS does where moto does not (issue 21, "Model what moto
hides") and takes AWS's time (issue 18, the timing model).

    sim.py --upstream http://127.0.0.1:MOTO --port-file FILE [--scale S]
           [--behaviours aws|NAME,...] [--deny ACTION,...] [--registry HOST:PORT]
           [--log FILE]

Each option has an environment variable read when the option is absent:
SIM_SCALE (default 1.0; 0.05 makes a 180 s wait 9 s), SIM_BEHAVIOURS
(default none: a plain proxy), SIM_DENY, SIM_REGISTRY (the registry that
holds the layers of images put to ECR, to tell scratch images), SIM_OPTIONS
(JSON). A client points AWS_ENDPOINT_URL at http://127.0.0.1:PORT.

Control, at /__sim/ on the same port (JSON in and out; not forwarded):
  GET  /__sim/config            the configuration and every behaviour, with its source
  POST /__sim/config            change it: {"scale": 0.05, "set": [...], "on": [...],
                                "off": [...], "deny": [...], "options": {...}}
  GET  /__sim/on/NAME, /__sim/off/NAME   switch one behaviour (or "aws", or a glob)
  GET  /__sim/log               every call so far: service, operation, times, status, code
  POST /__sim/reset             the configuration it started with, empty models and log;
                                ?moto=1 resets moto too
"""
import argparse
import json
import os
import sys
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [here, os.path.join(here, "..", "lib")]

import loopback                 # noqa: E402
import rules                    # noqa: E402
import wire                     # noqa: E402
from world import World         # noqa: E402

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length"}
MAX_BODY = 64 * 1024 * 1024


def handle(world, call):
    """The answer to one AWS call: behaviours that are on may answer
    instead of moto or rewrite its answer. Returns (answer, latency)."""
    with world.lock:
        started = world.now()
        call.account, call.principal = world.identity(call)
        active = [b for b in world.catalogue.values() if b.name in world.on]
        answer, by = None, "moto"
        for b in active:
            answer = b.before(world, call)
            if answer is not None:
                by = b.name
                break
        if answer is None:
            headers = {k: v for k, v in call.headers.items() if k.lower() not in HOP_BY_HOP}
            answer = world.forward(call.method, call.path, headers, call.body)
            for b in world.catalogue.values():
                b.observe(world, call, answer)
            for b in active:
                answer = b.after(world, call, answer)
        latency = 0.0
        lat = world.catalogue.get("latency")
        if lat is not None and lat.name in world.on:
            latency = lat.delay(world, call)
        world.record({"t": round(started - world.started, 4), "service": call.service,
                      "operation": call.operation, "status": answer.status,
                      "code": answer.error_code(), "by": by, "latency": round(latency, 4),
                      "keys": rules.log_keys(call, answer)})
    return answer, latency


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # the headers and the body go out in two writes: with Nagle's algorithm
    # the body waits for the client's delayed ACK of the headers (about 40 ms
    # on Linux, tcp(7) TCP_NODELAY and TCP_QUICKACK), a delay of every call
    # that AWS does not have and the timing table does not hold
    disable_nagle_algorithm = True
    world = None

    def log_message(self, fmt, *args):
        pass

    def send(self, answer):
        self.send_response(answer.status)
        for k, v in answer.headers:
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        # a HEAD's answer has no body but the length a GET's would have
        length = answer.header("Content-Length") if self.command == "HEAD" and not answer.body else None
        self.send_header("Content-Length", length or str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
        self.wfile.flush()

    def send_json(self, status, value):
        self.send(wire.Answer(status, [("Content-Type", "application/json")],
                              json.dumps(value, indent=1, sort_keys=True).encode()))

    def control(self, body):
        w = self.world
        url = urllib.parse.urlsplit(self.path)
        what = url.path[len("/__sim/"):].strip("/")
        try:
            with w.lock:
                if what in ("", "config") and self.command == "GET":
                    return self.send_json(200, w.config())
                if what == "config" and self.command == "POST":
                    w.configure(json.loads(body or b"{}"))
                    return self.send_json(200, w.config())
                if what.startswith("on/") or what.startswith("off/"):
                    state, name = what.split("/", 1)
                    w.switch([name], state == "on")
                    return self.send_json(200, w.config())
                if what == "log":
                    return self.send_json(200, w.log)
                if what == "reset" and self.command == "POST":
                    if "moto=1" in url.query:
                        w.reset_moto()
                    w.reset()
                    return self.send_json(200, w.config())
            return self.send_json(404, {"error": "unknown control %s %s (see sim.py --help)" % (self.command, url.path)})
        except (ValueError, TypeError) as e:
            return self.send_json(400, {"error": str(e)})

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY)) if length else b""
        if self.path.startswith("/__sim/") or self.path == "/__sim":
            return self.control(body)
        call = wire.Call(self.command, self.path, self.headers, body)
        try:
            answer, latency = handle(self.world, call)
        except Exception as e:   # a fault of the simulator: say so, in the protocol's format
            traceback.print_exc()
            return self.send(wire.error(call, "SimulatorError", "the AWS simulator failed: %r" % e, 500))
        if latency > 0:
            time.sleep(latency)
        self.send(answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="moto's URL")
    p.add_argument("--port-file", required=True, help="where to write the port it listens on")
    p.add_argument("--scale", type=float, default=float(os.environ.get("SIM_SCALE", "1.0")))
    p.add_argument("--behaviours", default=os.environ.get("SIM_BEHAVIOURS", ""))
    p.add_argument("--deny", default=os.environ.get("SIM_DENY", ""))
    p.add_argument("--registry", default=os.environ.get("SIM_REGISTRY") or None)
    p.add_argument("--log", help="also append each call to this file (JSON lines)")
    args = p.parse_args()
    if not args.scale > 0:
        p.error("--scale must be > 0")
    try:
        options = json.loads(os.environ.get("SIM_OPTIONS") or "{}")
        world = World(args.upstream, scale=args.scale, behaviours=args.behaviours.split(","),
                      deny=[d for d in args.deny.split(",") if d.strip()], options=options,
                      registry=args.registry, log_path=args.log)
    except ValueError as e:
        p.error(str(e))
    Handler.world = world
    loopback.serve(Handler, args.port_file)


if __name__ == "__main__":
    main()
