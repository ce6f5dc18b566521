"""bench-helper: run a command as a child and measure it alone.

run(cmd, **popen_args) -> dict(wall_s, cpu_s, user_s, sys_s, max_rss_kib, rc):
wall time of the child, its user+sys CPU and the largest resident set of it
and every descendant it waited for (wait4's rusage), so a shell script's
aws processes count and the measuring Python does not. The child is
started by spawn_measure.c: a child forked from Python would report
Python's own 15 MB as its peak RSS.
"""
import os
import statistics
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "build", "bench")


def build_tool(name):
    """build/bench/<name>, compiled from tests/bench/<name>.c when older."""
    os.makedirs(BUILD_DIR, exist_ok=True)
    exe = os.path.join(BUILD_DIR, name)
    src = os.path.join(HERE, name + ".c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                        "-Werror", "-O2", "-o", exe, src], check=True)
    return exe


def run(cmd, **popen_args):
    launcher = build_tool("spawn_measure")
    fd, report = tempfile.mkstemp(prefix="fgrun-bench-measure.")
    os.close(fd)
    try:
        rc = subprocess.run([launcher, report] + list(cmd), **popen_args).returncode
        with open(report) as f:
            fields = f.read().split()
    finally:
        os.unlink(report)
    if len(fields) != 5:
        return {"wall_s": 0.0, "cpu_s": 0.0, "user_s": 0.0, "sys_s": 0.0, "max_rss_kib": 0, "rc": rc or 2}
    wall, user, sys_, rss, code = fields
    return {
        "wall_s": float(wall),
        "cpu_s": float(user) + float(sys_),
        "user_s": float(user),
        "sys_s": float(sys_),
        "max_rss_kib": int(rss),
        "rc": int(code),
    }


def median_of(samples, key):
    return statistics.median(s[key] for s in samples)


def summarize(samples):
    """The median wall and CPU over samples, the largest RSS, and the samples."""
    return {
        "wall_s": median_of(samples, "wall_s"),
        "cpu_s": median_of(samples, "cpu_s"),
        "max_rss_kib": max(s["max_rss_kib"] for s in samples),
        "runs": len(samples),
        "samples": samples,
    }
