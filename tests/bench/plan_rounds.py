"""bench-helper: the rounds of plan_bench.sh. Against the moto at
AWS_ENDPOINT_URL (its log counts the calls), one warm-up round and RUNS
measured rounds of: deploy (fresh), two deploys not measured (spot on
and off: moto then holds every field of the service), deploy
(unchanged), --plan (unchanged: must exit 0), --destroy.

    python3 plan_rounds.py FGRUN MOTO_LOG RUNS OUT_JSON
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECIPE = os.path.join(ROOT, "recipes", "fargate_alb.lua")


def requests_logged(log):
    with open(log, errors="replace") as f:
        return sum(1 for line in f if " HTTP/1.1\" " in line)


def main():
    fgrun, log, runs, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    state = tempfile.mkdtemp(prefix="fgrun-plan-bench.")
    base = [fgrun, "--state-dir", state, "--env", "local",
            "-D", "image=public.ecr.aws/nginx/nginx:latest", "-D", "desired_count=3"]
    kinds = {
        "deploy_fresh": (base + [RECIPE], 0),
        "settle_spot": (base + ["-D", "spot=true", RECIPE], 0),
        "settle_back": (base + [RECIPE], 0),
        "deploy_unchanged": (base + [RECIPE], 0),
        "plan_unchanged": (base + ["--plan", RECIPE], 0),
        "destroy": (base + ["--destroy", RECIPE], 0),
    }
    samples = {k: [] for k in kinds}
    calls = {}
    for rnd in range(runs + 1):
        for kind, (cmd, want) in kinds.items():
            before = requests_logged(log)
            s = measure.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if s["rc"] != want:
                sys.exit(f"plan bench: {kind} exited {s['rc']} (want {want}) in round {rnd}")
            calls[kind] = requests_logged(log) - before
            if rnd > 0 and not kind.startswith("settle"):
                samples[kind].append(s)
            print(f"  round {rnd}{' (warm-up)' if rnd == 0 else ''}: {kind:16} {s['wall_s']:7.3f} s wall "
                  f"{s['cpu_s']:6.3f} s cpu {calls[kind]:4} calls", flush=True)
    shutil.rmtree(state, ignore_errors=True)
    result = {k: dict(measure.summarize(v), calls=calls[k]) for k, v in samples.items() if v}
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
