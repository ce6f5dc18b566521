#!/usr/bin/env bash
# fgrun --plan on the Fargate recipe (recipes/fargate_alb.lua, on the
# resource types) against a moto of its own, every claim checked in moto's
# state (tests/lib/snapshot.lua), not in the journal: a fresh plan (every
# step to create, read calls only, nothing made or written); an untouched
# deployment plans as no changes (read calls only), also when auto scaling
# moved the desired count; drift made through boto3 (a security-group rule
# revoked, the log retention changed, the listener and target group
# deleted) is planned and the next run repairs it; a change shows field by
# field and as unified diffs of the task definition and the service; a
# field that forces replacement is named; --plan --destroy lists the
# removals in order and removes nothing; a step deleted from the recipe is
# planned as remove and the run removes it.
# (Every parameter's plan against its run: tests/cli/recipe_params.sh.)
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
recipe=$root/recipes/fargate_alb.lua
# A moto of its own: it reports the three tasks of env/local.lua running.
test_moto 3

# deploy ARGS...: the recipe (or $use_recipe) with a prebuilt image; sets out, err, rc.
deploy() { run_fgrun --state-dir "$state" --env local -D image=busybox:1 "$@" "${use_recipe:-$recipe}"; }
snapshot() { "$FGRUN" "$root/tests/lib/snapshot.lua" "$1"; }
# The operations of a -vv log that are not reads.
not_reads() { printf '%s\n' "$1" | sed -n 's/^aws [a-z0-9_-]*\.\([A-Za-z]*\) .*/\1/p' | grep -Ev '^(Describe|List|Get)' | tr '\n' ' '; }
# plan_json EXPR: a Python expression over d, the plan's JSON in $out.
plan_json() { printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>&1; }
# The steps a plan changes: "name:action:field,field" (drift fields marked ~), in plan order.
PLANNED='" ".join(s["name"] + ":" + s["action"] + ":" + ",".join(("~" if c.get("drift") else "") + c["field"] for c in s["changes"]) for s in d["steps"] if s["action"] != "unchanged")'

# ---- a fresh environment -------------------------------------------------------

deploy --plan -vv
expect_eq "a fresh plan: exit 2 (changes)" "2" "$rc"
expect_match "...every step to create" "fargate-alb \(env local\): 2[0-9] to create, 0 to update, 0 to replace, 0 to remove" "$out"
expect_match "...names made by the run are known after apply" "create +cluster +fargate-cluster-\(known after apply\)" "$out"
expect_match "...as are ARNs of resources not yet made" "task_definition = \(known after apply\)" "$out"
expect_eq "...only Describe/List/Get calls on the wire (-vv)" "" "$(not_reads "$err")"
check "...no journal, no lock written" test ! -e "$state"
expect_eq "...nothing made in moto" "total 0" "$(snapshot fargate | tail -1)"
deploy --plan --json
expect_eq "--plan --json on a fresh environment: every step a create" "create" \
    "$(plan_json '" ".join(sorted(set(s["action"] for s in d["steps"])))')"

# ---- an untouched deployment -----------------------------------------------------

