"""A fake HTTP server for the attacks of tests/security/: it logs every
request it receives (method, path, Host and Authorization headers) as one
JSON line, and answers container credentials. Usage:
listener.py ADDRESS PORT LOG [PORT_FILE]; port 0 picks a free one, written to
PORT_FILE once listening."""
import http.server
import json
import os
import sys

address, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
port_file = sys.argv[4] if len(sys.argv) > 4 else None


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        with open(log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "host": self.headers.get("Host"),
                                "authorization": self.headers.get("Authorization")}) + "\n")
        body = json.dumps({"AccessKeyId": "ASIALISTENER", "SecretAccessKey": "listener-secret",
                           "Token": "listener-token", "Expiration": "2099-01-01T00:00:00Z"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = answer

    def log_message(self, *args):
        pass


server = http.server.HTTPServer((address, port), Handler)
if port_file:
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
server.serve_forever()
