#!/usr/bin/env bash
# The Fargate recipe's deployments as AWS runs them (the simulator in front
# of moto: tasks, target health, service deployments, the circuit breaker):
# status shows the service deployment; an update whose tasks fail is rolled
# back by the circuit breaker and the run exits 1 with the diagnosis, never
# 0; rollback and continue with nothing in progress say so. Issue 19 items
# 2 and 3. The image is given (-D image=...): no build.
set -u
. "$(dirname "$0")/../lib/recipe_sim.sh"
good=public.ecr.aws/nginx/nginx:1

recipe -D image=$good "$recipe"
expect_eq "deploy through the simulator succeeds" "0" "$rc"
recipe -D image=$good "$recipe" status
expect_match "status shows the service deployment" "service deployment ROLLING [^ ]+: SUCCESSFUL" "$out"

recipe -D image=nginx:sim-fail "$recipe"
expect_eq "an update whose tasks fail: exit 1" "1" "$rc"
expect_match "... the circuit breaker rolled it back" "failed .*circuit breaker" "$err"
expect_match "... and the diagnosis names the stopped tasks" "Essential container in task exited" "$err"
expect_match "... with their exit code" "exit code 1" "$err"
recipe -D image=$good "$recipe" status
expect_match "status after it: ECS rolled the update back" "service deployment ROLLING [^ ]+: ROLLBACK_SUCCESSFUL" "$out"
sfx=$(sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$state/fargate-alb.local.json")
td=$("$FGRUN" -e "print(require('aws').ecs.describe_services{cluster='fargate-cluster-$sfx', services={'fargate-service-$sfx'}}.services[1].taskDefinition)")
expect_match "... and the service runs the first revision again" "fargate-task-$sfx:1$" "$td"

recipe -D image=$good "$recipe" rollback
expect_eq "rollback with nothing in progress: exit 1" "1" "$rc"
expect_match "... and says so" "no deployment of .* is in progress" "$err"
recipe -D image=$good "$recipe" continue
expect_eq "continue with nothing in progress: exit 1" "1" "$rc"

recipe -D image=$good -D desired_count=2 --destroy "$recipe"
expect_eq "destroy succeeds" "0" "$rc"
tap_done
