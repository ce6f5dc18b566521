"""bench-helper: the boto3 side of protocols_bench.sh (the same shape as
protocols_loop.lua)."""
import json
import os
import time

import boto3

op = os.environ["BENCH_OP"]
if op == "stream":
    s3 = boto3.client("s3")
    path, bucket = os.environ["BENCH_FILE"], os.environ["BENCH_BUCKET"]
    s3.create_bucket(Bucket=bucket)
    t0, c0 = time.perf_counter(), time.process_time()
    s3.upload_file(path, bucket, "big")
    t1 = time.perf_counter()
    s3.download_file(bucket, "big", path + ".back")
    t2 = time.perf_counter()
    print(json.dumps({"upload_s": t1 - t0, "download_s": t2 - t1, "cpu_s": time.process_time() - c0}))
else:
    calls = int(os.environ.get("BENCH_CALLS", "200"))
    ops = {
        "s3": ("s3", lambda c: c.list_objects_v2(Bucket="bench")),
        "route53": ("route53", lambda c: c.list_resource_record_sets(HostedZoneId="Z1BENCH")),
    }
    service, call = ops[op]
    client = boto3.client(service)
    call(client)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call(client)
    print(json.dumps({"op": op, "calls": calls, "wall_s": time.perf_counter() - wall0,
                      "cpu_s": time.process_time() - cpu0}))
