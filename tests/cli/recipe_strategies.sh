#!/usr/bin/env bash
# The Fargate recipe's deployment strategies through the simulator in front
# of moto (issue 19 items 1 and 4), each checked in AWS's state
# (tests/lib/strategy_state.lua): blue_green makes the alternate target
# group, the production rule, the test listener and its rule, the
# infrastructure role; an update moves production traffic to the other
# group; back to rolling brings the traffic home and removes them; linear
# and canary with their settings; a PAUSE hook held until `continue`;
# `rollback` during the bake time;
# parameters ECS would refuse stop before anything is made; destroy leaves
# nothing. The image is given (-D image=...): no build.
set -u
. "$(dirname "$0")/../lib/recipe_sim.sh"
image=public.ecr.aws/nginx/nginx

aws_state() { "$FGRUN" "$root/tests/lib/strategy_state.lua" "$sfx"; }

# ---- parameters ECS refuses: an error before anything is made ----
for bad in "strategy=bluegreen" "strategy=linear linear_percent=2.0" "strategy=canary canary_percent=0.05" \
           "strategy=blue_green pause_at=PRODUCTION_TRAFFIC_SHIFT" "strategy=canary bake_minutes=2000" \
           "pause_at=POST_SCALE_UP" "test_listener_port=8080"; do
    args=()
    for kv in $bad; do args+=(-D "$kv"); done
    recipe -D image=$image:1 "${args[@]}" "$recipe"
    expect_eq "refused before anything is made: $bad (exit 1)" "1" "$rc"
    expect_match "... naming the parameter" "strateg|percent|pause_at|bake_minutes|test_listener_port" "$err"
done
expect_eq "... and no journal was written" "no" "$([ -e "$state/fargate-alb.local.json" ] && echo yes || echo no)"

