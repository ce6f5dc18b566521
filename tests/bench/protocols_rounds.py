"""bench-helper: the measuring of protocols_bench.sh.

    python3 protocols_rounds.py FGRUN OUT_DIR
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canned  # noqa: E402
import measure  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CALLS = int(os.environ.get("CALLS", "1000"))
BOTO_CALLS = int(os.environ.get("BOTO_CALLS", "200"))
REPEAT = int(os.environ.get("PERCALL_REPEAT", "3"))
STREAM_MIB = int(os.environ.get("STREAM_MIB", "200"))
T0 = "2026-11-26T12:00:00.000Z"


def s3_list_objects_v2():
    items = "".join(
        f"<Contents><Key>logs/2026/11/26/object-{i:05d}.json</Key><LastModified>{T0}</LastModified>"
        f"<ETag>&quot;0123456789abcdef0123456789ab{i:04d}&quot;</ETag><Size>{1000 + i}</Size>"
        f"<StorageClass>STANDARD</StorageClass></Contents>" for i in range(1000))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bench</Name>'
            '<Prefix></Prefix><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys>'
            '<IsTruncated>false</IsTruncated>' + items + '</ListBucketResult>\n')


def route53_list_rrsets():
    sets = "".join(
        f"<ResourceRecordSet><Name>host{i}.example.com.</Name><Type>A</Type><TTL>300</TTL>"
        f"<ResourceRecords><ResourceRecord><Value>192.0.2.{i % 250}</Value></ResourceRecord>"
        f"</ResourceRecords></ResourceRecordSet>" for i in range(100))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
            '<ResourceRecordSets>' + sets + '</ResourceRecordSets><IsTruncated>false</IsTruncated>'
            '<MaxItems>300</MaxItems></ListResourceRecordSetsResponse>\n')


def loop(cmd, env, **extra):
    env = dict(env, **{k: str(v) for k, v in extra.items()})
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def median_ms(cmd, runs=200):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def percall(fgrun, tmp):
    bodies = os.path.join(tmp, "bodies")
    os.makedirs(bodies)
    for name, text in (("s3.xml", s3_list_objects_v2()), ("route53.xml", route53_list_rrsets())):
        with open(os.path.join(bodies, name), "w") as f:
            f.write(text)
    exe = measure.build_tool("canned_server")
    proc = subprocess.Popen([exe, f"list-type={bodies}/s3.xml", f"rrset={bodies}/route53.xml",
                             f"{bodies}/s3.xml"], stdout=subprocess.PIPE, text=True)
    result = {}
    try:
        env = canned.client_env(f"http://127.0.0.1:{int(proc.stdout.readline())}")
        for op in ("s3", "route53"):
            runs = {"fgrun": [], "boto3": []}
            for _ in range(REPEAT):
                runs["fgrun"].append(loop([fgrun, os.path.join(HERE, "protocols_loop.lua")], env,
                                          BENCH_OP=op, BENCH_CALLS=CALLS))
                runs["boto3"].append(loop([sys.executable, os.path.join(HERE, "protocols_loop.py")], env,
                                          BENCH_OP=op, BENCH_CALLS=BOTO_CALLS))
            entry = {name: {"cpu_us_per_call": statistics.median(r["cpu_s"] / r["calls"] * 1e6 for r in rs),
                            "samples": rs} for name, rs in runs.items()}
            entry["cpu_ratio_boto3_over_fgrun"] = (entry["boto3"]["cpu_us_per_call"]
                                                   / entry["fgrun"]["cpu_us_per_call"])
            result[op] = entry
            print(f"  {op}: fgrun {entry['fgrun']['cpu_us_per_call']:.0f} us cpu/call, boto3 "
                  f"{entry['boto3']['cpu_us_per_call']:.0f} us, {entry['cpu_ratio_boto3_over_fgrun']:.1f}x",
                  flush=True)
    finally:
        proc.terminate()
        proc.wait()
    return result


def stream(fgrun, tmp):
    port = subprocess.run([sys.executable, "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); "
                           "print(s.getsockname()[1])"], capture_output=True, text=True).stdout.strip()
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if subprocess.run(["curl", "-s", "-o", "/dev/null", url + "/moto-api/"]).returncode == 0:
                break
            time.sleep(0.2)
        env = canned.client_env(url)
        path = os.path.join(tmp, "big")
        with open(path, "wb") as f:
            for _ in range(STREAM_MIB):
                f.write(os.urandom(1 << 20))
        out = {}
        for name, cmd in (("fgrun", [fgrun, os.path.join(HERE, "protocols_loop.lua")]),
                          ("boto3", [sys.executable, os.path.join(HERE, "protocols_loop.py")])):
            report = os.path.join(tmp, name + ".out")
            with open(report, "w") as f:
                m = measure.run(cmd, env=dict(env, BENCH_OP="stream", BENCH_FILE=path,
                                              BENCH_BUCKET="bench-" + name), stdout=f)
            with open(report) as f:
                times = json.loads(f.read().strip().splitlines()[-1])
            out[name] = {"upload_mib_s": STREAM_MIB / times["upload_s"],
                         "download_mib_s": STREAM_MIB / times["download_s"],
                         "cpu_s": times["cpu_s"], "peak_rss_kib": m["max_rss_kib"]}
            print(f"  stream {name}: up {out[name]['upload_mib_s']:.0f} MiB/s, down "
                  f"{out[name]['download_mib_s']:.0f} MiB/s, peak {m['max_rss_kib'] / 1024:.1f} MiB", flush=True)
        out["mib"] = STREAM_MIB
        return out
    finally:
        moto.terminate()
        moto.wait()


def startup(fgrun):
    out = {}
    for name, exe in (("now", fgrun), ("baseline", os.environ.get("BASELINE_FGRUN"))):
        if not exe:
            continue
        out[name] = {"start_ms": median_ms([exe, "-e", ""]),
                     "peak_rss_kib": measure.run([exe, "-e", ""])["max_rss_kib"]}
        print(f"  start {name}: {out[name]['start_ms']:.2f} ms, {out[name]['peak_rss_kib']} KiB", flush=True)
    return out


def main():
    fgrun, out_dir = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="fgrun-protocols-bench.")
    try:
        result = {"percall": percall(fgrun, tmp), "stream": stream(fgrun, tmp), "startup": startup(fgrun)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(out_dir, "protocols.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
