"""The boto3 side of percall_bench.sh: BENCH_OP called BENCH_CALLS times
in one process after one warm-up call; prints the loop's wall and CPU
seconds as JSON (the same shape as percall_loop.lua)."""
import json
import os
import time

import boto3

calls = int(os.environ.get("BENCH_CALLS", "1000"))
op = os.environ.get("BENCH_OP", "ecs")
ops = {
    "ecs": lambda c: c.describe_services(cluster="bench", services=["bench"]),
    "ec2": lambda c: c.describe_subnets(),
    "sts": lambda c: c.get_caller_identity(),
}
client = boto3.client(op)
call = ops[op]
call(client)
wall0, cpu0 = time.perf_counter(), time.process_time()
for _ in range(calls):
    call(client)
print(json.dumps({"op": op, "calls": calls, "wall_s": time.perf_counter() - wall0,
                  "cpu_s": time.process_time() - cpu0}))
