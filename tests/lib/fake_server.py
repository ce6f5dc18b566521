"""Fake servers for the tests of hostile or missing answers. Modes:
  fake_server.py aws PORT_FILE         AWS json protocol on loopback: CloudWatch
                                       Logs FilterLogEvents answers events, every
                                       other call an error; both carry escapes
  fake_server.py docker SOCKET         a Docker Engine on a Unix socket whose
                                       build output carries escapes
  fake_server.py listen ADDRESS PORT LOG PORT_FILE   logs every request
                                       (method, path, Host, Authorization) as a
                                       JSON line to LOG and answers container
                                       credentials; port 0 picks a free one
  fake_server.py canned PORT_FILE BODY_FILE   answers every POST on loopback
                                       with BODY_FILE as it is at that moment (an
                                       answer moto cannot give), appending a line
                                       to BODY_FILE.log for each request
The escapes: set the window title (OSC 0 ... BEL), red text (CSI 31 m),
a carriage return and the 8-bit CSI (U+009B)."""
import http.server
import json
import os
import socketserver
import sys

EVIL = "\x1b]0;pwned\x07\x1b[31mred\x1b[0m\r\u009b2J"


class Common(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, body, ctype="application/x-amz-json-1.1", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                self.rfile.read(size + 2)
                if size == 0:
                    return
        self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass  # the client hung up on an answer it refused

    def address_string(self):
        return "client"


class Aws(Common):
    def do_POST(self):
        self.read_body()
        target = self.headers.get("X-Amz-Target", "")
        if target.endswith(".FilterLogEvents"):
            self.send(200, json.dumps({"events": [{"eventId": "1", "timestamp": 1700000000000,
                                                   "logStreamName": "ecs/" + EVIL,
                                                   "message": "event " + EVIL}]}))
        else:
            self.send(400, json.dumps({"__type": "Evil" + EVIL + "Exception", "message": "message " + EVIL}),
                      headers=[("x-amzn-RequestId", "req" + EVIL.replace("\r", "").replace("\x07", ""))])


class Docker(Common):
    def do_GET(self):
        self.send(200, "OK", "text/plain", [("Api-Version", "1.41")])

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self.read_body()
        if "/build" in self.path:
            lines = [{"stream": "Step 1/1 : " + EVIL + "\n"}, {"status": "status " + EVIL},
                     {"aux": {"ID": "sha256:" + "ab" * 32}}]
            self.send(200, "".join(json.dumps(l) + "\n" for l in lines), "application/json")
        else:
            self.send(500, json.dumps({"message": "engine " + EVIL}), "application/json")


class Canned(Common):
    def do_POST(self):
        self.read_body()
        with open(sys.argv[3] + ".log", "a") as log:
            log.write(self.headers.get("X-Amz-Target", self.path) + "\n")
        with open(sys.argv[3]) as f:
            body = f.read()
        self.send(200, body, "application/x-amz-json-1.1" if body.startswith("{") else "text/xml")


class Listen(Common):
    def answer(self):
        with open(sys.argv[4], "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "host": self.headers.get("Host"),
                                "authorization": self.headers.get("Authorization")}) + "\n")
        self.send(200, json.dumps({"AccessKeyId": "ASIALISTENER", "SecretAccessKey": "listener-secret",
                                   "Token": "listener-token", "Expiration": "2099-01-01T00:00:00Z"}),
                  "application/json")

    do_GET = do_PUT = do_POST = answer


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


mode, where = sys.argv[1], sys.argv[2]
if mode == "listen":
    server = http.server.ThreadingHTTPServer((where, int(sys.argv[3])), Listen)
    where = sys.argv[5]
if mode in ("aws", "canned"):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Aws if mode == "aws" else Canned)
if mode in ("aws", "canned", "listen"):
    with open(where + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(where + ".tmp", where)
elif mode == "docker":
    server = UnixServer(where, Docker)
server.serve_forever()
