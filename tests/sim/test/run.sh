#!/usr/bin/env bash
# The simulator's test suite: starts moto and the simulator (at SIM_SCALE,
# default 0.01: a 180 s wait takes 1.8 s), runs tests/sim/test/test_*.py
# and reports TAP. Uses FGRUN_TEST_REGISTRY and the fgrun binary (FGRUN,
# default build/fgrun) where present. Arguments select tests by name.
set -u
root=$(cd "$(dirname "$0")/../../.." && pwd)
. "$root/tests/lib/moto.sh"
. "$root/tests/lib/sim.sh"
. "$root/tests/lib/tap.sh"
. "$root/tests/lib/registry.sh"
if ! command -v moto_server >/dev/null 2>&1; then
    tap_skip "moto_server is not installed"; tap_done; exit 0
fi
tmp=$(mktemp -d)
trap 'stop_sim; stop_moto; [ -n "${REGISTRY_PID:-}" ] && stop_registry; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
MOTO_ECS_SERVICE_RUNNING=3 start_moto "$tmp" || { tap_fail "moto did not start"; tap_done; exit 0; }
# the layers of pushed images: the driver's registry, else one of our own
[ -n "${FGRUN_TEST_REGISTRY:-}" ] || start_registry "$tmp/registry" >/dev/null 2>&1 || true
start_sim "$tmp" --scale "${SIM_SCALE:-0.01}" || { tap_fail "the simulator did not start"; tap_done; exit 0; }
export FGRUN=${FGRUN:-$root/build/fgrun}
python3 "$root/tests/sim/test/tap.py" "$@"
rc=$?
[ -s "$tmp/sim.err" ] && sed 's/^/# sim: /' "$tmp/sim.err"
exit $rc
