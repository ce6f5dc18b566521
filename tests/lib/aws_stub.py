#!/usr/bin/env python3
"""Loopback stand-ins for the AWS transport tests, on one free port.

  /creds              container credentials (checks the Authorization token)
  /latest/...         EC2 instance metadata, IMDSv2 (token required)
  anything else       a scripted AWS endpoint: each request takes the next
                      action from the script set with POST /__script
                      (JSON list), then answers 200 once it runs out.

Actions: "ok", "throttle" (400 ThrottlingException), "500", "503",
"reset" (connection reset), "stall:<seconds>", "skew:<seconds>"
(RequestTimeTooSkewed with a Date that far from now), "denied"
(400 AccessDeniedException, not retryable), "secret"/"secretxml" (200 with
secret values in JSON/XML, for the redaction tests).
GET /__log returns the requests seen (method, path, headers, client_port)
and clears it.
Control: POST /__creds sets the credentials document served by /creds and
IMDS ({"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}).

Usage: aws_stub.py PORT_FILE [PEM]  (writes the port there once listening;
with PEM, a file holding a key and its certificate, it speaks HTTPS)
"""
import email.utils
import json
import socket
import struct
import sys
import threading
import time
from http.server import ThreadingHTTPServer

import loopback
import stub_server

CONTAINER_TOKEN = "container-auth-token"
IMDS_TOKEN = "imds-session-token"
ROLE = "stub-role"

state = {
    "script": [],
    "log": [],
    "creds": {
        "AccessKeyId": "ASIASTUBCONTAINER",
        "SecretAccessKey": "stub-secret",
        "Token": "stub-token",
        "Expiration": "2099-01-01T00:00:00Z",
    },
    "creds_served": 0,
}
lock = threading.Lock()


class Handler(stub_server.Handler):
    extra_headers = {"x-amzn-RequestId": "stub-request"}

    def creds_document(self):
        with lock:
            state["creds_served"] += 1
            doc = dict(state["creds"])
        doc.setdefault("Code", "Success")
        return doc

    def handle_any(self):
        body = self.body()
        path = self.path
        if path == "/__script" and self.command == "POST":
            with lock:
                state["script"] = json.loads(body or b"[]")
            return self.answer(200, {})
        if path == "/__creds" and self.command == "POST":
            with lock:
                state["creds"] = json.loads(body)
                state["creds_served"] = 0
            return self.answer(200, {})
        if path == "/__log":
            with lock:
                log, state["log"] = state["log"], []
                served = state["creds_served"]
            return self.answer(200, {"requests": log, "creds_served": served})
        with lock:
            state["log"].append({"method": self.command, "path": path,
                                 "client_port": self.client_address[1],
                                 "headers": {k.lower(): v for k, v in self.headers.items()}})
        if path.startswith("/creds"):
            if self.headers.get("Authorization") != CONTAINER_TOKEN:
                return self.answer(401, {"message": "bad token"})
            return self.answer(200, self.creds_document())
        if path.startswith("/latest/"):
            return self.imds(path)
        with lock:
            action = state["script"].pop(0) if state["script"] else "ok"
        return self.scripted(action)

    def imds(self, path):
        if path == "/latest/api/token" and self.command == "PUT":
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.answer(400, "")
            return self.answer(200, IMDS_TOKEN, "text/plain")
        if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
            return self.answer(401, "", "text/plain")
        base = "/latest/meta-data/iam/security-credentials/"
        if path == base:
            return self.answer(200, ROLE + "\n", "text/plain")
        if path == base + ROLE:
            return self.answer(200, self.creds_document())
        return self.answer(404, "", "text/plain")

    def scripted(self, action):
        if action == "ok":
            with lock:
                n = len(state["log"])
            return self.answer(200, {"ok": True, "seen": n})
        if action == "secret":
            return self.answer(200, {"SecretString": "s3cr3t-from-server",
                                     "Credentials": {"SecretAccessKey": "srv-secret-key",
                                                     "SessionToken": "srv-session-token"}},
                               "application/x-amz-json-1.1")
        if action == "secretxml":
            return self.answer(200, "<R><Credentials><SecretAccessKey>srv-secret-key</SecretAccessKey>"
                               "<SessionToken>srv-session-token</SessionToken></Credentials></R>",
                               "text/xml")
        if action == "throttle":
            return self.answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"},
                               "application/x-amz-json-1.1")
        if action == "denied":
            return self.answer(400, {"__type": "AccessDeniedException", "message": "no"},
                               "application/x-amz-json-1.1")
        if action in ("500", "503"):
            return self.answer(int(action), "<html>busy</html>", "text/html")
        if action == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if action.startswith("stall:"):
            time.sleep(float(action.split(":", 1)[1]))
            return self.answer(200, {"ok": True, "stalled": True})
        if action.startswith("skew:"):
            date = email.utils.formatdate(time.time() + float(action.split(":", 1)[1]), usegmt=True)
            return self.answer(400, {"__type": "InvalidSignatureException",
                                     "message": "Signature expired"},
                               "application/x-amz-json-1.1", {"Date": date})
        return self.answer(500, {"message": "unknown action " + action})

    def send_response(self, code, message=None):
        # The Date header of a "skew" answer replaces the real one.
        self.send_response_only(code, message)
        self.send_header("Server", "aws-stub")

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if len(sys.argv) > 2:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    loopback.serve_server(server, sys.argv[1])


if __name__ == "__main__":
    main()
