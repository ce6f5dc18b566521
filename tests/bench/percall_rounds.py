"""bench-helper: the measuring of percall_bench.sh. Per-call client cost
against the canned-answer server: ECS DescribeServices (JSON) and EC2
DescribeSubnets (XML, 50 subnets), fgrun (a Lua loop, percall_loop.lua) and
boto3 (a Python loop, percall_loop.py), REPEAT interleaved repetitions,
medians; callgrind instruction counts per call for fgrun (CG_CALLS calls
minus a 0-call baseline), with the top functions and a Lua-level profile
kept beside the JSON.

    python3 percall_rounds.py FGRUN OUT_DIR
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canned  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CALLS = int(os.environ.get("CALLS", "2000"))
BOTO_CALLS = int(os.environ.get("BOTO_CALLS", "500"))
CG_CALLS = int(os.environ.get("CG_CALLS", "20"))
REPEAT = int(os.environ.get("PERCALL_REPEAT", "3"))


def loop(cmd, env, op, calls):
    env = dict(env, BENCH_OP=op, BENCH_CALLS=str(calls))
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def callgrind_ir(fgrun, env, op, calls, out_file):
    env = dict(env, BENCH_OP=op, BENCH_CALLS=str(calls))
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                    fgrun, os.path.join(HERE, "percall_loop.lua")],
                   env=env, check=True, capture_output=True)
    with open(out_file) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError("no totals in " + out_file)


def annotate(cg_file, inclusive):
    out = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}",
                          "--threshold=99", cg_file], capture_output=True, text=True).stdout
    rows = [l for l in out.splitlines() if l.strip()[:1].isdigit()]
    return rows[:30]


def main():
    fgrun, out_dir = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="fgrun-percall-bench.")
    result = {}
    try:
        with canned.server(tmp) as srv:
            env = canned.client_env(srv.url)
            fg_cmd = [fgrun, os.path.join(HERE, "percall_loop.lua")]
            py_cmd = [sys.executable, os.path.join(HERE, "percall_loop.py")]
            for op in ("ecs", "ec2"):
                runs = {"fgrun": [], "boto3": []}
                server_cpu = {"fgrun": [], "boto3": []}
                for _ in range(REPEAT):
                    for name, cmd, calls in (("fgrun", fg_cmd, CALLS), ("boto3", py_cmd, BOTO_CALLS)):
                        before = srv.cpu_s()
                        r = loop(cmd, env, op, calls)
                        server_cpu[name].append((srv.cpu_s() - before) / (calls + 1))
                        runs[name].append(r)
                entry = {}
                for name, rs in runs.items():
                    entry[name] = {
                        "calls": rs[0]["calls"],
                        "cpu_us_per_call": statistics.median(r["cpu_s"] / r["calls"] * 1e6 for r in rs),
                        "calls_per_s": statistics.median(r["calls"] / r["wall_s"] for r in rs),
                        "server_cpu_us_per_call": statistics.median(server_cpu[name]) * 1e6,
                        "samples": rs,
                    }
                entry["cpu_ratio_boto3_over_fgrun"] = (entry["boto3"]["cpu_us_per_call"]
                                                       / entry["fgrun"]["cpu_us_per_call"])
                if not shutil.which("valgrind"):
                    print("  valgrind not found: no instruction counts", flush=True)
                    result[op] = entry
                    continue
                base = callgrind_ir(fgrun, env, op, 0, os.path.join(tmp, f"cg.{op}.0"))
                cg_file = os.path.join(out_dir, f"callgrind.{op}.out")
                loaded = callgrind_ir(fgrun, env, op, CG_CALLS, cg_file)
                entry["fgrun"]["instructions_per_call"] = (loaded - base) / CG_CALLS
                entry["fgrun"]["instructions_process_with_one_call"] = base
                with open(os.path.join(out_dir, f"percall_profile_{op}.txt"), "w") as f:
                    f.write(f"callgrind, {CG_CALLS} calls of {op} after one warm-up call "
                            f"(the whole process)\n\n-- exclusive --\n")
                    f.write("\n".join(annotate(cg_file, False)))
                    f.write("\n\n-- inclusive --\n")
                    f.write("\n".join(annotate(cg_file, True)))
                    f.write("\n\n-- Lua functions, by VM instructions in the loop --\n")
                    prof = subprocess.run(fg_cmd, env=dict(env, BENCH_OP=op, BENCH_CALLS=str(CALLS),
                                                           BENCH_PROFILE="1"),
                                          capture_output=True, text=True, check=True)
                    f.write(prof.stderr)
                result[op] = entry
                print(f"  {op}: fgrun {entry['fgrun']['cpu_us_per_call']:.0f} us cpu/call "
                      f"{entry['fgrun']['calls_per_s']:.0f} calls/s "
                      f"{entry['fgrun']['instructions_per_call'] / 1e6:.2f} M instr/call; "
                      f"boto3 {entry['boto3']['cpu_us_per_call']:.0f} us cpu/call "
                      f"{entry['boto3']['calls_per_s']:.0f} calls/s; "
                      f"ratio {entry['cpu_ratio_boto3_over_fgrun']:.1f}x; server "
                      f"{entry['fgrun']['server_cpu_us_per_call']:.0f} us/call", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(out_dir, "percall.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
