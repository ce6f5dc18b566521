#!/usr/bin/env python3
"""A loopback S3 (path-style) whose buckets live in several regions, for the
region redirect: a request signed for another region than its bucket's is
answered as S3 answers it (moto does not), and every request is logged with
the region it was signed for (GET /__log, JSON; the log is then cleared).

  far-bucket    eu-west-1      301 PermanentRedirect + x-amz-bucket-region
                               (HEAD: 301 without a body, the header only)
  mal-bucket    eu-central-1   400 AuthorizationHeaderMalformed, the region
                               only in the error's <Region>
  loop-bucket   (none)         301 naming eu-west-1 to every request
  near-bucket   us-east-1      answers
A bucket answers GET and HEAD of any key with the body "<key> in <region>".

Usage: s3_region_standin.py PORT_FILE
"""
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REGIONS = {"far-bucket": "eu-west-1", "mal-bucket": "eu-central-1", "near-bucket": "us-east-1"}
log = []
lock = threading.Lock()


def error_xml(code, message, extra=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>%s'
            '<RequestId>standin</RequestId></Error>' % (code, message, extra)).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_request(self):
        if self.path == "/__log":
            with lock:
                body = json.dumps(log).encode()
                log.clear()
            return self.answer(200, body)
        m = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/s3/", self.headers.get("Authorization", ""))
        signed = m.group(1) if m else None
        bucket, _, key = self.path.lstrip("/").partition("/")
        key = key.split("?")[0]
        with lock:
            log.append({"method": self.command, "bucket": bucket, "region": signed})
        if bucket == "loop-bucket":
            return self.answer(301, error_xml("PermanentRedirect", "elsewhere"), {"x-amz-bucket-region": "eu-west-1"})
        region = REGIONS.get(bucket)
        if region is None:
            return self.answer(404, error_xml("NoSuchBucket", "no such bucket"))
        if signed != region:
            if bucket == "mal-bucket":
                return self.answer(400, error_xml("AuthorizationHeaderMalformed", "wrong region",
                                                  "<Region>%s</Region>" % region))
            if self.command == "HEAD":
                return self.answer(301, b"", {"x-amz-bucket-region": region})
            return self.answer(301, error_xml("PermanentRedirect", "use the bucket's region"),
                               {"x-amz-bucket-region": region})
        self.answer(200, ("%s in %s" % (key, region)).encode(), {"Content-Type": "text/plain"})

    do_GET = handle_request
    do_HEAD = handle_request


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
