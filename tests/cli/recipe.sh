#!/usr/bin/env bash
# The Fargate recipe end to end against the local stand-ins: deploy,
# re-run, a changed app, a changed count, status, logs, url, destroy; and
# bad input that must stop it before anything is created.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
recipe=$root/recipes/fargate_alb.lua
test_docker
# A moto of its own: it reports the original's three tasks running.
test_moto 3
journal=$state/fargate-alb.local.json

# recipe [options/args...]: sets out, err, rc.
recipe() { run_fgrun --state-dir "$state" --env local "$@"; }
suffix() { sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$journal"; }

recipe "$recipe"
expect_eq "deploy succeeds" "0" "$rc"
expect_eq "deploy creates 21 steps" "21" "$(printf '%s\n' "$out" | grep -c '^  created ')"
expect_match "the image passed its smoke test before the push" "smoke test passed" "$out"
expect_match "the image scan is reported" "image scan: " "$out"
expect_match "HTTP checks say skipped, with the reason" "HTTP checks skipped: .* cannot be reached" "$out"
expect_match "the summary gives the URL" "url: http://fargate-alb-" "$out"
sfx=$(suffix)
expect_match "the suffix is kept in the journal" '^[a-z0-9]{6}$' "$sfx"
td1=$("$FGRUN" -e "print(require('aws').ecs.describe_services{cluster='fargate-cluster-$sfx', services={'fargate-service-$sfx'}}.services[1].taskDefinition)")
expect_match "the service runs revision 1" ":1$" "$td1"
image=$("$FGRUN" -e "print(require('aws').ecs.describe_task_definition{taskDefinition='$td1'}.taskDefinition.containerDefinitions[1].image)")
expect_match "the task definition names the pushed digest" "fargate-demo-$sfx@sha256:[0-9a-f]{64}$" "$image"
arch=$("$FGRUN" -e "print(require('aws').ecs.describe_task_definition{taskDefinition='$td1'}.taskDefinition.runtimePlatform.cpuArchitecture)")
expect_eq "the task definition's runtimePlatform is the build's (x86_64 by default)" "X86_64" "$arch"
# AWS's ordering rules: each step after the ones it needs (steps run at
# the same time, so the journal's order is the order they were made in).
order=$(python3 - "$journal" <<'PY'
import json, sys
rules = {
    "alb_ingress": ["alb_security_group"], "load_balancer": ["alb_security_group"],
    "listener": ["load_balancer", "target_group"],
    "task_ingress": ["task_security_group", "alb_security_group"], "task_egress": ["task_security_group"],
    "alb_egress": ["alb_security_group", "task_security_group"],
    "execution_role_policy": ["execution_role"],
    "image": ["repository"],
    "task_definition": ["execution_role", "task_role", "log_group", "image"],
    "service": ["cluster", "task_definition", "target_group", "listener", "task_security_group",
                "task_ingress", "task_egress", "execution_role_policy"],
    "scalable_target": ["service"], "cpu_scaling": ["scalable_target"], "memory_scaling": ["scalable_target"],
}
names = [s["name"] for s in json.load(open(sys.argv[1]))["steps"]]
bad = ["%s before %s" % (step, need) for step, needs in rules.items() for need in needs
       if step in names and (need not in names or names.index(need) > names.index(step))]
print("; ".join(bad) or "ok")
PY
)
expect_eq "the journal's order follows AWS's ordering rules" "ok" "$order"
egress=$("$FGRUN" -e "local g = require('aws').ec2.describe_security_groups{Filters={{Name='group-name',Values={'fargate-sg-$sfx'}}}}.SecurityGroups[1]
  local t = {} for _, p in ipairs(g.IpPermissionsEgress) do t[#t+1] = p.IpProtocol .. ':' .. tostring(p.FromPort) end table.sort(t) print(table.concat(t, ' '))")
expect_eq "task egress is HTTPS only (no allow-all, no port 80)" "tcp:443" "$egress"
alb_egress=$("$FGRUN" -e "local ec2 = require('aws').ec2
  local function g(n) return ec2.describe_security_groups{Filters={{Name='group-name',Values={n}}}}.SecurityGroups[1] end
  local task = g('fargate-sg-$sfx').GroupId
  local t = {} for _, p in ipairs(g('fargate-alb-$sfx-sg').IpPermissionsEgress) do
    t[#t+1] = p.IpProtocol .. ':' .. tostring(p.FromPort) .. ':' .. tostring(#(p.IpRanges or {})) .. ':' .. tostring((p.UserIdGroupPairs or {})[1] and p.UserIdGroupPairs[1].GroupId == task) end
  print(table.concat(t, ' '))")
expect_eq "load balancer egress: only to the task group on the container port" "tcp:3000:0:true" "$alb_egress"
drop=$("$FGRUN" -e "local elbv2 = require('aws').elbv2
  local lb = elbv2.describe_load_balancers{Names={'fargate-alb-$sfx'}}.LoadBalancers[1]
  for _, a in ipairs(elbv2.describe_load_balancer_attributes{LoadBalancerArn=lb.LoadBalancerArn}.Attributes) do
    if a.Key == 'routing.http.drop_invalid_header_fields.enabled' then print(a.Value) end end")
expect_eq "the load balancer drops invalid header fields" "true" "$drop"
trust=$("$FGRUN" -e "local r = require('aws').iam.get_role{RoleName='ecsTaskRole-$sfx'}.Role.AssumeRolePolicyDocument.Statement[1]
  print(r.Condition.StringEquals['aws:SourceAccount'], r.Condition.ArnLike['aws:SourceArn'])")
expect_eq "the task role's trust is limited to this account's ECS (aws:SourceAccount, aws:SourceArn)" \
    "123456789012	arn:aws:ecs:us-east-1:123456789012:*" "$trust"
task_policies=$("$FGRUN" -e "local iam = require('aws').iam
  print(#iam.list_role_policies{RoleName='ecsTaskRole-$sfx'}.PolicyNames + #iam.list_attached_role_policies{RoleName='ecsTaskRole-$sfx'}.AttachedPolicies)")
expect_eq "the task role has no policy unless a parameter asks for one" "0" "$task_policies"

# moto drops some of CreateService's fields (AWS keeps them): a run reads
# them as changed outside fgrun and sets them back
recipe "$recipe"
expect_match "a second run sets back what moto dropped (drift)" "updated +service .*changed outside fgrun: " "$out"
recipe -v "$recipe"
expect_eq "re-run succeeds" "0" "$rc"
expect_eq "re-run: every step unchanged" "21" "$(printf '%s\n' "$out" | grep -c '^  unchanged ')"
expect_match "re-run: the unchanged context is neither built nor pushed" "image unchanged since .*@sha256:.*build and push skipped" "$out"
expect_eq "re-run: no Docker build or push" "" "$(printf '%s\n' "$out$err" | grep -E '^building |pushed ')"
expect_eq "re-run makes no mutating AWS call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"

cp -r "$root/recipes/app" "$tmp/app2"
echo "changed" > "$tmp/app2/CHANGED"
sed -i 's|^COPY bin|COPY CHANGED /CHANGED\nCOPY bin|' "$tmp/app2/Dockerfile"
recipe -D app_dir="$tmp/app2" "$recipe"
expect_eq "a changed app deploys" "0" "$rc"
expect_match "a changed app: new task definition revision" "updated +task_definition +fargate-task-$sfx:2" "$out"
expect_match "a changed app: the service is updated" "updated +service" "$out"
td2=$("$FGRUN" -e "print(require('aws').ecs.describe_services{cluster='fargate-cluster-$sfx', services={'fargate-service-$sfx'}}.services[1].taskDefinition)")
expect_match "the service now runs revision 2" ":2$" "$td2"

# Auto scaling owns the count once its target exists: a scale-out (5 tasks)
# survives a deploy, and desired_count is not sent (it only sets the count
# a new service starts with).
"$FGRUN" -e "require('aws').ecs.update_service{cluster='fargate-cluster-$sfx', service='fargate-service-$sfx', desiredCount=5}"
recipe -vv -D app_dir="$tmp/app2" -D desired_count=2 "$recipe"
expect_match "-D desired_count=2 updates the service" "updated +service" "$out"
count=$("$FGRUN" -e "print(require('aws').ecs.describe_services{cluster='fargate-cluster-$sfx', services={'fargate-service-$sfx'}}.services[1].desiredCount)")
expect_eq "... and leaves the count auto scaling set" "5" "$count"
expect_eq "... UpdateService carries no desiredCount" "" "$(printf '%s\n' "$err" | grep -E '^> \{.*"service":"fargate-service-' | grep desiredCount)"
"$FGRUN" -e "require('aws').ecs.update_service{cluster='fargate-cluster-$sfx', service='fargate-service-$sfx', desiredCount=2}"

secret=$("$FGRUN" -e "print(require('aws').secretsmanager.create_secret{Name='db-$sfx', SecretString='not-in-any-log'}.ARN)")
recipe -D app_dir="$tmp/app2" -D desired_count=2 -D "secrets={\"DB_PASSWORD\": \"$secret\"}" "$recipe"
expect_match "secrets: the execution role may read exactly that secret" "created +execution_role_secrets" "$out"
policy=$("$FGRUN" -e "local d = require('aws').iam.get_role_policy{RoleName='ecsTaskExecutionRole-$sfx', PolicyName='read-secrets'}.PolicyDocument
  print(d.Statement[1].Resource[1] or d.Statement[1].Resource)")
expect_eq "secrets: the role policy names the secret's ARN" "$secret" "$policy"
cs=$("$FGRUN" -e "local td = require('aws').ecs.describe_task_definition{taskDefinition='fargate-task-$sfx'}.taskDefinition
  print(td.containerDefinitions[1].secrets[1].name, td.containerDefinitions[1].secrets[1].valueFrom)")
expect_eq "secrets: the container gets it by ARN" "DB_PASSWORD	$secret" "$cs"
check "secrets: the value is in no journal" bash -c "! grep -q not-in-any-log '$journal'"

recipe "$recipe" status
expect_eq "status succeeds" "0" "$rc"
expect_match "status lists the steps" "22 recorded steps" "$out"
expect_match "status shows the service" "service fargate-service-$sfx: ACTIVE, 2/2 running" "$out"
expect_match "status shows the load balancer, its zones" "load balancer fargate-alb-$sfx: active, internet-facing, 2 zone" "$out"
expect_match "status shows what is billed: the load balancer and its public IPv4 addresses" \
    "billed while it runs:.*load balancer application fargate-alb-$sfx.*public IPv4 address.*of load balancer zones.*0.005 an hour each" "$(echo $out)"
check "status changes nothing" test "$(stat -c %Y "$journal")" -le "$(date +%s)"

"$FGRUN" -e "local logs = require('aws').logs
  logs.create_log_stream{logGroupName='/ecs/fargate-task-$sfx', logStreamName='ecs/app/t1'}
  logs.put_log_events{logGroupName='/ecs/fargate-task-$sfx', logStreamName='ecs/app/t1',
    logEvents={{timestamp=math.floor(require('fgrun').now()*1000), message='hello from the task'}}}"
recipe "$recipe" logs
expect_match "logs shows the service's log events" "ecs/app/t1 hello from the task" "$out"
"$FGRUN" -e "require('aws').logs.put_log_events{logGroupName='/ecs/fargate-task-$sfx', logStreamName='ecs/app/t1',
    logEvents={{timestamp=math.floor(require('fgrun').now()*1000), message='red \27[31m bell \7 done'}}}"
recipe "$recipe" logs
expect_match "logs escapes control bytes from the network" 'red \\x1b\[31m bell \\x07 done' "$out"
check "logs writes no escape byte to the terminal" bash -c "! printf '%s' \"\$1\" | grep -q \$'\\x1b'" _ "$out"
"$FGRUN" --state-dir "$state" --env local "$recipe" logs -f >"$tmp/follow.out" 2>&1 &
follow=$!
for _ in $(seq 50); do grep -q "hello from the task" "$tmp/follow.out" && break; sleep 0.1; done
"$FGRUN" -e "require('aws').logs.put_log_events{logGroupName='/ecs/fargate-task-$sfx', logStreamName='ecs/app/t1',
    logEvents={{timestamp=math.floor(require('fgrun').now()*1000), message='a later line'}}}"
for _ in $(seq 80); do grep -q "a later line" "$tmp/follow.out" && break; sleep 0.1; done
kill -INT "$follow"; wait "$follow"; rc=$?
expect_match "logs -f follows new events" "a later line" "$(cat "$tmp/follow.out")"
expect_eq "logs -f ends on Ctrl-C with 130" "130" "$rc"
recipe "$recipe" url
expect_match "url prints the service URL" "^http://fargate-alb-$sfx" "$out"
recipe "$recipe" bogus
expect_match "an unknown action is named" 'unknown action "bogus"' "$err"

# arm64 tasks: the image is built for them and the task definition says so
# (no smoke test: this machine's binary in the sample image is not arm64)
recipe -D app_dir="$tmp/app2" -D desired_count=2 -D "secrets={\"DB_PASSWORD\": \"$secret\"}" -D platform=arm64 -D smoke_test=false "$recipe"
expect_eq "platform=arm64 deploys" "0" "$rc"
expect_match "platform=arm64: the image is built for linux/arm64" "building .* \(linux/arm64\)" "$out"
arch=$("$FGRUN" -e "print(require('aws').ecs.describe_task_definition{taskDefinition='fargate-task-$sfx'}.taskDefinition.runtimePlatform.cpuArchitecture)")
expect_eq "platform=arm64: the task definition's runtimePlatform is ARM64" "ARM64" "$arch"
ref=$(printf '%s\n' "$out" | sed -n 's/^building \([^ ]*\) .*/\1/p')
built=$("$FGRUN" -e "print(require('docker').inspect('$ref').Architecture)")
expect_eq "platform=arm64: the Engine built an arm64 image" "arm64" "$built"

recipe --destroy "$recipe"
expect_eq "destroy succeeds" "0" "$rc"
expect_eq "destroy removes 22 steps" "22" "$(printf '%s\n' "$out" | grep -cE '^  (removed|gone) ')"
left=$("$FGRUN" "$root/tests/lib/fargate_leftovers.lua" "$sfx")
expect_eq "after destroy moto holds nothing of the deployment (every list API)" "total 0" "$(printf '%s\n' "$left" | tail -1)"
check "after destroy the journal is gone" test ! -e "$journal"

# Bad input: a clear error before anything is created.
before=$("$FGRUN" -e "print(#require('aws').ecr.describe_repositories{}.repositories)")
subnet=$("$FGRUN" -e "print(require('aws').ec2.describe_subnets{Filters={{Name='default-for-az',Values={'true'}}}}.Subnets[1].SubnetId)")
recipe -D "subnet_ids=[\"$subnet\"]" "$recipe"
expect_eq "subnets in one zone: exit 1" "1" "$rc"
expect_match "subnets in one zone: says the load balancer needs two" "span 1 Availability Zone.*needs two" "$err"
mkdir -p "$tmp/nodockerfile"
recipe -D app_dir="$tmp/nodockerfile" "$recipe"
expect_match "an app folder without a Dockerfile is named" "has no Dockerfile" "$err"
cp -r "$root/recipes/app" "$tmp/broken"
# the server prints its version and exits: nothing answers /health
sed -i 's|^ENTRYPOINT .*|ENTRYPOINT ["/fgrun-demo-app", "--version"]|' "$tmp/broken/Dockerfile"
catalog() { curl -s "http://$FGRUN_TEST_REGISTRY/v2/_catalog"; }
catalog_before=$(catalog)
recipe -D app_dir="$tmp/broken" -D version=broken "$recipe"
expect_match "an image failing its /health probe stops the deploy" "failed its health probe" "$err"
expect_match "... and its last log lines are shown" "Its last log lines:.*fgrun-demo-app" "$(echo $err)"
expect_eq "... and nothing was pushed" "$catalog_before" "$(catalog)"
recipe -D fail_on_severity=HIGH "$recipe"
expect_match "fail_on_severity stops the deploy after the scan" "found HIGH 1 findings at or above HIGH" "$err"
expect_eq "fail_on_severity: no service ever ran the image" "0" "$(printf '%s\n' "$out" | grep -c 'created +service')"
recipe -D desired_count=lots "$recipe"
expect_match "a parameter of the wrong type is named" "desired_count .*expected integer" "$err"
"$FGRUN" --region ap-south-1 -e 'local ec2 = require("aws").ec2
  local vpc = ec2.describe_vpcs{Filters={{Name="is-default",Values={"true"}}}}.Vpcs[1].VpcId
  for _, s in ipairs(ec2.describe_subnets{Filters={{Name="vpc-id",Values={vpc}}}}.Subnets) do ec2.delete_subnet{SubnetId=s.SubnetId} end
  for _, g in ipairs(ec2.describe_internet_gateways{Filters={{Name="attachment.vpc-id",Values={vpc}}}}.InternetGateways) do
    ec2.detach_internet_gateway{InternetGatewayId=g.InternetGatewayId, VpcId=vpc}
    ec2.delete_internet_gateway{InternetGatewayId=g.InternetGatewayId} end
  ec2.delete_vpc{VpcId=vpc}' >/dev/null 2>&1
recipe --region ap-south-1 "$recipe"
expect_match "no default VPC: says to set vpc_id and subnet_ids" "no default VPC: set vpc_id and subnet_ids" "$err"
after=$("$FGRUN" -e "print(#require('aws').ecr.describe_repositories{}.repositories)")
expect_eq "bad input created nothing" "$before" "$after"
check "bad input left no journal" test ! -e "$journal"

# A whole deploy and destroy (image build, smoke test and push included)
# under valgrind: no memory error, no leak.
if command -v valgrind >/dev/null && ! ldd "$FGRUN" | grep -q libasan; then
    vg() {
        valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
            "$FGRUN" --state-dir "$tmp/vg" --env local "$@" "$recipe" >"$tmp/vg.out" 2>"$tmp/vg.err"
    }
    vg; rc=$?
    expect_eq "valgrind: a full deploy has no memory error or leak" "0" "$rc"
    vg --destroy; rc=$?
    expect_eq "valgrind: a full destroy has no memory error or leak" "0" "$rc"
else
    tap_skip "valgrind not available, or an ASan build"
fi

tap_done
