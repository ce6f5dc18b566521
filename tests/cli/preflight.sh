#!/usr/bin/env bash
# The Fargate recipe's checks before anything is created, through the AWS
# simulator (tests/sim): IAM's policy simulator answering from a deny list
# (moto has none), a caller who may not simulate, and a fresh account
# without the ECS and Application Auto Scaling service-linked roles. Each
# case starts from a fresh account (the simulator resets its moto). No
# Docker: -D image=.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
test_moto 3
test_sim --scale 0.01 --behaviours iam.simulate,iam.deny,ecs.slr,autoscaling.slr
recipe=$root/recipes/fargate_alb.lua
account=123456789012
# the mutating calls of the simulator's log (JSON lines)
MUTATING_LOG='"operation": "(Create|Delete|Put|Update|Register|Deregister|Attach|Detach|Authorize|Revoke|Tag|Untag|Start)'

# fresh DENY-JSON: a fresh account whose caller is refused those actions;
# the simulator's log from here on is the case's.
fresh() {
    curl -sf -X POST "$FGRUN_TEST_SIM_URL/__sim/reset?moto=1" >/dev/null
    sim_config "{\"deny\": $1}" >/dev/null
    mark=$(wc -l <"$tmp/sim.log")
    rm -rf "$state"
}
# case_log: the simulator's log lines of this case.
case_log() { tail -n +"$((mark + 1))" "$tmp/sim.log"; }
mutating() { case_log | grep -cE "$MUTATING_LOG"; }
# deploy [args...]: sets out, err, rc.
deploy() { run_fgrun --state-dir "$state" --env local -D image=busybox "$@" "$recipe"; }

fresh '["ecs:TagResource", "iam:PassRole"]'
deploy
expect_eq "permissions missing: exit 1" "1" "$rc"
expect_match "... says the caller may not, and that nothing was created" "may not do what this deployment needs; nothing was created" "$err"
expect_match "... names iam:PassRole on the execution role and why" "iam:PassRole on arn:aws:iam::$account:role/ecsTaskExecutionRole-\\* \\(ECS pulls the image" "$err"
expect_match "... and on the task role" "iam:PassRole on arn:aws:iam::$account:role/ecsTaskRole-\\*" "$err"
expect_match "... and the tag permission of tagging on create" "ecs:TagResource \\(tags given at creation \\(ecs\\); implicitDeny\\)" "$err"
expect_eq "... and AWS saw no mutating call" "0" "$(mutating)"
check "... and no journal was left" test ! -e "$state/fargate-alb.local.json"

fresh '["iam:CreateServiceLinkedRole"]'
deploy
expect_eq "a fresh account, and no iam:CreateServiceLinkedRole: exit 1" "1" "$rc"
expect_match "... the preflight names it, for ECS and its auto scaling" \
    "iam:CreateServiceLinkedRole on arn:aws:iam::$account:role/aws-service-role/ecs.amazonaws.com/\\*.*iam:CreateServiceLinkedRole on .*ecs.application-autoscaling" "$(echo $err)"
expect_eq "... and AWS saw no mutating call" "0" "$(mutating)"

# a secret whose customer key is named by an alias: the recipe resolves the
# alias with DescribeKey, so the preflight asks about it, on the key itself
keyed_secret() { # KMS-KEY-ID-FOR-THE-SECRET(alias or id) -> prints "key-ARN secret-ARN"
    "$FGRUN" -e "local aws = require('aws')
      local k = aws.kms.create_key{}.KeyMetadata
      pcall(aws.kms.create_alias, {AliasName = 'alias/db', TargetKeyId = k.KeyId}) -- moto makes it, then answers null
      local id = '$1' == 'alias' and 'alias/db' or k.KeyId
      print(k.Arn, aws.secretsmanager.create_secret{Name = 'db', SecretString = 'x', KmsKeyId = id}.ARN)"
}
fresh '["kms:DescribeKey"]'
read -r key secret <<<"$(keyed_secret alias)"
mark=$(wc -l <"$tmp/sim.log")
deploy -D "secrets={\"DB\":\"$secret\"}"
expect_eq "a secret's key named by an alias, and no kms:DescribeKey: exit 1" "1" "$rc"
expect_match "... the preflight names kms:DescribeKey on the key behind the alias, and why" \
    "kms:DescribeKey on ${key//./\\.} \\(secret .* is encrypted with the key of alias/db" "$err"
expect_eq "... and AWS saw no mutating call" "0" "$(mutating)"
fresh '["kms:DescribeKey", "ecs:TagResource"]'
read -r _ secret <<<"$(keyed_secret id)"
deploy -D "secrets={\"DB\":\"$secret\"}"
expect_match "a secret's key named by its id: the preflight does not ask for kms:DescribeKey" \
    "ecs:TagResource" "$err"
expect_no_match "... (only for what is missing otherwise)" "kms:DescribeKey" "$err"

fresh '["iam:SimulatePrincipalPolicy"]'
deploy -D 'subnet_ids=["subnet-00000000"]'
expect_match "a caller who may not simulate: a note, then the deploy goes on" \
    "permissions not checked beforehand: IAM's policy simulator answered AccessDenied \\(the check needs iam:SimulatePrincipalPolicy" "$err"
expect_match "... (to the next check here: a subnet that does not exist)" "subnet_ids: .*subnet-00000000" "$err"

fresh '[]'
deploy
expect_eq "a fresh account with every permission: deploys" "0" "$rc"
slr=$(case_log | python3 -c 'import json,sys
ops = [json.loads(line).get("operation") for line in sys.stdin]
first = lambda op: ops.index(op) if op in ops else -1
print(ops.count("CreateServiceLinkedRole"), -1 < first("CreateServiceLinkedRole") < first("CreateCluster"))')
expect_eq "... its two service-linked roles made by fgrun, before the cluster" "2 True" "$slr"
"$FGRUN" --state-dir "$state" --env local -D image=busybox --destroy "$recipe" >/dev/null 2>&1
expect_eq "... and destroyed" "0" "$?"
roles=$("$FGRUN" -e 'print(#require("aws").iam.list_roles{PathPrefix="/aws-service-role/"}.Roles)')
expect_eq "... the service-linked roles stay (the account's other stacks use them)" "2" "$roles"
tap_done
