#!/usr/bin/env bash
# The resource types of fg.aws against moto (tests/fixtures/recipes/types.lua):
# every field is changed by one parameter, one at a time; AWS must then
# hold the new value and nothing else may differ (tests/lib/snapshot.lua
# compares moto's state, not the journal); a re-run changes nothing; going
# back restores the first state exactly. Then replacements interrupted at
# each of their requests, by an error and by kill -9, must end consistent:
# a re-run or --destroy leaves exactly what it should.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
. "$root/tests/lib/change_case.sh"
here=$root/tests
recipe=$here/fixtures/recipes/types.lua
test_moto shared
moto=$FGRUN_TEST_MOTO_URL

# types NAME [options...]: runs the test recipe as deployment NAME; sets out, err, rc.
types() { local name=$1; shift; run_fgrun --state-dir "$state" -D name="$name" "$@" "$recipe"; }
# snap NAME: moto's state of deployment NAME (its names carry NAME-<suffix>)
suffix() { sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$state/$1.json" 2>/dev/null; }
snap() { AWS_ENDPOINT_URL=$moto "$FGRUN" "$here/lib/snapshot.lua" "$1-${2:-$(suffix "$1")}"; }
total() { snap "$@" | sed -n 's/^total //p'; }

types tyt
expect_eq "deploy succeeds" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" | tail -5 | sed 's/^/# /'
sfx=$(suffix tyt)
# moto keeps only some of CreateService's fields (the capacity strategy,
# grace period, deployment configuration and ECS Exec are dropped) but all
# of UpdateService's: after one change and back, moto holds them all
# (settle; cases that make a new service settle again).
settle() { types tyt "$@" -D grace=61; types tyt "$@"; }
deploy() { types tyt "$@"; }
snapshot() { snap tyt; }
settle
base=$(snap tyt)
expect_match "moto holds every resource" "^total 14$" "$(printf '%s\n' "$base" | tail -1)"

# Every field of every type is changed below but these: the listener's
# protocol, certificate and ssl_policy (HTTPS needs a certificate this
# fixture does not make), a target group's target_type (Fargate tasks are
# ip targets: AWS refuses an instance group for them), a rule set's
# direction (a step owns its direction: the other one is another step's),
# a repository's force_delete (no state in AWS: how --destroy removes it).
N='tyt-[0-9a-f]+'
# The short form (tests/run): one in-place change per service's update
# calls, one replacement that moves its dependents, and interruptions at two
# requests of each replacement.
SHORT_CASES="repo_scan retention sg_name role_description cpu idle_timeout spot min_capacity"
SG_USERS='^(security_group|sg_rule|load_balancer|ecs_service) '
change_case repo_scan=false "updated repository" "^ecr_repository " "^ecr_repository $N-repo scan=false "
change_case repo_mutability=IMMUTABLE "updated repository" "^ecr_repository " " mutability=IMMUTABLE "
change_case repo_name=repo2 "replaced repository" "^ecr_repository " "^ecr_repository $N-repo2 scan=true "
change_case retention=14 "updated log_group" "^log_group " "^log_group /tyt/$N/logs retention=14$"
change_case log_name=other "replaced log_group" "^(log_group|task_definition|ecs_service) " "\"awslogs-group\":\"/tyt/$N/other\""
change_case sg_name=sg2 "replaced security_group" "$SG_USERS" "^ecs_service .* groups=$N-sg2 "
change_case sg_description=other "replaced security_group" "$SG_USERS" "^security_group $N-sg-[0-9]+ description=other$"
change_case ingress_port=9090 "updated ingress" "^sg_rule .* ingress " "^sg_rule $N-sg ingress tcp 9090-9090 cidr 10.0.0.0/16$"
change_case ingress_cidr=10.9.0.0/16 "updated ingress" "^sg_rule .* ingress " "^sg_rule $N-sg ingress tcp 8080-8080 cidr 10.9.0.0/16$"
change_case egress_port=80 "updated egress" "^sg_rule .* egress " "^sg_rule $N-sg egress tcp 80-80 cidr 0.0.0.0/0$"
ROLE_USERS='^(iam_role|iam_role_attachment|iam_role_policy|task_definition|ecs_service) '
change_case role_name=role2 "replaced role" "$ROLE_USERS" "^task_definition .* execution_role=$N-role2 "
change_case role_service=ecs.amazonaws.com "updated role" "^iam_role " '"Service":"ecs.amazonaws.com"'
change_case role_description=changed "updated role" "^iam_role " "^iam_role $N-role description=changed "
change_case role_source_account=123456789012 "updated role" "^iam_role " '"aws:SourceAccount":"123456789012"'
change_case "role_source_arn=arn:aws:ecs:us-east-1:123456789012:*" "updated role" "^iam_role " \
    '"aws:SourceArn":"arn:aws:ecs:us-east-1:123456789012:\*"'
change_case managed_policy=AmazonEC2ContainerServiceRole "replaced managed_policy" "^iam_role_attachment " \
    "^iam_role_attachment $N-role .*service-role/AmazonEC2ContainerServiceRole$"
change_case policy_action=s3:PutObject "updated policy" "^iam_policy " "^iam_policy $N-policy .*versions=1 .*s3:PutObject"
change_case policy_description=other "replaced policy" "^(iam_policy|iam_role_attachment) " "^iam_role_attachment .*policy/$N-policy-[0-9]+$"
change_case policy_name=policy2 "replaced policy" "^(iam_policy|iam_role_attachment) " "^iam_role_attachment $N-role .*policy/$N-policy2$"
change_case inline_action=sqs:ReceiveMessage "updated inline_policy" "^iam_role_policy " "sqs:ReceiveMessage"
change_case inline_name=receive "replaced inline_policy" "^iam_role_policy " "^iam_role_policy $N-role receive "
SCALED='^(ecs_cluster|ecs_service|scalable_target|scaling_policy) '
change_case cluster_name=cluster2 "replaced cluster" "$SCALED" "^scalable_target service/$N-cluster2/$N-svc(-[0-9]+)? " new-service
change_case insights=enabled "updated cluster" "^ecs_cluster " '"value":"enabled"'
change_case default_spot_weight=2 "updated cluster" "^ecs_cluster " '"capacityProvider":"FARGATE_SPOT","weight":2'
change_case cluster_providers=FARGATE "updated cluster" "^ecs_cluster " '^ecs_cluster [^ ]+ providers=\["FARGATE"\] '
TD='^(task_definition|ecs_service) '
change_case family=td2 "replaced task_definition" "$TD" "^ecs_service .* td=$N-td2@latest "
change_case "cpu=512 memory=1024" "updated task_definition" "$TD" "^task_definition $N-td cpu=512 memory=1024 "
change_case memory=1024 "updated task_definition" "$TD" "^task_definition $N-td cpu=256 memory=1024 "
change_case arch=ARM64 "updated task_definition" "$TD" "^task_definition .* arch=ARM64 "
change_case image=busybox:2 "updated task_definition" "$TD" '"image":"busybox:2"'
change_case env_value=b "updated task_definition" "$TD" '"value":"b"'
change_case container_port=9090 "updated task_definition" "$TD" "^ecs_service .* lbs=$N-tg:app:9090 "
change_case log_prefix=app "updated task_definition" "$TD" '"awslogs-stream-prefix":"app"'
change_case health_interval=15 "updated task_definition" "$TD" '"interval":15'
change_case task_role=true "updated task_definition" "$TD" "^task_definition $N-td .* task_role=$N-role "
LB='^(load_balancer|listener|listener_rule) '
change_case lb_name=lb2 "replaced load_balancer" "$LB" "^listener_rule $N-lb2:80 "
change_case scheme=internal "replaced load_balancer" "$LB" "^load_balancer $N-lb-[0-9]+ scheme=internal "
change_case idle_timeout=120 "updated load_balancer" "^load_balancer " "idle_timeout.timeout_seconds=120"
change_case drop_invalid=false "updated load_balancer" "^load_balancer " "drop_invalid_header_fields.enabled=false"
change_case ip_type=dualstack "updated load_balancer" "^load_balancer " " ip=dualstack "
change_case subnet_count=3 "updated load_balancer" "^(load_balancer|ecs_service) " "^ecs_service .* subnets=[^,]+,[^,]+,[^, ]+ "
TG='^(target_group|listener|listener_rule|ecs_service) '
change_case tg_name=tg2 "replaced target_group" "$TG" "^ecs_service .* lbs=$N-tg2:app:8080 "
change_case tg_port=9090 "replaced target_group" "$TG" "^target_group $N-tg-[0-9]+ port=9090 "
change_case tg_protocol=HTTPS "replaced target_group" "$TG" "^listener $N-lb port=80 protocol=HTTP forward=$N-tg-[0-9]+$"
change_case hc_path=/ready "updated target_group" "^target_group " "health=/ready,"
change_case hc_interval=10 "updated target_group" "^target_group " "health=/health,10,4,"
change_case hc_timeout=3 "updated target_group" "^target_group " "health=/health,5,3,"
change_case healthy=3 "updated target_group" "^target_group " "health=/health,5,4,3,2,"
change_case unhealthy=3 "updated target_group" "^target_group " "health=/health,5,4,2,3,"
change_case matcher=200-299 "updated target_group" "^target_group " "health=.*,200-299 "
change_case dereg=5 "updated target_group" "^target_group " "deregistration_delay=5$"
change_case listener_port=8080 "updated listener" "^(listener|listener_rule) " "^listener_rule $N-lb:8080 "
change_case rule_priority=20 "updated rule" "^listener_rule " "priority=20 "
change_case rule_path=/v2/* "updated rule" "^listener_rule " '"/v2/\*"'
change_case rule_host=api.example.com "updated rule" "^listener_rule " '"host-header".*"api.example.com"'
change_case service_name=svc2 "replaced service" "^(ecs_service|scalable_target|scaling_policy) " "^scalable_target service/$N-cluster/$N-svc2 " new-service
change_case spot=true "updated service" "^ecs_service " '"capacityProvider":"FARGATE_SPOT"'
# back to the launch type: an empty strategy (UpdateService's capacityProviderStrategy)
change_case launch_type=true "updated service" "^ecs_service " " strategy=\[\] subnets="
change_case platform_version=1.4.0 "updated service" "^ecs_service " " platform=1.4.0 "
change_case grace=30 "updated service" "^ecs_service " " grace=30 "
change_case max_percent=150 "updated service" "^ecs_service " '"maximumPercent":150'
change_case min_healthy=50 "updated service" "^ecs_service " '"minimumHealthyPercent":50'
change_case breaker=false "updated service" "^ecs_service " '"enable":false'
change_case exec=true "updated service" "^ecs_service " " exec=true "
change_case public_ip=false "updated service" "^ecs_service " " public_ip=DISABLED "
change_case service_tag=b "updated service" "^ecs_service " " tags=team=b$"
change_case min_capacity=2 "updated scaling" "^scalable_target " " min=2 max=4$"
change_case max_capacity=6 "updated scaling" "^scalable_target " " min=1 max=6$"
change_case scaling_target=50 "updated scaling_policy" "^scaling_policy " " target=50.0 "
change_case cooldown=120 "updated scaling_policy" "^scaling_policy " " cooldown=120/120$"
change_case metric=ECSServiceAverageMemoryUtilization "updated scaling_policy" "^scaling_policy " "metric=ECSServiceAverageMemoryUtilization "
change_case metric=ALBRequestCountPerTarget "updated scaling_policy" "^scaling_policy " \
    "metric=ALBRequestCountPerTarget@app/$N-lb/[0-9a-f]+/targetgroup/$N-tg/[0-9a-f]+ "
change_case scaling_name=cpu2 "replaced scaling_policy" "^scaling_policy " "^scaling_policy $N-cpu2 "

# The desired count belongs to auto scaling once a scalable target exists:
# a new desired_count is not sent (it would undo a scale-out), and an
# update of anything else leaves a scaled-out count alone.
"$FGRUN" -e "require('aws').ecs.update_service{cluster='tyt-$sfx-cluster', service='tyt-$sfx-svc', desiredCount=4}"
types tyt -vv -D desired=3 -D image=busybox:3
expect_match "under auto scaling: the service is updated" "updated +service" "$out"
update=$(printf '%s\n' "$err" | grep -E '^> \{.*"service":"tyt-[0-9a-f]+-svc"')
expect_match "... UpdateService is sent with the new task definition" '"taskDefinition":"[^"]*td:' "$update"
expect_eq "... without desiredCount" "" "$(printf '%s\n' "$update" | grep desiredCount)"
expect_match "... and the count auto scaling set stays" "^ecs_service .* desired=4 " "$(snap tyt)"
"$FGRUN" -e "require('aws').ecs.update_service{cluster='tyt-$sfx-cluster', service='tyt-$sfx-svc', desiredCount=2}"
types tyt

# Bad input: an error that names the step, the field and what to do, and no call.
types tyt -v -D retention=10
expect_match "an invalid log retention is refused, naming the values AWS accepts" \
    "step log_group \(log_group\): field retention_days: 10 days is not a retention .* use one of 1, 3, 5, 7, 14" "$err"
expect_eq "... before any mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"
types tyt -v -D repo_encryption=KMS
expect_match "a change AWS never allows (repository encryption) is refused, naming the step, the field and what to do" \
    "step repository \(ecr_repository\): field encryption cannot change \(ECR never changes .*\); restore it" "$err"
expect_eq "... before any mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"
types tyt -D role_source_account=12
expect_match "a malformed account id is refused" "field source_account: an AWS account id is 12 digits" "$err"
expect_eq "after the refused runs AWS holds the first state" "$base" "$(snap tyt)"

types tyt --destroy
expect_eq "--destroy succeeds" "0" "$rc"
expect_eq "--destroy leaves nothing" "0" "$(total tyt "$sfx")"

# -- a journal whose retired resources were tampered with --------------------
# A retired resource's removal comes from the recipe's own undo, or, from
# the journal alone, only after the same checks as every other removal.
types tyj -D scope=core
python3 - "$state/tyj.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
role = next(e for e in j["steps"] if e["name"] == "role")
old = dict(role["result"], name=role["result"]["name"] + "-old")
role["retired"] = [{"inputs": role["inputs"], "result": old, "undo": [{"call": "iam.attach_role_policy",
    "params": {"RoleName": role["result"]["name"], "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}]}]
json.dump(j, open(sys.argv[1], "w"))
PY
cp "$state/tyj.json" "$tmp/tyj.json"
out=$("$FGRUN" --destroy "$state/tyj.json" 2>&1); rc=$?
expect_match "journal-only --destroy refuses a retired resource whose undo is not a removal" \
    "step role: its undo calls iam.attach_role_policy, which removes nothing" "$out"
cp "$tmp/tyj.json" "$state/tyj.json"
types tyj -D scope=core
attached=$(AWS_ENDPOINT_URL=$moto "$FGRUN" -e "local t = require('aws').iam.list_attached_role_policies{RoleName='tyj-$(suffix tyj)-role'}.AttachedPolicies print(#t)")
expect_eq "a run with the recipe retires it by the recipe's own undo (nothing attached)" "0" "$attached"
types tyj -D scope=core --destroy
expect_eq "... and --destroy leaves nothing" "0" "$(total tyj "$(sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$tmp/tyj.json")")"

# -- a replacement interrupted at each of its requests ------------------------
# A replacement makes the new resource, moves its dependents onto it and
# removes the old one at the end. Interrupted at request N (the proxy
# forwards it, so AWS acts, then holds the answer while fgrun is killed
# with -9; or answers 500, no retry), the deployment must end consistent:
# a re-run reaches exactly the state of an uninterrupted replacement,
# --destroy leaves nothing. Odd N: kill then re-run; even N: kill then
# --destroy; every N: the error, then a re-run.
norm() { sed -E 's/ty[a-z]+[0-9]*-[0-9a-f]{6}/X/g'; }
MUTATING_OP='\.(Create|Delete|Put|Update|Register|Deregister|Attach|Detach|Authorize|Revoke|Modify|Set)'

# interrupted TAG SCOPE DEFINE all|mutating
interrupted() {
    local tag=$1 scope=$2 define=$3 which=$4 want points n name sfx got first before after consistent
    local kill_ok=0 kill_runs=0 destroy_ok=0 destroy_runs=0 error_ok=0 count=0
    types "${tag}0" -D scope="$scope"
    [ "$scope" = all ] && settle_name "${tag}0"
    types "${tag}0" -D scope="$scope" -D "$define"
    [ "$scope" = all ] && settle_name "${tag}0" -D "$define"
    want=$(snap "${tag}0" | norm)
    types "${tag}0" -D scope="$scope"
    start_proxy "$tmp/p-count" "$moto"
    AWS_ENDPOINT_URL=$PROXY_URL types "${tag}0" -D scope="$scope" -D "$define"
    stop_proxy
    types "${tag}0" -D scope="$scope" --destroy
    if [ "$which" = all ]; then points=$(seq "$(proxy_requests "$tmp/p-count")")
    else points=$(grep -v '^#' "$tmp/p-count/proxy.log" | grep -E "$MUTATING_OP" | awk '{print $1}'); fi
    # the short form: the middle request and the last (the old one's removal)
    long_form || points=$(printf '%s\n' $points | awk '{ p[NR] = $0 } END { print p[int((NR + 1) / 2)]; if (NR > 1) print p[NR] }')
    for n in $points; do
        count=$((count + 1))
        name=$tag$n
        types "$name" -D scope="$scope"
        sfx=$(suffix "$name")
        start_proxy "$tmp/p-kill" "$moto" --hold "$n" --stall 30
        AWS_ENDPOINT_URL=$PROXY_URL "$FGRUN" --state-dir "$state" -D name="$name" -D scope="$scope" -D "$define" \
            "$recipe" >/dev/null 2>&1 &
        local pid=$!
        for _ in $(seq 200); do grep -q '^# held' "$tmp/p-kill/proxy.log" 2>/dev/null && break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        stop_proxy
        if [ $((count % 2)) = 1 ]; then
            kill_runs=$((kill_runs + 1))
            types "$name" -D scope="$scope" -D "$define"
            [ "$scope" = all ] && [ "$rc" = 0 ] && settle_name "$name" -D "$define"
            got=$(snap "$name" | norm)
            first=$rc
            types "$name" -D scope="$scope" --destroy
            if [ "$first" = 0 ] && [ "$got" = "$want" ] && [ "$(total "$name" "$sfx")" = 0 ]; then kill_ok=$((kill_ok + 1))
            else echo "# $tag: kill at request $n, then a re-run: exit $first"; diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'; fi
        else
            destroy_runs=$((destroy_runs + 1))
            types "$name" -D scope="$scope" --destroy
            if [ "$rc" = 0 ] && [ "$(total "$name" "$sfx")" = 0 ]; then destroy_ok=$((destroy_ok + 1))
            else echo "# $tag: kill at request $n, then --destroy: exit $rc, $(total "$name" "$sfx") left"; fi
        fi

        name=${tag}e$n
        types "$name" -D scope="$scope"
        [ "$scope" = all ] && settle_name "$name"
        before=$(snap "$name")
        sfx=$(suffix "$name")
        start_proxy "$tmp/p-err" "$moto" --after $((n - 1)) --max 1 --faults 500
        AWS_ENDPOINT_URL=$PROXY_URL AWS_MAX_ATTEMPTS=1 types "$name" -D scope="$scope" -D "$define"
        first=$rc
        stop_proxy
        after=$(snap "$name")
        # failed before the end: rolled back to the first state; failed while
        # removing the old one: the new one is in use, the old still recorded
        consistent=no
        if [ "$after" = "$before" ] || grep -q '"retired"' "$state/$name.json"; then consistent=yes; fi
        types "$name" -D scope="$scope" -D "$define"
        [ "$scope" = all ] && settle_name "$name" -D "$define"
        got=$(snap "$name" | norm)
        types "$name" -D scope="$scope" --destroy
        if [ "$consistent" = yes ] && [ "$got" = "$want" ] && [ "$(total "$name" "$sfx")" = 0 ]; then error_ok=$((error_ok + 1))
        else echo "# $tag: error at request $n: first run exit $first, consistent: $consistent"; diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'; fi
    done
    expect_eq "$define ($which requests: $count): killed (-9) at each odd one, a re-run ends in the replaced state, nothing left over" "$kill_runs" "$kill_ok"
    expect_eq "$define: killed at each even one, --destroy leaves nothing" "$destroy_runs" "$destroy_ok"
    expect_eq "$define: an error at each one rolls back (or leaves the old one recorded), a re-run completes it, --destroy leaves nothing" "$count" "$error_ok"
}
settle_name() { local name=$1; shift; types "$name" "$@" -D grace=61; types "$name" "$@"; }

# the security group and, through its new id, both rule sets: every request
interrupted tyk core sg_name=sg2 all
# the target group, then the listener, the rule and the service moved onto
# it: every request that changes something
interrupted tyg all tg_port=9090 mutating

tap_done
