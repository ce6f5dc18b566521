"""bench-helper: the measuring of cold_bench.sh. Single-call processes,
cold (a new process each time), against the canned-answer server: fgrun
with no work, one STS call (a small model) and one EC2 call (the largest
model); beside `aws --version`, one CLI call, `import boto3` and boto3's
first call. Interleaved, medians of wall and CPU, the largest RSS; for
fgrun also callgrind's instruction count (steady on a noisy machine).

    python3 cold_rounds.py FGRUN OUT_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canned  # noqa: E402
import measure  # noqa: E402

FG_RUNS = int(os.environ.get("COLD_RUNS", "30"))
PY_RUNS = int(os.environ.get("COLD_PY_RUNS", "7"))


def main():
    fgrun, out_dir = sys.argv[1], sys.argv[2]
    aws_cli = os.environ.get("AWS_CLI", "aws")
    py = sys.executable
    cases = [
        ("fgrun -e ''", "fgrun", [fgrun, "-e", ""], FG_RUNS),
        ("fgrun: one STS call", "fgrun", [fgrun, "-e", "require('aws').sts.get_caller_identity{}"], FG_RUNS),
        ("fgrun: one EC2 call", "fgrun", [fgrun, "-e", "require('aws').ec2.describe_subnets{}"], FG_RUNS),
        ("aws --version", "cli", [aws_cli, "--version"], PY_RUNS),
        ("aws sts get-caller-identity", "cli", [aws_cli, "sts", "get-caller-identity"], PY_RUNS),
        ("aws ec2 describe-subnets", "cli", [aws_cli, "ec2", "describe-subnets"], PY_RUNS),
        ("python3 -c 'import boto3'", "boto3", [py, "-c", "import boto3"], PY_RUNS),
        ("boto3: one STS call", "boto3",
         [py, "-c", "import boto3; boto3.client('sts').get_caller_identity()"], PY_RUNS),
        ("boto3: one EC2 call", "boto3",
         [py, "-c", "import boto3; boto3.client('ec2').describe_subnets()"], PY_RUNS),
    ]
    tmp = tempfile.mkdtemp(prefix="fgrun-cold-bench.")
    samples = {name: [] for name, *_ in cases}
    result = {}
    try:
        with canned.server(tmp) as srv:
            env = canned.client_env(srv.url)
            for i in range(max(FG_RUNS, PY_RUNS) + 1):
                for name, _, cmd, runs in cases:
                    if i > runs:
                        continue
                    s = measure.run(cmd, env=env, stdout=subprocess.DEVNULL)
                    if s["rc"] != 0:
                        sys.exit(f"cold bench: {name} failed (exit {s['rc']})")
                    if i > 0:  # the first round warms the page cache
                        samples[name].append(s)
            for name, tool, cmd, _ in cases:
                entry = dict(measure.summarize(samples[name]), tool=tool)
                if tool == "fgrun" and shutil.which("valgrind"):
                    cg = os.path.join(tmp, "cg.out")
                    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}"] + cmd,
                                   env=env, check=True, capture_output=True)
                    with open(cg) as f:
                        entry["instructions"] = next(int(l.split()[1]) for l in f
                                                     if l.startswith(("totals:", "summary:")))
                result[name] = entry
                print(f"  {name:30} {entry['wall_s'] * 1000:8.1f} ms wall {entry['cpu_s'] * 1000:8.1f} ms cpu "
                      f"{entry['max_rss_kib'] / 1024:6.1f} MiB"
                      + (f" {entry['instructions'] / 1e6:.1f} M instr" if "instructions" in entry else ""),
                      flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(out_dir, "cold.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
