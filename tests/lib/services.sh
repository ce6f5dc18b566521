# Starts the local stand-ins the tests talk to, each on a free port or a
# private socket, and stops them: start_services DIR / stop_services.
# shellcheck shell=bash
here=$(dirname "${BASH_SOURCE[0]}")
. "$here/moto.sh"
[ -f "$here/podman.sh" ] && . "$here/podman.sh"
[ -f "$here/registry.sh" ] && . "$here/registry.sh"
. "$here/sim.sh"

start_services() {
    local dir=$1
    mkdir -p "$dir"
    start_moto "$dir" && echo "# moto: $FGRUN_TEST_MOTO_URL"
    if declare -f start_podman >/dev/null; then
        start_podman "$dir/podman" && echo "# docker engine (podman): $FGRUN_TEST_DOCKER_HOST"
    fi
    if declare -f start_registry >/dev/null; then
        start_registry "$dir/registry" && echo "# registry: $FGRUN_TEST_REGISTRY"
    fi
    # the AWS simulator in front of moto, every behaviour off until a test
    # switches it on (POST $FGRUN_TEST_SIM_URL/__sim/config, and reset after)
    [ -n "${FGRUN_TEST_MOTO_URL:-}" ] && start_sim "$dir/sim" --scale "${SIM_SCALE:-0.05}" &&
        echo "# AWS simulator: $FGRUN_TEST_SIM_URL (scale ${SIM_SCALE:-0.05})"
    return 0
}

stop_services() {
    declare -f stop_registry >/dev/null && stop_registry
    declare -f stop_podman >/dev/null && stop_podman
    stop_sim
    stop_moto
    return 0
}
