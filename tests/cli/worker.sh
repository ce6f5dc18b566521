#!/usr/bin/env bash
# recipes/worker.lua end to end against moto, as `make demo` runs the
# Fargate recipe: deploy, re-run, status, logs, changes (each checked in
# moto's state by tests/lib/snapshot.lua), bad input, destroy.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
. "$root/tests/lib/change_case.sh"
recipe=$root/recipes/worker.lua
# A moto of its own: it reports the worker's one task running.
test_moto 1

deploy() { run_fgrun --state-dir "$state" "$@" "$recipe"; }
# act ACTION: status, logs, url (after the recipe)
act() { run_fgrun --state-dir "$state" "$recipe" "$@"; }
snapshot() { "$FGRUN" "$root/tests/lib/snapshot.lua" "$sfx"; }
# moto drops some of CreateService's fields and keeps UpdateService's
settle() { deploy "$@" -D exec=true; deploy "$@"; }

deploy
expect_eq "deploy succeeds" "0" "$rc"
expect_eq "deploy creates 11 steps" "11" "$(printf '%s\n' "$out" | grep -c '^  created ')"
expect_match "the summary names the log group" "logs: /ecs/worker-" "$out"
sfx=$(sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$state/worker.json")
snap=$(snapshot)
expect_match "a service with no load balancer" "^ecs_service worker-$sfx .* lbs= " "$snap"
expect_eq "no load balancer, no target group" "" "$(printf '%s\n' "$snap" | grep -E '^(load_balancer|target_group|listener)')"
expect_eq "no way in, out only over HTTPS" "sg_rule worker-$sfx egress tcp 443-443 cidr 0.0.0.0/0" \
    "$(printf '%s\n' "$snap" | grep '^sg_rule')"
expect_match "the worker's command" '"command":\["sh","-c","while true; do echo working; sleep 30; done"\]' \
    "$("$FGRUN" -e "print(require('json').encode(require('aws').ecs.describe_task_definition{taskDefinition='worker-$sfx'}.taskDefinition.containerDefinitions[1]))")"

# moto drops some of CreateService's fields (AWS keeps them): the second
# run reads them as changed outside fgrun and sets them back
deploy
expect_match "a second run sets back what moto dropped (drift)" "updated +service .*changed outside fgrun: " "$out"
deploy -v
expect_eq "re-run: every step unchanged" "11" "$(printf '%s\n' "$out" | grep -c '^  unchanged ')"
expect_eq "re-run makes no mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"

act status
expect_match "status lists the steps" "worker: 11 recorded steps" "$out"
expect_match "status shows the service" "service worker-$sfx: ACTIVE, 1/1 running" "$out"
"$FGRUN" -e "local logs = require('aws').logs
  logs.create_log_stream{logGroupName='/ecs/worker-$sfx', logStreamName='ecs/worker/t1'}
  logs.put_log_events{logGroupName='/ecs/worker-$sfx', logStreamName='ecs/worker/t1',
    logEvents={{timestamp=math.floor(require('fgrun').now()*1000), message='working'}}}"
act logs
expect_match "logs shows the worker's events" "ecs/worker/t1 working" "$out"
act url
expect_match "url (an action of every deployment): a worker has none" "worker is not deployed \(no URL recorded\)" "$err"

settle
base=$(snapshot)
S="[a-z0-9]{6}"
change_case spot=false "updated service" "^ecs_service " '"capacityProvider":"FARGATE","weight":1'
change_case 'command=["sleep","60"]' "updated task_definition" "^(task_definition|ecs_service) " '"image":"public.ecr.aws/docker/library/busybox:stable"'
change_case 'environment={"QUEUE":"jobs"}' "updated task_definition" "^(task_definition|ecs_service) " '"name":"QUEUE","value":"jobs"'
change_case image=busybox:2 "updated task_definition" "^(task_definition|ecs_service) " '"image":"busybox:2"'
change_case 'task_permissions=[{"actions":["sqs:ReceiveMessage","sqs:DeleteMessage"],"resources":["arn:aws:sqs:us-east-1:123456789012:jobs"]}]' \
    "created task_role_policy" "^iam_role_policy " "^iam_role_policy worker-task-$S worker .*sqs:DeleteMessage"
change_case max_capacity=8 "updated scalable_target" "^scalable_target " " min=1 max=8$"
change_case public_ip=false "updated service" "^ecs_service " " public_ip=DISABLED "

deploy -v -D 'task_permissions=[{"actions":["sqs:*"],"resources":["*"]}]'
expect_match "task permissions on every resource are refused" "parameter task_permissions: statement 1: resource" "$err"
expect_eq "... before any mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"

deploy --destroy
expect_eq "--destroy succeeds" "0" "$rc"
expect_eq "--destroy leaves nothing" "total 0" "$(snapshot | tail -1)"
check "--destroy removes the journal" test ! -e "$state/worker.json"
tap_done
