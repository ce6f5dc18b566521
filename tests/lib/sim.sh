# The AWS simulator (tests/sim/sim.py) in front of moto: start_sim DIR
# [sim.py options] exports FGRUN_TEST_SIM_URL once it listens (upstream:
# FGRUN_TEST_MOTO_URL; the registry of pushed layers: FGRUN_TEST_REGISTRY);
# stop_sim ends it. Its calls are logged to DIR/sim.log (JSON lines).
# shellcheck shell=bash
sim_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../sim" && pwd)
. "$(dirname "${BASH_SOURCE[0]}")/loopback.sh"
SIM_PID=

start_sim() {
    local dir=$1; shift
    stop_sim
    if [ -z "${FGRUN_TEST_MOTO_URL:-}" ]; then
        echo "# the AWS simulator needs moto (FGRUN_TEST_MOTO_URL)" >&2
        return 1
    fi
    start_proxy_server SIM_PID FGRUN_TEST_SIM_URL "the AWS simulator" "$sim_dir/sim.py" "$dir" sim \
        "$FGRUN_TEST_MOTO_URL" ${FGRUN_TEST_REGISTRY:+--registry "$FGRUN_TEST_REGISTRY"} "$@"
}

stop_sim() { stop_server SIM_PID; }

# sim_config JSON: changes the running simulator's configuration
# (POST /__sim/config, see tests/sim/sim.py); prints the new one.
sim_config() {
    curl -sf -X POST -H 'Content-Type: application/json' --data "$1" "$FGRUN_TEST_SIM_URL/__sim/config"
}
