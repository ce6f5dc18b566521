# The Fargate recipe through the AWS simulator in front of moto, for the
# command-line tests of its deployments (tests/cli/recipe_deployments.sh,
# tests/cli/recipe_strategies.sh). Source it first, in place of
# recipe_test.sh, which it sources: it starts moto and the simulator with
# ECS's deployments and strategies and the load balancer's timing
# (SIM_SCALE, default 0.05), or reports the skip and exits; points AWS at
# them; stops them on exit, with a background deploy whose pid is in $bg.
# Then:
#   recipe ARGS...        fgrun --state-dir $state --env local -D desired_count=2 ARGS...
#                         (the recipe and its action among ARGS): sets out, err, rc
#   await_status PATTERN  the recipe's status until its output matches PATTERN
#                         (prints yes) or the background deploy $bg has ended (no)
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/recipe_test.sh"
recipe=$root/recipes/fargate_alb.lua
bg=
on_exit '[ -n "$bg" ] && kill "$bg" 2>/dev/null'
test_moto 2
test_sim --scale "${SIM_SCALE:-0.05}" --behaviours "ecs.deployments,ecs.strategies,elbv2.provisioning,elbv2.targets"

recipe() { run_fgrun --state-dir "$state" --env local -D desired_count=2 "$@"; }

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