deploy
expect_eq "the deploy succeeds" "0" "$rc"
sfx=$(sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$state/fargate-alb.local.json")
# moto drops some of CreateService's fields (AWS keeps them): the second run
# reads them as changed outside fgrun and sets them back
deploy
expect_match "a second run sets back what moto dropped (drift repaired)" "updated +service .*changed outside fgrun: " "$out"
journal_sum=$(md5sum < "$state/fargate-alb.local.json")
deploy --plan -vv
expect_eq "an untouched deployment: --plan exits 0" "0" "$rc"
expect_match "...saying no changes" "fargate-alb \(env local\): no changes" "$out"
expect_eq "...every step unchanged" "20" "$(printf '%s\n' "$out" | grep -c '^ *unchanged ')"
expect_eq "...only Describe/List/Get calls on the wire (-vv)" "" "$(not_reads "$err")"
ops=$(printf '%s\n' "$err" | sed -n 's/^aws \([a-z0-9_-]*\.[A-Za-z]*\) .*/\1/p' | sort -u | tr '\n' ' ')
expect_match "...having read the live state of the types" \
    "ecs.DescribeServices.*ecs.DescribeTaskDefinition.*elbv2.DescribeTargetGroups.*logs.DescribeLogGroups" "$ops"
expect_eq "...the journal byte for byte as it was" "$journal_sum" "$(md5sum < "$state/fargate-alb.local.json")"

"$FGRUN" -e "require('aws').ecs.update_service{cluster='fargate-cluster-$sfx', service='fargate-service-$sfx', desiredCount=7}"
deploy --plan
expect_eq "auto scaling moved the desired count (3 -> 7): still no changes, exit 0" "0 no changes" \
    "$rc $(printf '%s\n' "$out" | tail -1 | sed -n 's/^fargate-alb (env local): //p')"
deploy --plan --json -D desired_count=2
expect_eq "a new desired count under auto scaling: planned as recorded only, auto scaling owns it" \
    "service:update:desired_count 3 2 auto scaling" \
    "$(plan_json '" ".join(s["name"] + ":" + s["action"] + ":" + c["field"] + " " + str(c["old"]) + " " + str(c["new"]) + " " + str(c.get("owned_by")) for s in d["steps"] for c in s["changes"])')"
base=$(snapshot "$sfx")

# ---- drift: changed and deleted behind fgrun's back ---------------------------------

python3 - "$sfx" <<'EOF'
import boto3, os, sys
sfx = sys.argv[1]
kw = dict(endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
ec2, logs, elb = boto3.client("ec2", **kw), boto3.client("logs", **kw), boto3.client("elbv2", **kw)
g = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["fargate-sg-" + sfx]}])["SecurityGroups"][0]
ec2.revoke_security_group_ingress(GroupId=g["GroupId"], IpPermissions=g["IpPermissions"])
logs.put_retention_policy(logGroupName="/ecs/fargate-task-" + sfx, retentionInDays=30)
lb = elb.describe_load_balancers(Names=["fargate-alb-" + sfx])["LoadBalancers"][0]
for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
    elb.delete_listener(ListenerArn=l["ListenerArn"])  # AWS keeps a target group in use
tg = elb.describe_target_groups(Names=["fargate-tg-" + sfx])["TargetGroups"][0]
elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
EOF
# (the service's line changes too: its target group has no name left)
expect_eq "boto3 changed moto behind fgrun's back" "ecs_service|listener|log_group retention=30|sg_rule fargate-sg-$sfx ingress|target_group" \
    "$(diff <(printf '%s\n' "$base") <(snapshot "$sfx") | sed -n 's/^[<>] //p' | sed -E 's/^(sg_rule [^ ]+ [a-z]+) .*/\1/;
       s/^(log_group) .* (retention=30)$/\1 \2/; s/^(listener|target_group|ecs_service) .*/\1/' | grep -v '^total\|^log_group .*retention=7$' | sort -u | paste -sd'|')"
drifted=$(snapshot "$sfx")
deploy --plan --json
expect_eq "drift: --plan exits 2" "2" "$rc"
expect_eq "...each change named: the rule and the retention as drift, the deleted ones to create, the service to follow" \
    "task_ingress:update:~rules log_group:update:~retention_days target_group:create:$(plan_json '",".join(c["field"] for s in d["steps"] if s["name"] == "target_group" for c in s["changes"])') listener:create:load_balancer,port,protocol,target_group service:update:load_balancers" \
    "$(plan_json "$PLANNED")"
expect_eq "...with the live value and the recipe's: retention 30 -> 7" "30 7" \
    "$(plan_json '" ".join(str(x) for s in d["steps"] if s["name"] == "log_group" for c in s["changes"] for x in (c["old"], c["new"]))')"
deploy --plan
expect_match "...in text, marked as drift" "retention_days: 30 -> 7  \(drift: changed outside fgrun\)" "$out"
expect_match "...a deleted resource said to be gone" "create +target_group +fargate-tg-$sfx; gone \(deleted outside fgrun\)" "$out"
expect_match "...a value of a resource to be made again is known after apply" '"targetGroupArn": "\(known after apply\)"' "$out"
expect_eq "...and the plan changed nothing in moto" "$drifted" "$(snapshot "$sfx")"
deploy
expect_eq "the next run repairs it" "0" "$rc"
expect_match "...reporting what it set back" "updated +log_group .*changed outside fgrun: retention_days" "$out"
expect_eq "...and moto holds the deployment as before" "$base" "$(snapshot "$sfx")"
deploy --plan
expect_eq "...after which the plan has no changes" "0" "$rc"

