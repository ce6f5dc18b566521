#!/usr/bin/env bash
# The Fargate recipe (prebuilt image, no Docker) through the AWS simulator
# (tests/sim) at a small scale, with AWS's behaviours on (profile aws: a
# fresh account's service-linked roles included): deploy, an update (a new
# image) and destroy succeed, the update rolls out and destroy leaves
# nothing; a role not yet passable, a load balancer still provisioning and
# DependencyViolation while interfaces drain are waited out, not failures;
# the journal's order and the simulator's log follow AWS's ordering rules;
# kill -9 with several steps in flight, then --destroy, leaves nothing.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
recipe=$root/recipes/fargate_alb.lua
scale=${FG_SIM_SCALE:-0.05}
test_moto 3
test_sim --scale "$scale" --behaviours aws
moto=$FGRUN_TEST_MOTO_URL
IMAGE=public.ecr.aws/nginx/nginx:latest
NEW_IMAGE=public.ecr.aws/nginx/nginx:1.27
journal=$state/fargate-alb.local.json

recipe() { run_fgrun --state-dir "$state" --env local -D image="${image:-$IMAGE}" "$@" "$recipe"; }
suffix() { sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$journal"; }
left() { AWS_ENDPOINT_URL=$moto "$FGRUN" "$root/tests/lib/fargate_leftovers.lua" "$1" | sed -n 's/^total //p'; }
sim_log() { curl -sf "$FGRUN_TEST_SIM_URL/__sim/log" > "$tmp/sim.json"; }
# py CODE: python with tests/sim importable and the log at log (a list)
py() { PYTHONPATH=$root/tests/sim python3 -c "import json, rules; log = json.load(open('$tmp/sim.json')); $1"; }

# IAM refuses to pass the new roles until the deny is lifted, as it does
# while a new role propagates: denied once the deploy has begun making
# things (after the preflight, which asks IAM's policy simulator), lifted
# once RegisterTaskDefinition was refused.
sim_has() {
    curl -sf "$FGRUN_TEST_SIM_URL/__sim/log" | python3 -c 'import json, sys
op, refused = sys.argv[1], sys.argv[2] == "refused"
sys.exit(0 if any(e["operation"] == op and (bool(e["code"]) or not refused) for e in json.load(sys.stdin)) else 1)' "$@"
}
(
    for _ in $(seq 600); do sim_has CreateSecurityGroup made && break; sleep 0.05; done
    sim_config '{"deny": ["iam:PassRole"]}' >/dev/null
    for _ in $(seq 600); do sim_has RegisterTaskDefinition refused && break; sleep 0.1; done
    sleep 0.3
    sim_config '{"deny": []}' >/dev/null
) &
lifter=$!
recipe --json
wait "$lifter"
expect_eq "deploy through the simulator succeeds" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" | tail -5 | sed 's/^/# /'
sfx=$(suffix)
sim_log
expect_eq "a role not yet passable: RegisterTaskDefinition was refused, then retried and made" "yes yes" \
    "$(py "ops = [(e['operation'], e.get('code')) for e in log if e['operation'] == 'RegisterTaskDefinition']
print('yes' if ('RegisterTaskDefinition', 'AccessDeniedException') in ops else 'no', 'yes' if ops[-1][1] is None else 'no')")"
expect_eq "the simulator's log follows AWS's ordering rules" "[]" "$(py "print(rules.check_log(log))")"
expect_eq "the journal's order follows the model's ordering rules" "[]" \
    "$(PYTHONPATH=$root/tests/sim python3 -c "import rules; print(rules.check_journal('$journal'))")"
# (the recipe's checks print on standard output too: the summary is the last object)
provisioning=$(printf '%s' "$out" | python3 -c '
import json, sys
text = sys.stdin.read()
t = {s["step"]: s for s in json.loads(text[text.rfind("\n{\n") + 1:])["timeline"]}
print("yes" if t["listener"]["end"] < t["load_balancer"]["end"] and t["service"]["ready"] < t["load_balancer"]["end"] else "no")')
expect_eq "the listener and the service were made while the load balancer provisioned" "yes" "$provisioning"

# An update: a new image. Only the task definition and the service change;
# the run ends once the new deployment has rolled out (AWS's state, asked
# through the simulator, whose model keeps the deployments).
image=$NEW_IMAGE recipe --json
expect_eq "update (a new image) through the simulator succeeds" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" | tail -5 | sed 's/^/# /'
changed=$(printf '%s' "$out" | python3 -c '
import json, sys
text = sys.stdin.read()
steps = json.loads(text[text.rfind("\n{\n") + 1:])["steps"]
print(" ".join(sorted(s["step"] for s in steps if s["action"] != "unchanged")))')
expect_eq "the update changed the task definition and the service only" "service task_definition" "$changed"
rolled=$(python3 - "$FGRUN_TEST_SIM_URL" "$sfx" "$NEW_IMAGE" <<'PY'
import sys, boto3
url, sfx, image = sys.argv[1:]
ecs = boto3.client("ecs", endpoint_url=url, region_name="us-east-1")
s = ecs.describe_services(cluster="fargate-cluster-" + sfx, services=["fargate-service-" + sfx])["services"][0]
td = ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"]
primary = [d for d in s["deployments"] if d["status"] == "PRIMARY"][0]
print(td["containerDefinitions"][0]["image"] == image, primary["taskDefinition"] == s["taskDefinition"],
      primary.get("rolloutState"), primary["runningCount"] == primary["desiredCount"])
PY
)
expect_eq "after the update the service runs the new image, rolled out (AWS's state)" "True True COMPLETED True" "$rolled"
sim_log
expect_eq "the update's calls follow AWS's ordering rules" "[]" "$(py "print(rules.check_log(log))")"

recipe --destroy
expect_eq "destroy through the simulator succeeds" "0" "$rc"
expect_eq "after destroy moto holds nothing of the deployment" "0" "$(left "$sfx")"
sim_log
expect_eq "DependencyViolation while interfaces drain was waited out" "yes" \
    "$(py "sg = [e.get('code') for e in log if e['operation'] == 'DeleteSecurityGroup']
print('yes' if 'DependencyViolation' in sg and sg[-1] is None else 'no (%s)' % sg)")"
expect_eq "destroy's calls follow AWS's ordering rules" "[]" "$(py "print(rules.check_log(log))")"

# kill -9 with steps in flight, at several instants, then --destroy (the
# short form, tests/run: two of them).
instants="0.5 1 1.5 2.5"
long_form || instants="1 2.5"
clean=0 several=0 rounds=0
for at in $instants; do
    rounds=$((rounds + 1))
    rm -rf "$state"
    "$FGRUN" --state-dir "$state" --env local -D image=$IMAGE "$recipe" >/dev/null 2>&1 &
    pid=$!
    # the instant counts from the first step on (the first calls warm moto up)
    for _ in $(seq 300); do [ -s "$journal" ] && grep -q '"steps": \[$' "$journal" && break; sleep 0.05; done
    sleep "$at"
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    n=$(python3 -c 'import json,sys; print(sum(s["status"] == "pending" or s.get("unsettled", False) for s in json.load(open(sys.argv[1]))["steps"]))' "$journal" 2>/dev/null)
    [ "${n:-0}" -ge 2 ] && several=$((several + 1))
    sfx=$(suffix)
    recipe --destroy
    if [ "$rc" = 0 ] && [ "$(left "${sfx:-none}")" = 0 ] && [ ! -e "$journal" ]; then
        clean=$((clean + 1))
    else
        printf '# kill at %s s: destroy exit %s, %s left\n' "$at" "$rc" "$(left "${sfx:-none}")"
        printf '%s\n' "$err" | tail -3 | sed 's/^/#   /'
    fi
done
expect_eq "kill -9 then --destroy leaves nothing ($rounds instants)" "$rounds" "$clean"
check "several steps were in flight (or waiting) at some of the kills ($several of $rounds)" test "$several" -ge 1

tap_done
