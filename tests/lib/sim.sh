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
    mkdir -p "$dir"
    rm -f "$dir/sim.port"
    python3 "$sim_dir/sim.py" --upstream "$FGRUN_TEST_MOTO_URL" --port-file "$dir/sim.port" \
        --log "$dir/sim.log" ${FGRUN_TEST_REGISTRY:+--registry "$FGRUN_TEST_REGISTRY"} "$@" 2>"$dir/sim.err" &
    SIM_PID=$!
    local port
    if port=$(wait_port_file "$SIM_PID" "$dir/sim.port"); then
        export FGRUN_TEST_SIM_URL="http://127.0.0.1:$port"
        return 0
    fi
    echo "# the AWS simulator did not start: $(cat "$dir/sim.err")" >&2
    stop_sim
    return 1
}

stop_sim() {
    if [ -n "${SIM_PID:-}" ]; then
        kill "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
        SIM_PID=
    fi
}

# sim_config JSON: changes the running simulator's configuration
# (POST /__sim/config, see tests/sim/sim.py); prints the new one.
sim_config() {
    curl -sf -X POST -H 'Content-Type: application/json' --data "$1" "$FGRUN_TEST_SIM_URL/__sim/config"
}
