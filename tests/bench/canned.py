"""bench-helper: the canned-answer server (canned_server.c) for the
per-call and cold-start benchmarks.

    with canned.server(tmpdir) as srv:
        srv.url, srv.cpu_s()   # the endpoint; the server's CPU so far
"""
import contextlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TICKS = os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, proc, port):
        self.proc, self.url = proc, f"http://127.0.0.1:{port}"

    def cpu_s(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS


@contextlib.contextmanager
def server(tmpdir):
    exe = measure.build_tool("canned_server")
    bodies = os.path.join(tmpdir, "bodies")
    subprocess.run([sys.executable, os.path.join(HERE, "canned_bodies.py"), bodies], check=True)
    routes = [f"DescribeServices={bodies}/ecs_describe_services.json",
              f"DescribeSubnets={bodies}/ec2_describe_subnets.xml",
              f"GetCallerIdentity={bodies}/sts_get_caller_identity.xml",
              f"{bodies}/ecs_describe_services.json"]
    proc = subprocess.Popen([exe] + routes, stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        yield Server(proc, port)
    finally:
        proc.terminate()
        proc.wait()


def client_env(url):
    """The environment a client needs to talk to the canned server."""
    env = dict(os.environ)
    env.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true")
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    return env
