# The Fargate recipe through the AWS simulator in front of moto, for the
# command-line tests of its deployments (tests/cli/recipe_deployments.sh,
# tests/cli/recipe_strategies.sh). Source it after tap.sh with FGRUN and
# root set: it makes $tmp, starts moto and the simulator with ECS's
# deployments and strategies and the load balancer's timing (SIM_SCALE,
# default 0.05), or reports the skip and exits; points AWS at them; stops
# them on exit, with a background deploy whose pid is in $bg. Then:
#   recipe ARGS...        fgrun --state-dir $state --env local -D desired_count=2 ARGS...
#                         (the recipe and its action among ARGS): sets out, err, rc
#   await_status PATTERN  the recipe's status until its output matches PATTERN
#                         (prints yes) or the background deploy $bg has ended (no)
recipe=$root/recipes/fargate_alb.lua
tmp=$(mktemp -d)
state=$tmp/state
bg=
. "$root/tests/lib/moto.sh"
. "$root/tests/lib/sim.sh"
start_moto "$tmp" || { tap_skip "moto is not available"; tap_done; exit 0; }
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; stop_sim; stop_moto; rm -rf "$tmp"' EXIT
start_sim "$tmp" --scale "${SIM_SCALE:-0.05}" \
    --behaviours "ecs.deployments,ecs.strategies,elbv2.provisioning,elbv2.targets" ||
    { tap_fail "the simulator did not start"; tap_done; exit 0; }
export AWS_ENDPOINT_URL=$FGRUN_TEST_SIM_URL AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

recipe() {
    out=$("$FGRUN" --state-dir "$state" --env local -D desired_count=2 "$@" 2>"$tmp/err"); rc=$?
    err=$(cat "$tmp/err")
}

await_status() {
    local _
    for _ in $(seq 1 120); do
        recipe "$recipe" status
        if printf '%s' "$out" | grep -Eq -- "$1"; then echo yes; return; fi
        kill -0 "$bg" 2>/dev/null || break
        sleep 0.5
    done
    echo no
}
