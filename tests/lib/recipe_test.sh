# The set-up of the command-line tests that run recipes against moto
# (tests/cli/fg*.sh, plan*.sh, recipe*.sh, types.sh, worker.sh, ...).
# Source it first:  . "$(dirname "$0")/../lib/recipe_test.sh"
# It sources tap.sh, moto.sh, sim.sh and fault.sh, requires FGRUN, and sets
#   root      the top of the tree
#   tmp       a fresh folder, removed on exit once the test's own servers
#             (moto, simulator, fault proxy) have stopped
#   state     $tmp/state, for --state-dir
#   MUTATING  a regex of the -v lines of the AWS calls that change something
# Then:
#   test_moto shared     the AWS environment pointing at the moto of
#                        tests/lib/services.sh; when it is not running the
#                        test reports the skip and exits
#   test_moto N          a moto of the test's own that reports N tasks running
#                        for every service (moto.sh's use_own_moto); without
#                        moto_server the test is skipped, if it does not start
#                        the test fails
#   test_docker          the Docker stand-ins of services.sh (podman, the
#                        registry standing in for ECR's): DOCKER_HOST and
#                        FGRUN_REGISTRY_MAP; without them the test is skipped
#   test_sim OPTIONS...  the AWS simulator (tests/sim) in front of that moto,
#                        AWS_ENDPOINT_URL pointing at it; if it does not start
#                        the test fails
#   on_exit COMMAND      COMMAND (shell text) also runs on exit, first
#   run_fgrun ARGS...    "$FGRUN" ARGS: sets out, err (its stderr) and rc
#   long_form            true unless the driver asks for the short form
#                        (FGRUN_TEST_SHORT: see "short forms" in tests/run)
# shellcheck shell=bash
recipe_test_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$recipe_test_lib/../.." && pwd)
. "$recipe_test_lib/tap.sh"
. "$recipe_test_lib/moto.sh"
. "$recipe_test_lib/sim.sh"
. "$recipe_test_lib/fault.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
tmp=$(mktemp -d)
state=$tmp/state
MUTATING='^aws [a-z0-9_]+\.(Create|Delete|Put|Update|Register|Deregister|Attach|Detach|Authorize|Revoke|Tag|Untag|Modify|Set|Associate|Request|Change|Subscribe|Unsubscribe|Start|Run)'
recipe_test_on_exit=()

on_exit() { recipe_test_on_exit+=("$1"); }
recipe_test_exit() {
    local c
    for c in "${recipe_test_on_exit[@]}"; do eval "$c"; done
    stop_proxy
    stop_sim
    stop_moto
    rm -rf "$tmp"
}
trap recipe_test_exit EXIT

test_moto() {
    if [ "$1" = shared ]; then
        use_test_moto && return 0
        tap_skip "moto is not running (FGRUN_TEST_MOTO_URL unset)"
    elif ! command -v moto_server >/dev/null 2>&1; then
        tap_skip "moto_server is not installed"
    else
        use_own_moto "$tmp" "$1" && return 0
        tap_fail "moto did not start"
    fi
    tap_done
    exit 0
}

test_docker() {
    local need
    for need in FGRUN_TEST_DOCKER_HOST FGRUN_TEST_REGISTRY; do
        [ -n "${!need:-}" ] && continue
        tap_skip "$need is not set: the Docker stand-ins are not running"; tap_done; exit 0
    done
    export DOCKER_HOST=$FGRUN_TEST_DOCKER_HOST
    export FGRUN_REGISTRY_MAP="123456789012.dkr.ecr.us-east-1.amazonaws.com=$FGRUN_TEST_REGISTRY"
}

test_sim() {
    start_sim "$tmp" "$@" || { tap_fail "the simulator did not start"; tap_done; exit 0; }
    export AWS_ENDPOINT_URL=$FGRUN_TEST_SIM_URL
}

run_fgrun() {
    out=$("$FGRUN" "$@" 2>"$tmp/err"); rc=$?
    err=$(cat "$tmp/err")
}

long_form() { [ -z "${FGRUN_TEST_SHORT:-}" ]; }
