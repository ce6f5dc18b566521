"""bench-helper: the rounds of timing_bench.sh. Each tool deploys the
recipe, updates it to a new image and destroys it through the simulator at
AWS_ENDPOINT_URL; wall time of each phase, what moto still holds after the
destroy, and the simulator's critical path of the same AWS work.

    python3 timing_rounds.py FGRUN MOTO_URL SCALE RUNS OUT_JSON

None of the three builds an image here (fgrun gets -D image=, the CLI and
boto3 scripts have no Docker steps), so the critical path is the plan's
(tests/sim/plan.py) without the image build, push and scan.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "sim"))
import critical_path  # noqa: E402
import measure  # noqa: E402
import plan  # noqa: E402

IMAGE = "public.ecr.aws/nginx/nginx:latest"
IMAGE2 = "public.ecr.aws/nginx/nginx:stable"
PHASES = ("deploy", "update", "destroy")
RECIPE = os.path.join(ROOT, "recipes", "fargate_alb.lua")


def model_paths(scale):
    """{phase: (scaled seconds, [node names])} of the AWS work alone."""
    out = {}
    for phase in PHASES:
        nodes = plan.recipe_plan(phase)
        for gone in ("image", "image_scan"):
            nodes.pop(gone, None)
        for n in nodes.values():
            n.needs = [(d, why) for d, why in n.needs if d in nodes]
        length, path = critical_path.critical_path(nodes)
        out[phase] = (length * scale, [n.name for n, _, _ in path])
    return out


def settled(suffix, image):
    """Was the service running `image`, its rollout COMPLETED, when the tool
    ended the phase? (Asked through the simulator, which knows.)"""
    import boto3
    ecs = boto3.client("ecs", region_name="us-east-1")
    try:
        svc = ecs.describe_services(cluster="fargate-cluster-" + suffix,
                                    services=["fargate-service-" + suffix])["services"][0]
        primary = [d for d in svc["deployments"] if d["status"] == "PRIMARY"][0]
        td = ecs.describe_task_definition(taskDefinition=primary["taskDefinition"])["taskDefinition"]
        return (primary.get("rolloutState") == "COMPLETED" and primary["runningCount"] == primary["desiredCount"]
                and td["containerDefinitions"][0]["image"] == image)
    except Exception:
        return False


def leftovers(fgrun, moto, suffix):
    env = dict(os.environ, AWS_ENDPOINT_URL=moto)
    out = subprocess.run([fgrun, os.path.join(ROOT, "tests", "lib", "fargate_leftovers.lua"), suffix],
                         env=env, capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    return int(lines[-1].split()[-1]) if lines and lines[-1].startswith("total ") else -1, lines[:-1]


def last_json(text):
    """The summary fgrun prints with --json (the recipe's checks print on stdout too)."""
    at = text.rfind("\n{\n")
    try:
        return json.loads(text[at + 1:] if at >= 0 else text)
    except ValueError:
        return None


def run_fgrun(fgrun, work, scale):
    base = [fgrun, "--state-dir", work, "--env", "local", "--json"]
    env = dict(os.environ, FGRUN_WAIT_SCALE=str(scale))   # its pauses scaled, as the others' sleeps
    times, paths, done = {}, {}, {}
    for phase, extra in (("deploy", ["-D", "image=" + IMAGE]), ("update", ["-D", "image=" + IMAGE2]),
                         ("destroy", ["--destroy"])):
        out = os.path.join(work, phase + ".out")
        with open(out, "w") as f:
            r = measure.run(base + extra + [RECIPE], env=env, stdout=f, stderr=subprocess.DEVNULL)
        times[phase] = r
        summary = last_json(open(out).read()) or {}
        paths[phase] = summary.get("critical_path", [])
        if phase == "deploy":
            with open(os.path.join(work, "fargate-alb.local.json")) as j:
                suffix = json.load(j)["values"]["suffix"]
        if phase != "destroy":
            done[phase] = settled(suffix, IMAGE if phase == "deploy" else IMAGE2)
        if r["rc"] != 0:
            break
    return times, suffix, paths, done


def run_script(cmd, env, work, suffix_of):
    times, done, suffix = {}, {}, "none"
    for phase in PHASES:
        with open(os.path.join(work, phase + ".out"), "w") as f:
            times[phase] = measure.run(cmd + [phase], env=env, stdout=f, stderr=subprocess.STDOUT)
        try:
            suffix = suffix_of()
        except (OSError, ValueError, IndexError):
            pass
        if phase != "destroy":
            # the scripts run :latest of the repository; the update's image is its own
            done[phase] = settled(suffix, env.get("CLI_IMAGE", env.get("BOTO_IMAGE")) if phase == "update"
                                  else "%s.dkr.ecr.us-east-1.amazonaws.com/fargate-demo-%s:latest" % (
                                      "123456789012", suffix))
        if times[phase]["rc"] != 0:
            break   # a failed phase: the next would act on what is not there
    return times, suffix, done


def warm_up():
    """One call to each service: moto builds a backend on its first use."""
    import boto3
    session = boto3.Session(region_name="us-east-1")
    for service, op, params in (("sts", "get_caller_identity", {}), ("secretsmanager", "list_secrets", {}),
                                ("ec2", "describe_vpcs", {}), ("ec2", "describe_security_groups", {}),
                                ("elbv2", "describe_load_balancers", {}), ("ecs", "list_clusters", {}),
                                ("iam", "list_roles", {}), ("logs", "describe_log_groups", {}),
                                ("ecr", "describe_repositories", {}),
                                ("application-autoscaling", "describe_scalable_targets", {"ServiceNamespace": "ecs"})):
        getattr(session.client(service), op)(**params)


def main():
    fgrun, moto, scale, runs, out_path = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    model = model_paths(scale)
    warm_up()
    rounds = []
    for rnd in range(runs):
        result = {}
        for tool in ("fgrun", "cli", "boto3"):
            work = tempfile.mkdtemp(prefix="fgrun-timing-%s." % tool)
            result.setdefault("work", {})[tool] = work
            print("  round %d: %s ..." % (rnd + 1, tool), flush=True)
            if tool == "fgrun":
                times, suffix, paths, done = run_fgrun(fgrun, work, scale)
            elif tool == "cli":
                state = os.path.join(work, "state")
                env = dict(os.environ, CLI_STATE=state, CLI_SLEEP_SCALE=str(scale), CLI_IMAGE=IMAGE2)
                times, suffix, done = run_script(["bash", os.path.join(HERE, "recipe_cli.sh")], env, work,
                                           lambda: (open(state).read().split("RANDOM_SUFFIX=\"")[1].split("\"")[0]
                                                    if os.path.exists(state) else "none"))
                paths = {}
            else:
                state = os.path.join(work, "state.json")
                env = dict(os.environ, BOTO_STATE=state, WAITER_SCALE=str(scale), BOTO_IMAGE=IMAGE2)
                times, suffix, done = run_script([sys.executable, os.path.join(HERE, "recipe_boto3.py")], env, work,
                                           lambda: (json.load(open(state))["suffix"] if os.path.exists(state)
                                                    else "none"))
                paths = {}
            left, what = leftovers(fgrun, moto, suffix)
            failed = {p: t["rc"] for p, t in times.items() if t["rc"] != 0}
            tail = ""
            if failed:
                bad = [p for p in PHASES if p in failed][0]
                tail = "".join(open(os.path.join(work, bad + ".out"), errors="replace").readlines()[-3:]).strip()
            result[tool] = {
                "wall_s": {p: t["wall_s"] for p, t in times.items()},
                "cpu_s": {p: t["cpu_s"] for p, t in times.items()},
                "failed": failed, "error": tail, "left": left, "left_what": what, "critical_path": paths,
                "settled_at_end": done,
            }
            print("  round %d: %-5s %s; %d left%s" % (
                rnd + 1, tool, ", ".join("%s %.1f s%s" % (p, times[p]["wall_s"], "" if done.get(p, True)
                                                          else " (not rolled out at its end)") for p in times),
                left, (" (failed: %s)" % failed) if failed else ""), flush=True)
        rounds.append(result)
    summary = {"scale": scale, "model": {p: {"seconds": round(s, 3), "path": path} for p, (s, path) in model.items()},
               "rounds": rounds, "tools": {}}
    for tool in ("fgrun", "cli", "boto3"):
        summary["tools"][tool] = {p: statistics.median(r[tool]["wall_s"][p] for r in rounds
                                                     if p in r[tool]["wall_s"]) if any(
            p in r[tool]["wall_s"] for r in rounds) else None for p in PHASES}
        summary["tools"][tool]["failed"] = any(r[tool]["failed"] for r in rounds)
        summary["tools"][tool]["settled_at_end"] = {p: all(r[tool]["settled_at_end"].get(p, False) for r in rounds)
                                                    for p in ("deploy", "update")}
        summary["tools"][tool]["left"] = max(r[tool]["left"] for r in rounds)
    with open(out_path, "w") as f:
        json.dump(summary, f, indent=2)
    for p in PHASES:
        print("  %-7s model %.1f s; fgrun %s, cli %s, boto3 %s" % (p, model[p][0], *[
            "%.1f s" % summary["tools"][t][p] if summary["tools"][t][p] is not None else "-"
            for t in ("fgrun", "cli", "boto3")]))


if __name__ == "__main__":
    main()