# ---- blue/green with a test listener ----
recipe -D image=$image:1 -D strategy=blue_green -D bake_minutes=1 -D test_listener_port=8080 "$recipe"
expect_eq "deploy blue_green: exit 0" "0" "$rc"
[ "$rc" = 0 ] || echo "$err" | tail -20 | sed 's/^/# /'
sfx=$(sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$state/fargate-alb.local.json")
s=$(aws_state)
expect_match "the service deploys BLUE_GREEN with its bake time" "strategy BLUE_GREEN.*bake 1" "$(echo $s)"
expect_match "its load balancer has the advanced configuration" "advanced yes" "$s"
expect_match "the infrastructure role has ECS's load balancer policy" \
    "role_policy AmazonECSInfrastructureRolePolicyForLoadBalancers" "$s"
expect_match "... and trusts ECS" "role_trust ecs.amazonaws.com" "$s"
expect_match "a test listener on 8080 beside the production one" "listeners 80,8080" "$s"
expect_match "... with its rule in the service's configuration" "test_rule yes" "$s"
expect_match "the production rule forwards to both groups, all traffic on the primary" \
    "rule_weights fargate-tg-$sfx=100,fargate-tg2-$sfx=0" "$s"
ingress=$("$FGRUN" -e "for _, p in ipairs(require('aws').ec2.describe_security_groups{Filters={{Name='group-name',Values={'fargate-alb-$sfx-sg'}}}}.SecurityGroups[1].IpPermissions) do print(p.FromPort) end" | sort -n | tr '\n' ' ')
expect_eq "the load balancer's group lets the test port in" "80 8080 " "$ingress"

# ---- an update shifts production traffic to the other group ----
recipe -D image=$image:2 -D strategy=blue_green -D bake_minutes=1 -D test_listener_port=8080 "$recipe"
expect_eq "a blue/green update: exit 0" "0" "$rc"
s=$(aws_state)
expect_match "production traffic moved to the alternate group" "rule_weights fargate-tg-$sfx=0,fargate-tg2-$sfx=100" "$s"
expect_match "... where the new tasks are" "tasks_in fargate-tg2-$sfx 2" "$s"
expect_match "... and the old group is empty" "tasks_in fargate-tg-$sfx 0" "$s"
expect_match "the check after the deploy reads the targets where production traffic is" \
    "^  targets: fargate-tg2-$sfx \\(100%\\): [^ ]+ [a-z]+" "$out"
expect_no_match "... not those of the primary group" "targets: .*fargate-tg-$sfx " "$out"

# ---- alarms: the unhealthy-hosts alarm watches both groups (production is on the alternate now) ----
# alarm_groups: the target groups the alarm reads in CloudWatch (moto), without their ids
alarm_groups() {
    "$FGRUN" -e "local a = require('aws').cloudwatch.describe_alarms{ AlarmNames = { 'fargate-$sfx-unhealthy-hosts' } }.MetricAlarms[1]
      if not a then return end
      local ds = {}
      for _, m in ipairs(a.Metrics or {}) do if m.MetricStat then ds[#ds + 1] = m.MetricStat.Metric.Dimensions end end
      if #ds == 0 then ds[1] = a.Dimensions end
      for _, d in ipairs(ds) do for _, x in ipairs(d) do if x.Name == 'TargetGroup' then print(x.Value) end end end" |
        sed 's|/[0-9a-z]*$||' | sort | tr '\n' ' '
}
alarmed=(-D image=$image:2 -D strategy=blue_green -D bake_minutes=1 -D test_listener_port=8080 -D alarm_email=ops@example.com)
recipe --plan "${alarmed[@]}" "$recipe"
expect_eq "--plan with alarm_email: exit 2 (changes)" "2" "$rc"
expect_match "... shows the unhealthy-hosts alarm" "unhealthy_hosts_alarm" "$out"
recipe "${alarmed[@]}" "$recipe"
expect_eq "alarm_email with blue_green: exit 0" "0" "$rc"
expect_eq "the unhealthy-hosts alarm reads both target groups" \
    "targetgroup/fargate-tg-$sfx targetgroup/fargate-tg2-$sfx " "$(alarm_groups)"

# ---- back to rolling: traffic home to the primary group, the extra resources gone ----
recipe -D image=$image:2 -D alarm_email=ops@example.com "$recipe"
expect_eq "switch back to rolling: exit 0" "0" "$rc"
expect_match "... says it brings traffic home first" "brings it back before the switch to ROLLING" "$out"
s=$(aws_state)
expect_match "the service deploys ROLLING without advanced configuration" "strategy ROLLING.*advanced no" "$(echo $s)"
expect_match "the test listener is gone" "listeners 80\$" "$(echo "$s" | grep '^listeners')"
expect_match "no listener rule is left" "rules 0" "$s"
expect_match "the tasks serve from the primary group the listener forwards to" \
    "default_80 fargate-tg-$sfx.*tasks_in fargate-tg-$sfx 2" "$(echo $s)"
expect_match "... and the check after the deploy reads that group" "^  targets: fargate-tg-$sfx \\(100%\\): [^ ]+ [a-z]+" "$out"
left=$("$FGRUN" "$root/tests/lib/fargate_leftovers.lua" "$sfx")
expect_no_match "the alternate target group is removed" "fargate-tg2-$sfx" "$left"
expect_no_match "the infrastructure role is removed" "ecsInfrastructureRole-$sfx" "$left"
expect_eq "the unhealthy-hosts alarm reads the primary group alone" "targetgroup/fargate-tg-$sfx " "$(alarm_groups)"

# The short form (tests/run) ends here: linear, the canary's hook and the
# rollback make the same calls, and run processes side by side as the
# tests of plan.sh, fg.sh and s3_state.sh do.
if long_form; then
    # ---- rolling to linear, in its steps ----
    recipe -D image=$image:3 -D strategy=linear -D linear_percent=50.0 -D linear_interval=3 -D bake_minutes=0 "$recipe"
    expect_eq "switch to linear with an update: exit 0" "0" "$rc"
    s=$(aws_state)
    expect_match "the service deploys LINEAR, 50 % a step, 3 minutes apart" "strategy LINEAR.*linear 50/3" "$(echo $s)"
    expect_match "production traffic moved to the alternate group" "rule_weights fargate-tg-$sfx=0,fargate-tg2-$sfx=100" "$s"
    expect_match "... through a half-way step" "traffic: production 50%" "$err$out"
    expect_eq "alarm_email no longer given: the alarm is removed" "" "$(alarm_groups)"

    # ---- canary with a PAUSE hook: held until continue ----
    "$FGRUN" --state-dir "$state" --env local -D desired_count=2 -D image=$image:4 -D strategy=canary \
        -D canary_percent=20.0 -D canary_interval=3 -D bake_minutes=0 -D pause_at=POST_SCALE_UP \
        -D test_listener_port=8080 "$recipe" \
        >"$tmp/deploy.out" 2>&1 &
    bg=$!
    expect_eq "a canary deployment waits at its PAUSE hook (status says so)" "yes" "$(await_status "paused at this stage")"
    s=$(aws_state)
    expect_match "the service has the canary settings and the hook" "canary 20/3.*pause PAUSE:POST_SCALE_UP" "$(echo $s)"
    recipe "$recipe" continue
    expect_eq "continue: exit 0" "0" "$rc"
    expect_match "... once the deployment succeeded" "SUCCESSFUL" "$out"
    wait "$bg"; deploy_rc=$?; bg=
    expect_eq "the deploy that waited at the hook: exit 0" "0" "$deploy_rc"
    expect_match "... after a canary step (seen by it or by continue)" "traffic: production 20%" "$out$(cat "$tmp/deploy.out")"

    # ---- blue/green: rollback during the bake time returns traffic to the old revision ----
    # (an update without the canary's test listener: the rolled back service names the
    # test rule again, so --destroy must remove the service before the rule)
    "$FGRUN" --state-dir "$state" --env local -D desired_count=2 -D image=$image:5 -D strategy=blue_green \
        -D bake_minutes=20 "$recipe" >"$tmp/deploy.out" 2>&1 &
    bg=$!
    expect_eq "a blue/green update reaches its bake time (status says so)" "yes" "$(await_status "BLUE_GREEN [^ ]*: BAKE_TIME")"
    expect_match "... production traffic on the new revision in the alternate group" \
        "rule_weights fargate-tg-$sfx=0,fargate-tg2-$sfx=100" "$(aws_state)"
    recipe "$recipe" rollback
    expect_eq "rollback: exit 0" "0" "$rc"
    expect_match "... once ECS rolled it back" "ROLLBACK_SUCCESSFUL" "$out"
    expect_match "production traffic is back on the old revision's group" \
        "rule_weights fargate-tg-$sfx=100,fargate-tg2-$sfx=0" "$(aws_state)"
    wait "$bg"; deploy_rc=$?; bg=
    expect_eq "the deploy that was rolled back: exit 1" "1" "$deploy_rc"
    expect_match "... saying it was rolled back" "rolled back to" "$(cat "$tmp/deploy.out")"
    expect_match "the service is back on its test listener rule" "test_rule yes.*listeners 80,8080" "$(echo $(aws_state))"
    expect_eq "... and its removal waits for the rule's again (the journal)" "yes" "$(python3 -c '
import json, sys
steps = {s["name"]: s for s in json.load(open(sys.argv[1]))["steps"]}
print("yes" if "test_rule" in steps["service"].get("after", []) else "no")' "$state/fargate-alb.local.json")"
fi

# ---- destroy ----
recipe --destroy "$recipe"
expect_eq "destroy: exit 0 (the strategy's steps, made again after the service, removed before it)" "0" "$rc"
[ "$rc" = 0 ] || echo "$err" | tail -20 | sed 's/^/# /'
expect_eq "nothing is left in moto" "total 0" "$("$FGRUN" "$root/tests/lib/fargate_leftovers.lua" "$sfx" | tail -1)"
tap_done
