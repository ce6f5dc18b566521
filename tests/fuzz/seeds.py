#!/usr/bin/env python3
"""Writes seed inputs for the fuzz targets, taken from the conformance
vectors read in place (never copied into the repository), into OUT/<target>/.

  seeds.py VECTORS_DIR OUT_DIR
"""
import base64
import glob
import hashlib
import json
import os
import sys


def write(out, target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    vectors, out = sys.argv[1], sys.argv[2]
    for path in glob.glob(os.path.join(vectors, "jmespath", "*.json")):
        for suite in json.load(open(path)):
            write(out, "json", json.dumps(suite.get("given")))
            for case in suite.get("cases", []):
                if "expression" in case:
                    write(out, "jmespath", case["expression"])
    for i, path in enumerate(sorted(glob.glob(os.path.join(vectors, "protocols", "output", "*.json")))):
        for j, suite in enumerate(json.load(open(path))):
            for k, case in enumerate(suite.get("cases", [])):
                body = case.get("response", {}).get("body") or ""
                name = os.path.basename(path)
                if name.startswith("smithy-rpc-v2-cbor"):
                    # cbor: service, operation (two bytes), status, the body (base64 in the vectors)
                    write(out, "cbor", bytes([i, j, k, k % 3]) + base64.b64decode(body))
                    continue
                target = "json" if name.startswith("json") else "xml"
                write(out, target, body)
                # response: service, operation (two bytes), status, body
                write(out, "response", bytes([i * 3 + j % 3, j, k, k % 6]) + body.encode())
    for path in glob.glob(os.path.join(vectors, "protocols", "input", "*.json")):
        for suite in json.load(open(path)):
            for case in suite.get("cases", []):
                write(out, "json", json.dumps(case.get("params")))
    for path in glob.glob(os.path.join(vectors, "sigv4", "**", "*.req"), recursive=True):
        write(out, "sigv4", open(path, "rb").read())


if __name__ == "__main__":
    main()
