#!/usr/bin/env python3
"""The critical path of the recipe's deploy, update (new image) and destroy
on the timing model: the longest chain of AWS work and waits that AWS's
ordering rules allow (plan.py), its length in AWS seconds and at a scale.
No deployment can be faster than this; issue 18's goals are ratios to it.

    python3 tests/sim/critical_path.py [--scale X] [--phase deploy|update|destroy]
                                       [--build SECONDS] [--json] [--table]

--build adds the image build and push (local work, not AWS's) to deploy and
update; --table prints the timing table with its sources instead.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import plan     # noqa: E402
import timing   # noqa: E402

PHASES = ("deploy", "update", "destroy")


def critical_path(nodes):
    """(length, [(node, start, end)] along the longest chain). Each node
    begins when the last thing it needs ends."""
    end, via = {}, {}

    def finish(name):
        if name not in end:
            node = nodes[name]
            start, before = 0.0, None
            for dep, _why in node.needs:
                if finish(dep) > start:
                    start, before = end[dep], dep
            end[name], via[name] = start + node.seconds, before
        return end[name]
    last = max(reversed(list(nodes)), key=finish)     # on a tie, the later node: the wait's end
    path, name = [], last
    while name is not None:
        path.append((nodes[name], end[name] - nodes[name].seconds, end[name]))
        name = via[name]
    return end[last], list(reversed(path))


def report(phase, scale, build, settings):
    nodes = plan.recipe_plan(phase, settings, build)
    length, path = critical_path(nodes)
    return {
        "phase": phase, "aws_seconds": round(length, 3), "scale": scale,
        "scaled_seconds": round(length * scale, 3),
        "path": [{"node": n.name, "start": round(a, 3), "end": round(b, 3), "what": n.what,
                  "needs": [{"node": d, "why": w} for d, w in n.needs]} for n, a, b in path],
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=float(os.environ.get("SIM_SCALE", "1.0")))
    p.add_argument("--phase", choices=PHASES, action="append")
    p.add_argument("--build", type=float, default=0.0, help="seconds of local image build and push")
    p.add_argument("--json", action="store_true")
    p.add_argument("--table", action="store_true")
    args = p.parse_args()
    if not args.scale > 0:
        p.error("--scale must be > 0")
    if args.table:
        print(timing.markdown())
        return 0
    settings = plan.recipe_settings()
    reports = [report(ph, args.scale, args.build, settings) for ph in args.phase or PHASES]
    if args.json:
        print(json.dumps({"settings": {k: {"value": v, "from": f} for k, (v, f) in settings.items()},
                          "phases": reports}, indent=1))
        return 0
    print("recipe settings: " + "; ".join("%s %s (%s)" % (k, "-" if v is None else "%g" % v, f)
                                          for k, (v, f) in settings.items()))
    for r in reports:
        print("\n%s: critical path %.1f s of AWS time (x %g = %.2f s)"
              % (r["phase"], r["aws_seconds"], r["scale"], r["scaled_seconds"]))
        for step in r["path"]:
            print("  %8.2f  %8.2f  %-24s %s" % (step["start"], step["end"], step["node"], step["what"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
