#!/usr/bin/env python3
"""A loopback CloudWatch that speaks only smithy-rpc-v2-cbor, with botocore's
own CBOR codec and CloudWatch model: requests are decoded by botocore's
CBOR parser, answers written by botocore's CBOR serializer from the
operation's output shape. It keeps the alarms it is given, so a test can
check what arrived (GET /__alarms: JSON, timestamps as epoch seconds);
GET /__model says which model folder it speaks by ({"folder"}).

  PutMetricAlarm     stores the alarm (its decoded input)
  DescribeAlarms     answers the stored alarms (AlarmNames filters), each
                     with StateValue OK and a StateUpdatedTimestamp
  DeleteAlarms       removes them; an unknown name is ResourceNotFound (404)

Usage: cbor_standin.py PORT_FILE
"""
import datetime
import os
import sys
import threading

import botocore.session
from botocore.parsers import RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer

import loopback
import stub_server

session = botocore.session.get_session()
model = session.get_service_model("cloudwatch")
PREFIX = "/service/%s/operation/" % model.metadata["targetPrefix"]
UPDATED = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)  # botocore writes whole seconds

alarms = {}
lock = threading.Lock()


def encode(shape, value):
    out = bytearray()
    RpcV2CBORSerializer()._serialize_data_item(out, value, shape)
    return bytes(out)


def decode(body):
    parser = RpcV2CBORParser()
    return parser.parse_data_item(parser.get_peekable_stream_from_bytes(body)) if body else {}


def plain(v):
    """JSON-ready: datetimes as epoch seconds, bytes as text."""
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, datetime.datetime):
        return v.timestamp()
    if isinstance(v, bytes):
        return v.decode("latin-1")
    return v


class Handler(stub_server.Handler):
    extra_headers = {"smithy-protocol": "rpc-v2-cbor", "x-amzn-RequestId": "standin-1"}

    def cbor(self, status, body=b""):
        self.answer(status, body, "application/cbor")

    def do_GET(self):
        if self.path == "/__model":
            folder = os.path.join(os.path.dirname(botocore.__file__), "data", "cloudwatch", model.api_version)
            return self.answer(200, {"folder": folder})
        with lock:
            self.answer(200, plain(alarms))

    def do_POST(self):
        body = self.body()
        if not self.path.startswith(PREFIX) or self.headers.get("smithy-protocol") != "rpc-v2-cbor" \
                or "Authorization" not in self.headers:
            return self.cbor(400, encode_error("ValidationError", "not an rpc-v2-cbor request"))
        op = model.operation_model(self.path[len(PREFIX):])
        params = decode(body)
        with lock:
            if op.name == "PutMetricAlarm":
                alarms[params["AlarmName"]] = params
                return self.cbor(200)
            if op.name == "DescribeAlarms":
                names = params.get("AlarmNames") or list(alarms)
                found = [dict(alarms[n], StateValue="OK", StateUpdatedTimestamp=UPDATED)
                         for n in names if n in alarms]
                return self.cbor(200, encode(op.output_shape, {"MetricAlarms": found}))
            if op.name == "DeleteAlarms":
                missing = [n for n in params["AlarmNames"] if n not in alarms]
                if missing:
                    return self.cbor(404, encode_error("ResourceNotFound", "no alarm " + missing[0]))
                for n in params["AlarmNames"]:
                    del alarms[n]
                return self.cbor(200)
        self.cbor(400, encode_error("InvalidAction", op.name))


def encode_error(code, message):
    out = bytearray()
    RpcV2CBORSerializer()._serialize_data_item(out, {"__type": "com.amazonaws.cloudwatch#" + code,
                                                     "message": message}, ERROR_SHAPE)
    return bytes(out)


class _ErrorShape:
    """botocore's serializer walks shapes; an error body is a plain map of strings."""
    type_name = "map"

    class key:
        type_name = "string"

    value = key


ERROR_SHAPE = _ErrorShape()


def main():
    loopback.serve(Handler, sys.argv[1])


if __name__ == "__main__":
    main()
