#!/usr/bin/env bash
# The example GitHub Actions workflow (examples/github-actions.yml): it
# parses, has the shape the README promises (a plan with --plan --json on
# pull requests, a deploy on pushes to main, OIDC and S3 state, no stored
# key), and its deploy job's shell steps, run here by tests/lib/gha_local.py
# as the runner runs them, sign in through web identity (a GitHub-style
# OIDC token service, moto's STS) and deploy from S3 state with nothing
# but the workflow's variables.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
root=$(cd "$(dirname "$0")/../.." && pwd)
workflow=$root/examples/github-actions.yml
if ! python3 -c 'import yaml' 2>/dev/null; then
    tap_skip "python3 has no yaml module (PyYAML): the workflow cannot be read"; tap_done; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shape=$(python3 - "$workflow" <<'EOF'
import sys, yaml
wf = yaml.safe_load(open(sys.argv[1]))
on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
def runs(job):
    return "\n".join(s.get("run", "") for s in wf["jobs"][job]["steps"])
checks = [
    ("triggers: pull requests, pushes to main", "pull_request" in on and on["push"]["branches"] == ["main"]),
    ("permission to ask for an OIDC token", wf["permissions"]["id-token"] == "write"),
    ("one run at a time, never cancelled", wf["concurrency"]["cancel-in-progress"] is False),
    ("the role from a variable, the state in S3", wf["env"]["AWS_ROLE_ARN"].startswith("${{ vars.")
        and wf["env"]["FGRUN_STATE"].startswith("s3://")),
    ("plan: fgrun --plan --json with the S3 state", "--plan --json" in runs("plan") and '--state "$FGRUN_STATE"' in runs("plan")),
    ("deploy: fgrun without --plan, with the S3 state", "--plan" not in runs("deploy")
        and '--state "$FGRUN_STATE"' in runs("deploy")),
    ("both jobs get a web identity token file", all("AWS_WEB_IDENTITY_TOKEN_FILE" in runs(j) for j in ("plan", "deploy"))),
    ("no AWS key anywhere", "AWS_ACCESS_KEY_ID" not in open(sys.argv[1]).read()
        and "AWS_SECRET_ACCESS_KEY" not in open(sys.argv[1]).read()),
]
for name, ok in checks:
    print(("ok " if ok else "FAIL ") + name)
EOF
)
rc=$?
expect_eq "the workflow parses as YAML" "0" "$rc"
while IFS= read -r line; do
    case $line in
        "ok "*) tap_pass "workflow: ${line#ok }" ;;
        *) tap_fail "workflow: ${line#FAIL }" ;;
    esac
done <<<"$shape"

run_job() { python3 "$root/tests/lib/gha_local.py" "$workflow" "$@"; }
expect_eq "the plan job runs on a pull request" "job plan: runs" \
    "$(run_job plan --if-only --context github.event_name=pull_request --context github.ref=refs/pull/7/merge)"
expect_eq "...and not on a push to main" "skipped" \
    "$(run_job plan --if-only --context github.event_name=push --context github.ref=refs/heads/main | grep -o skipped)"
expect_eq "the deploy job runs on a push to main" "job deploy: runs" \
    "$(run_job deploy --if-only --context github.event_name=push --context github.ref=refs/heads/main)"
expect_eq "...and not on a pull request" "skipped" \
    "$(run_job deploy --if-only --context github.event_name=pull_request --context github.ref=refs/pull/7/merge | grep -o skipped)"
expect_eq "...nor on a push to another branch" "skipped" \
    "$(run_job deploy --if-only --context github.event_name=push --context github.ref=refs/heads/dev | grep -o skipped)"

if [ -z "${FGRUN_TEST_MOTO_URL:-}" ]; then
    tap_skip "moto is not running (FGRUN_TEST_MOTO_URL unset): the deploy job is not run"; tap_done; exit 0
fi
moto=$FGRUN_TEST_MOTO_URL
bucket=ci-state-$RANDOM$RANDOM
AWS_ENDPOINT_URL=$moto AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    "$FGRUN" -e "local s3 = require('aws').s3
      s3.create_bucket{Bucket = '$bucket'}
      s3.put_bucket_versioning{Bucket = '$bucket', VersioningConfiguration = {Status = 'Enabled'}}"
