"""bench-helper: run a command as a child and measure it alone.

run(cmd, **popen_args) -> dict(wall_s, cpu_s, user_s, sys_s, max_rss_kib, rc):
wall time around the child, its user+sys CPU and the largest resident set
of it and every descendant it waited for (wait4's rusage), so a shell
script's aws processes count and the measuring Python does not.
"""
import os
import statistics
import subprocess
import time


def run(cmd, **popen_args):
    start = time.perf_counter()
    child = subprocess.Popen(cmd, **popen_args)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "max_rss_kib": usage.ru_maxrss,
        "rc": child.returncode,
    }


def median_of(samples, key):
    return statistics.median(s[key] for s in samples)


def summarize(samples):
    """The median of each measure over samples, and the samples."""
    keys = ("wall_s", "cpu_s", "max_rss_kib")
    out = {k: median_of(samples, k) for k in keys}
    out["max_rss_kib"] = max(s["max_rss_kib"] for s in samples)
    out["runs"] = len(samples)
    out["samples"] = samples
    return out