# ---- a change: field by field, and the documents as unified diffs ----------------------

deploy --plan -D image=busybox:2 -D cpu=512 -D memory=1024
expect_eq "a change: exit 2" "2" "$rc"
expect_match "...the task definition's fields: old -> new" "update +task_definition .*
 +cpu: \"256\" -> \"512\"
 +memory: \"512\" -> \"1024\"
 +containers: " "$out"
expect_match "...its JSON as a unified diff, as AWS holds it against the run's" '--- AWS now
 *\+\+\+ after the run' "$out"
expect_match "...the image line changed" '-      "image": "busybox:1",
 *\+      "image": "busybox:2",' "$out"
expect_match "...the service gets a revision known after apply" \
    "task_definition: \"arn:aws:ecs:us-east-1:123456789012:task-definition/fargate-task-$sfx:[0-9]+\" -> \(known after apply\)" "$out"
expect_match "...in its JSON too" '\+  "taskDefinition": "\(known after apply\)"' "$out"
expect_eq "...and nothing else: AWS's defaults make no noise (no other +/- line)" "" \
    "$(printf '%s\n' "$out" | grep -E '^ +[-+] ' | grep -vE '"(image|cpu|memory|taskDefinition)"')"
expect_match "...summary" "0 to create, 2 to update, 0 to replace, 0 to remove" "$out"

deploy --plan --json -D container_port=8080
expect_eq "a field that forces replacement: the target group replaced because of its port" \
    "replace port True" \
    "$(plan_json '" ".join(str(x) for s in d["steps"] if s["name"] == "target_group" for c in s["changes"] if c["forces_replacement"] for x in (s["action"], c["field"], c["forces_replacement"]))')"
deploy --plan -D container_port=8080
expect_match "...said in text" "replace +target_group +fargate-tg-$sfx \(port forces replacement\)" "$out"
expect_eq "...and nothing changed in moto by the plans" "$base" "$(snapshot "$sfx")"

# ---- --plan --destroy ---------------------------------------------------------------

deploy --plan --destroy --json
expect_eq "--plan --destroy: exit 2" "2" "$rc"
order=$(python3 -c 'import json,sys; print(" ".join(s["name"] for s in reversed(json.load(open(sys.argv[1]))["steps"])))' \
    "$state/fargate-alb.local.json")
expect_eq "...every recorded step removed, newest first (the journal's order reversed)" "$order" \
    "$(plan_json '" ".join(s["name"] for s in d["steps"] if s["action"] == "remove")')"
expect_eq "...removing nothing" "$base" "$(snapshot "$sfx")"

# ---- a step deleted from the recipe ------------------------------------------------------

mkdir -p "$tmp/r" && cp -r "$root/recipes/env" "$tmp/r/"
python3 - "$recipe" "$tmp/r/fargate_alb.lua" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
cut = re.sub(r'res\.scaling_policy\("memory_scaling".*?\}\)\n', "", text, flags=re.S)
assert cut != text
open(sys.argv[2], "w").write(cut)
EOF
use_recipe=$tmp/r/fargate_alb.lua deploy --plan --json
expect_eq "a step deleted from the recipe: planned as remove, nothing else" "memory_scaling:remove:" "$(plan_json "$PLANNED")"
use_recipe=$tmp/r/fargate_alb.lua deploy
expect_match "...the run removes it" "removed +memory_scaling" "$out"
expect_eq "...gone from moto, the rest as it was" "scaling_policy fargate-service-$sfx-memory-scaling" \
    "$(diff <(printf '%s\n' "$base") <(snapshot "$sfx") | sed -n 's/^< //p' | grep -v '^total' | cut -d' ' -f1-2)"
use_recipe=$tmp/r/fargate_alb.lua deploy --plan
expect_eq "...and the plan of the shorter recipe then has no changes" "0" "$rc"
deploy --plan --json
expect_eq "the step back in the recipe: planned as create" "memory_scaling:create" \
    "$(plan_json '" ".join(s["name"] + ":" + s["action"] for s in d["steps"] if s["action"] != "unchanged")')"

deploy --destroy
expect_eq "--destroy leaves nothing" "total 0" "$(snapshot "$sfx" | tail -1)"
tap_done