mkdir -p "$tmp/bin" "$tmp/work" "$tmp/home"
ln -s "$FGRUN" "$tmp/bin/fgrun"
# ci_job JOB EVENT REF: runs one job's shell steps in the runner's
# environment: no key and no profile, so the only way in is the web
# identity token the workflow fetches.
ci_job() {
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
    -u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE \
    -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u AWS_CONTAINER_CREDENTIALS_FULL_URI HOME="$tmp/home" PATH="$tmp/bin:$PATH" \
    AWS_ENDPOINT_URL="$moto" AWS_EC2_METADATA_DISABLED=true \
    python3 "$root/tests/lib/gha_local.py" "$workflow" "$1" --workspace "$tmp/work" \
    --context github.event_name="$2" --context github.ref="$3" --context github.run_id=4242 \
    --context vars.AWS_REGION=us-east-1 --context vars.FGRUN_ROLE_ARN=arn:aws:iam::123456789012:role/fgrun-deploy \
    --context vars.FGRUN_STATE_BUCKET="$bucket" \
    --env RECIPE="$root/tests/fixtures/recipes/small.lua" --env FGRUN_ENV=short --skip "Build fgrun" 2>&1
}
objects() {
    AWS_ENDPOINT_URL=$moto AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
        "$FGRUN" -e "print(#(require('aws').s3.list_objects_v2{Bucket='$bucket'}.Contents or {}))"
}

out=$(ci_job plan pull_request refs/pull/7/merge)
rc=$?
expect_eq "the plan job's steps pass on a fresh deployment (fgrun's exit 2: changes)" "0" "$rc"
expect_match "...its plan step ran" "Plan: exit 0" "$out"
expect_eq "...plan.json: every step to create" "create create create create 4" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(*[s["action"] for s in d["steps"]], d["summary"]["create"])' "$tmp/work/plan.json" 2>&1)"
expect_match "...the job summary counts them" "4 to create, 0 to update, 0 to replace, 0 to remove" \
    "$(cat "$tmp/work/.runner/github_step_summary")"
expect_eq "...and the plan wrote nothing to the S3 state (no lock, no journal)" "0" "$(objects)"

out=$(ci_job deploy push refs/heads/main)
rc=$?
expect_eq "the deploy job's steps pass" "0" "$rc"
expect_match "...the token step and the deploy step ran" "AWS web identity token: exit 0.*Deploy: exit 0" "$(printf '%s' "$out" | tr '\n' ' ')"
expect_match "...asking GitHub's token service for an STS token" "token requests: audience sts.amazonaws.com" "$out"
expect_eq "the deploy's JSON summary says deployed" "deployed 4" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["outcome"], d["counts"]["created"])' "$tmp/work/deploy.json" 2>&1)"
expect_match "the job summary has the outcome" "^fgtest: deployed in " "$(cat "$tmp/work/.runner/github_step_summary")"
out=$(ci_job plan pull_request refs/pull/8/merge)
expect_match "the plan job after the deploy passes" "Plan: exit 0" "$out"
expect_eq "...and its summary says no changes" "fgrun plan: no changes" "$(cat "$tmp/work/.runner/github_step_summary")"
export AWS_ENDPOINT_URL=$moto AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
keys=$("$FGRUN" -e "for _, o in ipairs(require('aws').s3.list_objects_v2{Bucket='$bucket'}.Contents or {}) do print(o.Key) end")
expect_eq "the journal is in the S3 state, its lock released" "fgrun/fgtest.short.json" "$keys"
sfx=$("$FGRUN" -e "io.write(require('json').decode(require('aws').s3.get_object{Bucket='$bucket', Key='fgrun/fgtest.short.json'}.Body).values.suffix)")
expect_eq "the resources are in moto" "4" "$("$FGRUN" "$root/tests/lib/small_leftovers.lua" "fgtest-$sfx" | sed -n 's/^total //p')"
"$FGRUN" --destroy "s3://$bucket/fgrun/fgtest.short.json" >/dev/null 2>&1
expect_eq "destroyed from the CI's S3 journal: nothing left in moto" "0" \
    "$("$FGRUN" "$root/tests/lib/small_leftovers.lua" "fgtest-$sfx" | sed -n 's/^total //p')"
expect_eq "...nor in the bucket" "0" \
    "$("$FGRUN" -e "print(#(require('aws').s3.list_objects_v2{Bucket='$bucket'}.Contents or {}))")"

tap_done
