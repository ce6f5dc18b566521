"""bench-helper: build/bench/summary.md and summary.json from the JSON the
benchmarks wrote (recipe, percall, cold, startup, docker_context,
jmespath, waiter, and any other *.json, shown by its numbers).

    python3 tests/bench/summarize.py build/bench
"""
import datetime
import json
import os
import platform
import subprocess
import sys

KNOWN = {"recipe.json", "timing.json", "percall.json", "cold.json", "startup.json", "docker_context.json",
         "jmespath.json", "waiter.json", "repl.json", "protocols.json", "plan.json", "summary.json"}


def load(d, name):
    try:
        with open(os.path.join(d, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip() or "?"
        except (OSError, subprocess.SubprocessError):
            return "?"
    return {
        "nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": os.getloadavg()[0],
        "aws_cli": version([os.environ.get("AWS_CLI", "aws"), "--version"]).split(" ")[0],
        "boto3": version([sys.executable, "-c", "import boto3; print(boto3.__version__)"]),
        "python": platform.python_version(),
    }


def ms(s):
    return f"{s * 1000:.1f} ms"


def sec(s):
    return f"{s:.2f} s" if s >= 1 else f"{s * 1000:.0f} ms"


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def yes(ok):
    return "met" if ok else "**missed**"


def rows_recipe(r):
    if not r:
        return [("Recipe AWS work (not run)", "", "", "", "", "", "")]
    f, c, b = r["fgrun"], r["cli"], r["boto3"]
    vs_cli, vs_boto = c["wall_s"] / f["wall_s"], b["wall_s"] / f["wall_s"]
    return [
        (f"Recipe AWS work against moto, wall (deploy + destroy; median of {f['runs']})",
         sec(f["wall_s"]), sec(c["wall_s"]), sec(b["wall_s"]),
         f"{vs_cli:.0f}× CLI, {vs_boto:.1f}× boto3", "≥ 20× CLI, ≥ 2× boto3",
         yes(vs_cli >= 20 and vs_boto >= 2)),
        ("Recipe: client CPU (user + sys)", sec(f["cpu_s"]), sec(c["cpu_s"]), sec(b["cpu_s"]),
         f"{c['cpu_s'] / f['cpu_s']:.0f}× CLI, {b['cpu_s'] / f['cpu_s']:.1f}× boto3", "", ""),
        ("Recipe: moto's CPU meanwhile (server time inside the wall time)",
         sec(f.get("server_cpu_s", 0)), sec(c.get("server_cpu_s", 0)), sec(b.get("server_cpu_s", 0)),
         "", "", ""),
        ("Recipe: peak memory (largest process)", mib(f["max_rss_kib"]), mib(c["max_rss_kib"]),
         mib(b["max_rss_kib"]), f"{b['max_rss_kib'] / f['max_rss_kib']:.1f}× less than boto3",
         "< 20 MiB", yes(f["max_rss_kib"] < 20 * 1024)),
        ("Recipe: AWS calls made (moto's log)", str(f["calls"]), str(c["calls"]), str(b["calls"]),
         "", "", ""),
        ("Recipe: client CPU per AWS call (whole run / calls)",
         ms(f["cpu_s"] / f["calls"]), ms(c["cpu_s"] / c["calls"]), ms(b["cpu_s"] / b["calls"]),
         "", "< 0.5 ms (issue 3)", yes(f["cpu_s"] / f["calls"] < 0.0005)),
    ] + ([("Recipe: instructions, deploy + destroy (callgrind)",
           f"{f['instructions']['deploy'] / 1e6:.0f} M + {f['instructions']['destroy'] / 1e6:.0f} M",
           "", "", "", "", "")] if "instructions" in f else [])


def rows_timing(t):
    """The timing model (timing_bench.sh): each phase's wall time beside the
    simulator's critical path; a tool whose phase ended before the rollout,
    failed or left resources says so."""
    if not t:
        return [("Timing model (not run)", "", "", "", "", "", "")]
    tools, model, scale = t["tools"], t["model"], t["scale"]

    def cell(tool, phase):
        w = tools[tool].get(phase)
        if w is None:
            return "failed before"
        notes = []
        if phase in ("deploy", "update") and not tools[tool]["settled_at_end"].get(phase):
            notes.append("not rolled out at its end")
        if phase == "destroy" and tools[tool]["failed"]:
            notes.append(f"failed, {tools[tool]['left']} left")
        elif phase == "destroy" and tools[tool]["left"]:
            notes.append(f"{tools[tool]['left']} left")
        return sec(w) + (" (" + ", ".join(notes) + ")" if notes else "")
    rows = []
    for phase in ("deploy", "update", "destroy"):
        f, path = tools["fgrun"][phase], model[phase]["seconds"]
        ratio = [f"{f / path:.2f}× critical path"] if f else []
        for other, name in (("cli", "CLI"), ("boto3", "boto3")):
            o = tools[other].get(phase)
            if f and o and (phase == "destroy" or tools[other]["settled_at_end"].get(phase)) \
                    and not (phase == "destroy" and tools[other]["failed"]):
                ratio.append(f"{o / f:.1f}× {name}")
        goal = "≤ 1.15× critical path" + ("; ≥ 2× CLI and boto3" if phase != "deploy" else "")
        met = f is not None and f <= 1.15 * path
        if phase != "deploy":
            for other in ("cli", "boto3"):
                o = tools[other].get(phase)
                comparable = o and (phase == "destroy" and not tools[other]["failed"]
                                    or phase == "update" and tools[other]["settled_at_end"].get(phase))
                met = met and bool(comparable) and o >= 2 * f
        rows.append((f"Timing model (scale {scale:g}): {phase}, wall; critical path {sec(path)}",
                     cell("fgrun", phase), cell("cli", phase), cell("boto3", phase),
                     ", ".join(ratio), goal, yes(met)))
    return rows


def rows_percall(p):
    if not p:
        return [("Per-call overhead (not run)", "", "", "", "", "", "")]
    out = []
    names = {"ecs": "ECS DescribeServices (JSON, 10 KB)", "ec2": "EC2 DescribeSubnets (XML, 50 subnets, 64 KB)"}
    for op in ("ecs", "ec2"):
        e = p.get(op)
        if not e:
            continue
        f, b = e["fgrun"], e["boto3"]
        ratio = b["cpu_us_per_call"] / f["cpu_us_per_call"]
        out.append((f"Per call, {names[op]}: client CPU", f"{f['cpu_us_per_call']:.0f} µs", "",
                    f"{b['cpu_us_per_call']:.0f} µs", f"{ratio:.1f}× less", "≥ 10× less than boto3",
                    yes(ratio >= 10)))
        out.append((f"Per call, {names[op]}: calls per second (one process, loopback)",
                    f"{f['calls_per_s']:.0f}", "", f"{b['calls_per_s']:.0f}",
                    f"{f['calls_per_s'] / b['calls_per_s']:.1f}×", "", ""))
        if "instructions_per_call" in f:
            out.append((f"Per call, {names[op]}: instructions (callgrind)",
                        f"{f['instructions_per_call'] / 1e6:.2f} M", "", "", "", "", ""))
    return out


def rows_cold(cold, startup):
    out = []
    if cold:
        g = cold.get
        e, aws_v, imp = g("fgrun -e ''"), g("aws --version"), g("python3 -c 'import boto3'")
        if e and aws_v and imp:
            out.append(("Start: `fgrun -e ''` / `aws --version` / `import boto3`", ms(e["wall_s"]),
                        ms(aws_v["wall_s"]), ms(imp["wall_s"]),
                        f"{aws_v['wall_s'] / e['wall_s']:.0f}× CLI, {imp['wall_s'] / e['wall_s']:.0f}× boto3",
                        "", ""))
        for op, cli_name, boto_name in (("STS", "aws sts get-caller-identity", "boto3: one STS call"),
                                        ("EC2", "aws ec2 describe-subnets", "boto3: one EC2 call")):
            f, c, b = g(f"fgrun: one {op} call"), g(cli_name), g(boto_name)
            if not (f and c and b):
                continue
            model = "small model" if op == "STS" else "largest model"
            out.append((f"Cold process, one {op} call ({model}): wall", ms(f["wall_s"]), ms(c["wall_s"]),
                        ms(b["wall_s"]), f"{c['wall_s'] / f['wall_s']:.0f}× CLI, {b['wall_s'] / f['wall_s']:.0f}× boto3",
                        "< 20 ms", yes(f["wall_s"] < 0.020)))
            out.append((f"Cold process, one {op} call: peak memory", mib(f["max_rss_kib"]),
                        mib(c["max_rss_kib"]), mib(b["max_rss_kib"]), "", "< 20 MiB",
                        yes(f["max_rss_kib"] < 20 * 1024)))
            if "instructions" in f:
                out.append((f"Cold process, one {op} call: instructions (callgrind)",
                            f"{f['instructions'] / 1e6:.1f} M", "", "", "", "", ""))
    if startup:
        out.append((f"`fgrun -e ''` start (startup.sh, median of {startup.get('runs', '?')})",
                    f"{startup['fgrun_start_ms']:.1f} ms", "", "",
                    f"lua5.4: {startup['lua_start_ms']:.1f} ms", "", ""))
    return out


def rows_docker(d):
    if not d:
        return []
    size = f"{d['context_bytes'] / 1048576:.0f} MiB, {d['context_files']} files"
    return [
        (f"Docker build context stream ({size}): speed", f"{d['fgrun_mib_per_s']:.0f} MiB/s", "", "",
         f"{d['speed_vs_tar']:.2f}× `tar -cf - . | cat`", "≥ 0.5× tar", yes(d["speed_vs_tar"] >= 0.5)),
        ("Docker build context stream: peak memory", mib(d["peak_rss_kib"]), "", "", "", "< 30 MiB",
         yes(d["peak_rss_kib"] < 30 * 1024)),
        ("Docker push progress, per message", f"{d['push_progress_us_per_message']:.2f} µs", "", "", "", "", ""),
    ]


def rows_jmespath(j):
    if not j:
        return []
    out = []
    for case in j.get("cases", []):
        if case.get("kind") != "aws":
            continue
        out.append((f"JMESPath `{case['expression']}` on {case['name']}",
                    f"{case['search_us']:.1f} µs", "", "", f"compile {case['compile_us']:.1f} µs", "", ""))
    others = [c for c in j.get("cases", []) if c.get("kind") != "aws"]
    if others:
        total = sum(c["search_us"] for c in others)
        out.append((f"JMESPath: the {len(others)} cases of the compliance benchmarks, mean per evaluation",
                    f"{total / len(others):.1f} µs", "", "", "", "", ""))
    return out


def rows_waiter(w):
    if not w:
        return []
    out = [(f"Waiter poll evaluation: {p['name']}", f"{p['us']:.0f} µs", "", "", "", "", "")
           for p in w.get("polls", [])[:2]]
    if "return_after_condition_s" in w:
        ok = w["return_after_condition_s"] <= w.get("delay_s", 0) * 2
        out.append(("Wait: return after the condition holds", sec(w["return_after_condition_s"]), "", "",
                    f"delay {sec(w.get('delay_s', 0))}", "≤ delay + one poll", yes(ok)))
    return out


def rows_repl(r):
    if not r:
        return []
    return [
        (f"REPL: start to the first prompt (pty, median of {r.get('runs', '?')})",
         f"{r['first_prompt_ms']:.1f} ms", "", "", "", "< 20 ms", yes(r["first_prompt_ms"] < 20)),
        ("REPL: Tab completion, first use of each of the 9 models (median / worst)",
         f"{r['completion_cold_median_ms']:.2f} / {r['completion_cold_max_ms']:.2f} ms", "", "", "",
         "< 10 ms", yes(r["completion_cold_max_ms"] < 10)),
        ("REPL: Tab completion, models loaded (median / worst)",
         f"{r['completion_warm_median_ms']:.3f} / {r['completion_warm_max_ms']:.3f} ms", "", "", "",
         "< 10 ms", yes(r["completion_warm_max_ms"] < 10)),
    ]


def rows_other(d):
    out = []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json") or name in KNOWN:
            continue
        data = load(d, name)
        if not isinstance(data, dict):
            continue
        for k, v in data.items():
            if isinstance(v, bool):
                out.append((f"{name[:-5]}: {k}", "", "", "", "", "", yes(v)))
            elif isinstance(v, (int, float)):
                out.append((f"{name[:-5]}: {k}", f"{v:.4g}", "", "", "", "", ""))
    return out


def rows_plan(p):
    """plan_bench.sh: the plan of an unchanged deployment beside deploys."""
    if not p:
        return []
    names = [("deploy_fresh", "deploy (fresh)"), ("deploy_unchanged", "deploy (unchanged: a re-run)"),
             ("plan_unchanged", "--plan (unchanged: no changes)"), ("destroy", "--destroy")]
    return [(f"Fargate recipe against moto, {label}: wall / client CPU / AWS calls (median of {p[k]['runs']})",
             f"{sec(p[k]['wall_s'])} / {sec(p[k]['cpu_s'])} / {p[k]['calls']}", "", "", "", "", "")
            for k, label in names if k in p]


def rows_protocols(p):
    """protocols_bench.sh: rest-xml per-call CPU, S3 streaming, start."""
    if not p:
        return []
    out = []
    names = {"s3": "S3 ListObjectsV2 (rest-xml, 1000 keys)",
             "route53": "Route 53 ListResourceRecordSets (rest-xml, 100 records)"}
    for op, entry in p.get("percall", {}).items():
        ratio = entry["cpu_ratio_boto3_over_fgrun"]
        out.append((f"Per call, {names.get(op, op)}: client CPU",
                    f"{entry['fgrun']['cpu_us_per_call']:.0f} µs", "",
                    f"{entry['boto3']['cpu_us_per_call']:.0f} µs", f"{ratio:.1f}× less",
                    "≥ 5× less than boto3", "met" if ratio >= 5 else "**missed**"))
    st = p.get("stream")
    if st:
        for way in ("upload", "download"):
            out.append((f"S3 {way} of {st['mib']} MiB against moto (streamed file)",
                        f"{st['fgrun'][way + '_mib_s']:.0f} MiB/s", "",
                        f"{st['boto3'][way + '_mib_s']:.0f} MiB/s", "", "", ""))
        out.append(("S3 streaming: peak memory (upload and download)",
                    f"{st['fgrun']['peak_rss_kib'] / 1024:.1f} MiB", "",
                    f"{st['boto3']['peak_rss_kib'] / 1024:.1f} MiB", "", "", ""))
    su = p.get("startup", {})
    if "now" in su:
        base = su.get("baseline")
        out.append(("`fgrun -e ''` start / peak memory (protocols_bench.sh)",
                    f"{su['now']['start_ms']:.2f} ms / {su['now']['peak_rss_kib'] / 1024:.1f} MiB", "", "",
                    f"before: {base['start_ms']:.2f} ms / {base['peak_rss_kib'] / 1024:.1f} MiB" if base else "",
                    "no growth", ""))
    return out


def main():
    d = sys.argv[1]
    m = machine()
    rows = (rows_recipe(load(d, "recipe.json")) + rows_timing(load(d, "timing.json"))
            + rows_percall(load(d, "percall.json"))
            + rows_cold(load(d, "cold.json"), load(d, "startup.json"))
            + rows_docker(load(d, "docker_context.json")) + rows_jmespath(load(d, "jmespath.json"))
            + rows_waiter(load(d, "waiter.json")) + rows_repl(load(d, "repl.json"))
            + rows_protocols(load(d, "protocols.json")) + rows_plan(load(d, "plan.json")) + rows_other(d))
    failed = [n for n in os.environ.get("BENCH_FAILED", "").split() if n]
    lines = [
        "| what | fgrun | AWS CLI | boto3 | ratio | target | met? |",
        "|---|---|---|---|---|---|---|",
    ] + ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows]
    lines.append("")
    lines.append(f"Machine: {m['nproc']} cores, {m['cpu']}, Linux {m['kernel']}, {m['date']} "
                 f"(load average {os.environ.get('BENCH_LOAD_START', '?')} at the start, "
                 f"{m['load_average']:.1f} at the end); {m['aws_cli']}, "
                 f"boto3 {m['boto3']}, Python {m['python']}.")
    if failed:
        lines.append("")
        lines.append("Benchmarks that failed this run: " + ", ".join(failed) + ".")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(d, "summary.md"), "w") as f:
        f.write(text)
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump({"machine": m, "failed": failed,
                   "rows": [dict(zip(("what", "fgrun", "cli", "boto3", "ratio", "target", "met"), r))
                            for r in rows]}, f, indent=2)
    print(text)


if __name__ == "__main__":
    main()
