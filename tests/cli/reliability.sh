#!/usr/bin/env bash
# The reliability scenarios in their short forms (tests/fault/scenarios.sh:
# transient faults, outages, kill -9, lost answers, stalls, replay), sized
# to keep `make test` quick; `make soak` runs the long forms. Uses FGRUN.
export REL_SEED=${REL_SEED:-1} REL_CYCLES=${REL_CYCLES:-3} REL_RATE=${REL_RATE:-0.2}
export REL_KILLS=${REL_KILLS:-10} REL_TIMED_KILLS=${REL_TIMED_KILLS:-5} REL_OUTAGES=${REL_OUTAGES:-2}
exec bash "$(dirname "$0")/../fault/scenarios.sh"
