"""bench-helper: the rounds of recipe_bench.sh. Runs the recipe's AWS work
three ways against the moto at AWS_ENDPOINT_URL, interleaved, one warm-up
round (moto loads its backends on first use) and RUNS measured rounds,
the order rotating each round; counts the calls each made in moto's log.

    python3 recipe_rounds.py FGRUN MOTO_LOG MOTO_PID RUNS OUT_JSON

Each sample also holds moto's CPU during it (server_cpu_s): the part of the
wall time that is the server's, not the client's.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def requests_logged(log):
    with open(log, errors="replace") as f:
        return sum(1 for line in f if " HTTP/1.1\" " in line)


def cpu_of(pid):
    """User+sys seconds of a process so far (0 when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def run_fgrun(fgrun, state):
    base = [fgrun, "--state-dir", state, "--env", "local",
            "-D", "image=public.ecr.aws/nginx/nginx:latest", "-D", "desired_count=3"]
    recipe = os.path.join(ROOT, "recipes", "fargate_alb.lua")
    deploy = measure.run(base + [recipe], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    destroy = measure.run(base + ["--destroy", recipe], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    return {
        "wall_s": deploy["wall_s"] + destroy["wall_s"],
        "cpu_s": deploy["cpu_s"] + destroy["cpu_s"],
        "user_s": deploy["user_s"] + destroy["user_s"],
        "sys_s": deploy["sys_s"] + destroy["sys_s"],
        "max_rss_kib": max(deploy["max_rss_kib"], destroy["max_rss_kib"]),
        "rc": deploy["rc"] or destroy["rc"],
        "deploy_wall_s": deploy["wall_s"],
        "destroy_wall_s": destroy["wall_s"],
    }


def callgrind_profile(fgrun, state, out_dir):
    """One deploy and destroy under callgrind: instructions of each, and the
    top functions (inclusive, fgrun's own and the loader's) in
    recipe_profile.txt. None without valgrind."""
    if not shutil.which("valgrind"):
        return None
    base = [fgrun, "--state-dir", state, "--env", "local",
            "-D", "image=public.ecr.aws/nginx/nginx:latest", "-D", "desired_count=3"]
    recipe = os.path.join(ROOT, "recipes", "fargate_alb.lua")
    result = {}
    with open(os.path.join(out_dir, "recipe_profile.txt"), "w") as report:
        for name, extra in (("deploy", []), ("destroy", ["--destroy"])):
            cg = os.path.join(out_dir, f"callgrind.recipe_{name}.out")
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}"] + base + extra
                           + [recipe], check=True, capture_output=True)
            out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", cg],
                                 capture_output=True, text=True).stdout
            rows = [l for l in out.splitlines() if l.strip()[:1].isdigit() and "'2" not in l]
            result[name] = int(rows[0].split()[0].replace(",", ""))
            mine = [l for l in rows if "fgrun]" in l or "dlopen@" in l or "luaL_loadbufferx" in l]
            report.write(f"-- {name}: fgrun's functions and the loader, inclusive --\n")
            report.write("\n".join(mine[:30]) + "\n\n")
    return result


def main():
    fgrun, log, moto_pid = sys.argv[1], sys.argv[2], sys.argv[3]
    runs, out_path = int(sys.argv[4]), sys.argv[5]
    state = tempfile.mkdtemp(prefix="fgrun-bench-state.")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    tools = {
        "fgrun": lambda: run_fgrun(fgrun, state),
        "cli": lambda: measure.run(["bash", os.path.join(HERE, "recipe_cli.sh")], **quiet),
        "boto3": lambda: measure.run([sys.executable, os.path.join(HERE, "recipe_boto3.py")], **quiet),
    }
    order = list(tools)
    samples = {name: [] for name in tools}
    calls = {}
    for rnd in range(runs + 1):
        for name in order:
            before, moto_before = requests_logged(log), cpu_of(moto_pid)
            s = tools[name]()
            s["server_cpu_s"] = cpu_of(moto_pid) - moto_before
            if s["rc"] != 0:
                sys.exit(f"recipe bench: {name} failed (exit {s['rc']}) in round {rnd}")
            calls[name] = requests_logged(log) - before
            if rnd > 0:
                samples[name].append(s)
            print(f"  round {rnd}{' (warm-up)' if rnd == 0 else ''}: {name:5} "
                  f"{s['wall_s']:7.3f} s wall {s['cpu_s']:7.3f} s cpu "
                  f"{s['max_rss_kib'] / 1024:6.1f} MiB {calls[name]} calls, "
                  f"moto {s['server_cpu_s']:.2f} s cpu", flush=True)
        order = order[1:] + order[:1]
    result = {name: dict(measure.summarize(samples[name]), calls=calls[name],
                         server_cpu_s=measure.median_of(samples[name], "server_cpu_s"))
              for name in tools}
    instructions = callgrind_profile(fgrun, state, os.path.dirname(os.path.abspath(out_path)))
    if instructions:
        result["fgrun"]["instructions"] = instructions
    shutil.rmtree(state, ignore_errors=True)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
