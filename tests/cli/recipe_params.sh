#!/usr/bin/env bash
# Every parameter of the Fargate recipe (the README's table), changed one
# at a time against moto with a prebuilt image (the image parameters that
# need Docker are in tests/cli/recipe.sh, the strategy parameters, which
# need ECS's service deployments, in tests/cli/recipe_strategies.sh through
# the simulator): AWS must then hold the new value
# and nothing else may differ (tests/lib/snapshot.lua reads moto's state,
# not the journal); a re-run changes nothing; going back restores the
# first state; values AWS would refuse stop the run before any call; and
# --destroy leaves nothing.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
. "$root/tests/lib/change_case.sh"
recipe=$root/recipes/fargate_alb.lua
# A moto of its own: it reports the three tasks of env/local.lua running.
test_moto 3

deploy() { run_fgrun --state-dir "$state" --env local -D image=busybox:1 "$@" "$recipe"; }
sfx() { sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$state/fargate-alb.local.json"; }
snapshot() { "$FGRUN" "$root/tests/lib/snapshot.lua" "$sfx"; }
# moto drops some of CreateService's fields and keeps UpdateService's
settle() { deploy "$@" -D spot=true; deploy "$@"; }

deploy
expect_eq "deploy succeeds" "0" "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$err" | grep -v '^ ' | tail -3 | sed 's/^/# /'
sfx=$(sfx)
settle
base=$(snapshot)
expect_match "moto holds the deployment" "^total 1[0-9]$" "$(printf '%s\n' "$base" | tail -1)"
S="[a-z0-9]{6}"
# issue 21 item 8: a 30 s drain (AWS's default is 300) and a health check
# that finds a task healthy in 10 s, unless told otherwise
expect_match "defaults: deregistration delay 30 s, health check every 5 s, healthy after 2" \
    "^target_group fargate-tg-$S port=3000 protocol=HTTP type=ip health=/health,5,4,2,2,200 deregistration_delay=30$" "$base"

# The short form (tests/run): a change of each kind of resource the
# parameters reach (the service, auto scaling, the task definition, the
# moves to another VPC, the secrets' policy, the log group, the target group).
SHORT_CASES="desired_count cpu_target cpu vpc_id secrets log_retention_days health_check_path"
change_case desired_count=2 "updated service" "^ecs_service " "^ecs_service fargate-service-$S .* desired=3 "
change_case min_capacity=1 "updated scalable_target" "^scalable_target " " min=1 max=10$"
change_case max_capacity=5 "updated scalable_target" "^scalable_target " " min=2 max=5$"
change_case cpu_target=50 "updated cpu_scaling" "^scaling_policy .*-cpu-scaling " "metric=ECSServiceAverageCPUUtilization target=50.0 "
change_case memory_target=60 "updated memory_scaling" "^scaling_policy .*-memory-scaling " "metric=ECSServiceAverageMemoryUtilization target=60.0 "
TD='^(task_definition|ecs_service) '
change_case "cpu=512 memory=1024" "updated task_definition" "$TD" "^task_definition fargate-task-$S cpu=512 memory=1024 "
change_case memory=1024 "updated task_definition" "$TD" "^task_definition fargate-task-$S cpu=256 memory=1024 "
change_case platform=arm64 "updated task_definition" "$TD" " arch=ARM64 "
change_case image=busybox:2 "updated task_definition" "$TD" '"image":"busybox:2"'
change_case spot=true "updated service" "^ecs_service " '"capacityProvider":"FARGATE_SPOT"'
subnets=$("$FGRUN" -e 'local ec2 = require("aws").ec2
  local vpc = ec2.describe_vpcs{Filters={{Name="is-default",Values={"true"}}}}.Vpcs[1].VpcId
  local t = {} for _, s in ipairs(ec2.describe_subnets{Filters={{Name="vpc-id",Values={vpc}}}}.Subnets) do t[#t+1] = s.SubnetId end
  table.sort(t) print(table.concat(t, " ", 1, 3))')
set -- $subnets
change_case "subnet_ids=[\"$1\",\"$2\",\"$3\"]" "updated load_balancer" "^(load_balancer|ecs_service) " \
    "^load_balancer fargate-alb-$S .*subnets=[^,]+,[^,]+,[^, ]+ "
# another VPC: the security groups, the target group and the load balancer
# are replaced (none can move), the listener follows its load balancer, the
# service moves onto the new ones; the old ones are removed
other=$("$FGRUN" -e 'local ec2 = require("aws").ec2
  local vpc = ec2.create_vpc{CidrBlock="10.20.0.0/16"}.Vpc.VpcId
  local a = ec2.create_subnet{VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a"}.Subnet.SubnetId
  local b = ec2.create_subnet{VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="us-east-1b"}.Subnet.SubnetId
  local s = {a, b} table.sort(s) print(vpc, s[1], s[2])')
set -- $other
MOVED="^(security_group|sg_rule|target_group|load_balancer|listener|ecs_service) "
# (one NEW-LINE-REGEX a line)
IN_VPC="^ecs_service .* subnets=$2,$3 "$'\n'"^security_group fargate-sg-$S(-[0-9]+)? vpc=$1\$"$'\n'
IN_VPC+="^security_group fargate-alb-$S-sg(-[0-9]+)? vpc=$1\$"$'\n'"^target_group fargate-tg-$S(-[0-9]+)? vpc=$1\$"
change_case "vpc_id=$1 subnet_ids=[\"$2\",\"$3\"]" "replaced load_balancer" "$MOVED" "$IN_VPC"
# subnet_ids alone: the VPC is theirs, not the default one (issue 21 item 4:
# the groups and target group went into the default VPC, the load balancer
# where the subnets are)
change_case "subnet_ids=[\"$2\",\"$3\"]" "replaced load_balancer" "$MOVED" "$IN_VPC"
secret=$("$FGRUN" -e "print(require('aws').secretsmanager.create_secret{Name='db-$sfx', SecretString='x'}.ARN)")
change_case "secrets={\"DB_PASSWORD\":\"$secret:password::\"}" "created execution_role_secrets" \
    "^(iam_role_policy|task_definition|ecs_service) " \
    "^iam_role_policy ecsTaskExecutionRole-$S read-secrets .*\"Resource\":\\[\"$secret\"\\]"
# a partial ARN (no random suffix) of a secret encrypted with a customer key
# named by its alias: the policy names the secret's full ARN, and
# kms:Decrypt the key itself (an alias in a policy grants nothing on it)
key=$("$FGRUN" -e "local kms = require('aws').kms
  local k = kms.create_key{}.KeyMetadata
  pcall(kms.create_alias, {AliasName='alias/db-$sfx', TargetKeyId=k.KeyId}) -- moto makes it, then answers null
  print(k.Arn)")
keyed=$("$FGRUN" -e "print(require('aws').secretsmanager.create_secret{Name='keyed-$sfx', SecretString='x', KmsKeyId='alias/db-$sfx'}.ARN)")
change_case "secrets={\"DB_PASSWORD\":\"${keyed%-??????}\"}" "created execution_role_secrets" \
    "^(iam_role_policy|task_definition|ecs_service) " \
    "^iam_role_policy ecsTaskExecutionRole-$S read-secrets .*\"Resource\":\\[\"$keyed\"\\].*\"kms:Decrypt\".*\"Resource\":\\[\"$key\"\\]"
change_case 'task_permissions=[{"actions":["s3:GetObject"],"resources":["arn:aws:s3:::reports/*"]}]' \
    "created task_role_policy" "^iam_role_policy " '^iam_role_policy ecsTaskRole-[a-z0-9]{6} app .*"arn:aws:s3:::reports/\*"'
# ECS Exec: the service's flag, and the task role's channels it needs
EXEC_POLICY='"ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel","ssmmessages:OpenControlChannel",'
EXEC_POLICY+='"ssmmessages:OpenDataChannel"'
change_case exec=true "created task_role_exec" "^(iam_role_policy|ecs_service) " \
    "^ecs_service .* exec=true "$'\n'"^iam_role_policy ecsTaskRole-$S ecs-exec .*$EXEC_POLICY"
change_case container_port=8080 "replaced target_group" "^(sg_rule|task_definition|target_group|listener|ecs_service) " \
    "^ecs_service .* lbs=fargate-tg-$S(-[0-9]+)?:fargate-demo-container:8080 "
change_case log_retention_days=14 "updated log_group" "^log_group " "retention=14$"
TG="^target_group "
change_case health_check_path=/ready "updated target_group" "$TG" "health=/ready,5,4,2,2,200 "
change_case health_check_interval=10 "updated target_group" "$TG" "health=/health,10,4,2,2,200 "
change_case health_check_timeout=3 "updated target_group" "$TG" "health=/health,5,3,2,2,200 "
change_case healthy_threshold=3 "updated target_group" "$TG" "health=/health,5,4,3,2,200 "
change_case unhealthy_threshold=3 "updated target_group" "$TG" "health=/health,5,4,2,3,200 "
change_case deregistration_delay=10 "updated target_group" "$TG" "deregistration_delay=10$"
change_case deploy_timeout=600 "updated service" "^$" "^ecs_service "

# Values AWS would refuse: one error line naming the parameter, no call
# that changes anything, AWS as it was.
refused() {
    local what=$1 pattern=$2; shift 2
    deploy -v "$@"
    expect_match "$what: refused, saying why" "$pattern" "$err"
    expect_eq "$what: before any mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"
}
refused "log retention of 10 days" "parameter log_retention_days: field retention_days: 10 days is not a retention" -D log_retention_days=10
refused "a CPU size Fargate lacks" "parameter cpu: field cpu: cpu 300 is not a Fargate size" -D cpu=300
refused "memory that does not go with the CPU" "memory 512 does not go with cpu 1024 on Fargate" -D cpu=1024
refused "a wildcard secret ARN" "parameter secrets: secret DB: .* has a wildcard" \
    -D 'secrets={"DB":"arn:aws:secretsmanager:us-east-1:123456789012:secret:*"}'
refused "a secret given by name" "is not a Secrets Manager secret ARN" -D 'secrets={"DB":"db-password"}'
refused "task permissions on every resource" "parameter task_permissions: statement 1: resource \"\\*\" names no resource" \
    -D 'task_permissions=[{"actions":["s3:*"],"resources":["*"]}]'
refused "a health check timeout not below the interval" "health_check_timeout \\(5\\) must be less than health_check_interval \\(5\\)" \
    -D health_check_timeout=5
refused "an unknown severity" "parameter fail_on_severity: fail_on_severity must be one of CRITICAL" -D fail_on_severity=SEVERE
refused "an unknown platform" "parameter platform: .*sparc" -D platform=sparc
expect_eq "after the refused runs AWS holds the first state" "$base" "$(snapshot)"

deploy --destroy
expect_eq "--destroy succeeds" "0" "$rc"
expect_eq "--destroy leaves nothing" "total 0" "$(snapshot | tail -1)"
tap_done
