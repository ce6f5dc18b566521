#!/usr/bin/env python3
"""Runs one job of a GitHub Actions workflow here, as the runner would run
its shell steps, so that a test can check the example workflow works:

  * the job's `if:` is evaluated against the given context (the forms
    `a.b == 'x'` joined by `&&`, which is what the example uses); a job
    whose condition is false is reported as skipped;
  * `run:` steps run with `bash --noprofile --norc -eo pipefail` (GitHub's
    `shell: bash`), in the workspace, with the workflow's, job's and step's
    `env:` (`${{ vars.X }}`, `${{ github.X }}` replaced from the context),
    GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY files whose additions
    reach the later steps, RUNNER_TEMP, and an OIDC token service:
    ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN answer {"value": JWT} to the
    bearer token, as GitHub's does (an unsigned JWT naming the audience);
  * `uses:` steps (actions) and the steps named with --skip are not run;
  * processes a step leaves running are ended when the job ends, as the
    runner's "cleaning up orphan processes" does;
  * --if-only: only says whether the job would run.

Prints one line per step and the token requests, and exits with the first
failing step's status (0 when all passed or the job was skipped).

Usage: gha_local.py WORKFLOW JOB --workspace DIR [--context a.b=v]...
       [--env K=V]... [--skip STEP_NAME]... [--if-only]
--env values win over the workflow's (to point a step at a test recipe).
"""
import argparse
import base64
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import urllib.parse
from http.server import ThreadingHTTPServer

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stub_server  # noqa: E402

EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def lookup(context, path):
    if path not in context:
        raise SystemExit(f"gha_local: the expression {path!r} is not in the context given")
    return context[path]


def substitute(text, context):
    return EXPR.sub(lambda m: str(lookup(context, m.group(1))), str(text))


def condition(expr, context):
    """True when every `a.b == 'x'` of an `&&` chain holds."""
    expr = EXPR.sub(lambda m: m.group(1), expr.strip())
    for part in expr.split("&&"):
        m = re.fullmatch(r"\s*([\w.]+)\s*==\s*'([^']*)'\s*", part)
        if not m:
            raise SystemExit(f"gha_local: cannot evaluate the condition {part!r}")
        if lookup(context, m.group(1)) != m.group(2):
            return False
    return True


def jwt(audience):
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    claims = {"iss": "https://token.actions.githubusercontent.com", "aud": audience,
              "sub": "repo:example/app:ref:refs/heads/main", "jti": secrets.token_hex(8)}
    return b64({"alg": "none", "typ": "JWT"}) + "." + b64(claims) + "."


def token_service(request_token, log):
    class Handler(stub_server.Handler):
        def do_GET(self):
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            audience = (query.get("audience") or [""])[0]
            log.append(audience)
            if self.headers.get("Authorization") != "bearer " + request_token:
                return self.answer(401, {"message": "bad request token"})
            self.answer(200, {"value": jwt(audience)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def read_env_file(path):
    values = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                values[k] = v
    return values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workflow")
    ap.add_argument("job")
    ap.add_argument("--workspace")
    ap.add_argument("--if-only", action="store_true")
    ap.add_argument("--context", action="append", default=[])
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--skip", action="append", default=[])
    args = ap.parse_args()
    with open(args.workflow) as f:
        wf = yaml.safe_load(f)
    context = dict(kv.split("=", 1) for kv in args.context)
    overrides = dict(kv.split("=", 1) for kv in args.env)
    job = wf["jobs"][args.job]
    if "if" in job and not condition(job["if"], context):
        print(f"job {args.job}: skipped (if: {job['if']})")
        return 0
    print(f"job {args.job}: runs")
    if args.if_only:
        return 0

    runner = os.path.join(args.workspace, ".runner")
    os.makedirs(runner, exist_ok=True)
    files = {k: os.path.join(runner, k.lower()) for k in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
    for path in files.values():
        open(path, "w").close()
    request_token = secrets.token_hex(16)
    token_log = []
    server = token_service(request_token, token_log)
    base = {k: substitute(v, context) for k, v in {**wf.get("env", {}), **job.get("env", {})}.items()}
    shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
    groups, status = [], 0
    try:
        for n, step in enumerate(job["steps"], 1):
            name = step.get("name") or step.get("uses") or step.get("run", "").split("\n")[0]
            if "uses" in step:
                print(f"step {n} {name}: not run (an action)")
                continue
            if name in args.skip:
                print(f"step {n} {name}: not run (--skip)")
                continue
            env = dict(os.environ)
            env.update(base)
            env.update({k: substitute(v, context) for k, v in step.get("env", {}).items()})
            env.update(read_env_file(files["GITHUB_ENV"]))
            env.update(overrides)
            env.update(files)
            env.update(RUNNER_TEMP=runner, GITHUB_WORKSPACE=args.workspace,
                       ACTIONS_ID_TOKEN_REQUEST_URL=f"http://127.0.0.1:{server.server_address[1]}/token?api-version=2.0",
                       ACTIONS_ID_TOKEN_REQUEST_TOKEN=request_token)
            with open(files["GITHUB_PATH"]) as f:
                added = [line.strip() for line in f if line.strip()]
            env["PATH"] = ":".join(list(reversed(added)) + [env["PATH"]])
            script = os.path.join(runner, f"step{n}.sh")
            with open(script, "w") as f:
                f.write(substitute(step["run"], context))
            p = subprocess.Popen(shell + [script], cwd=args.workspace, env=env, start_new_session=True)
            groups.append(p.pid)
            rc = p.wait()
            print(f"step {n} {name}: exit {rc}")
            if rc != 0:
                status = rc
                break
    finally:
        for pgid in groups:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        server.shutdown()
    print("token requests: " + (", ".join("audience " + a for a in token_log) or "none"))
    return status


if __name__ == "__main__":
    sys.exit(main())
