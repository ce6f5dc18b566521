#!/usr/bin/env bash
# The long forms of the reliability scenarios (make soak): more cycles
# under transient faults, kill -9 at every request of a deploy and at 50
# random instants, ten outages. REL_* variables given in the environment
# win (see scenarios.sh). Needs FGRUN.
export REL_SEED=${REL_SEED:-1} REL_CYCLES=${REL_CYCLES:-20} REL_RATE=${REL_RATE:-0.2}
export REL_KILL_ALL=${REL_KILL_ALL:-1} REL_TIMED_KILLS=${REL_TIMED_KILLS:-50} REL_OUTAGES=${REL_OUTAGES:-10}
exec bash "$(dirname "$0")/scenarios.sh"
