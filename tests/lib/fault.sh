# The fault proxy for shell tests: start_proxy DIR UPSTREAM [proxy options]
# exports PROXY_URL once it listens (its decisions go to DIR/proxy.log);
# stop_proxy ends it. Source it and put stop_proxy in the caller's trap.
# shellcheck shell=bash
fault_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$fault_dir/../lib/loopback.sh"
PROXY_PID=

start_proxy() {
    local dir=$1 upstream=$2; shift 2
    stop_proxy
    rm -f "$dir/proxy.log"
    start_proxy_server PROXY_PID PROXY_URL "the fault proxy" "$fault_dir/fault_proxy.py" "$dir" proxy "$upstream" "$@"
}

stop_proxy() { stop_server PROXY_PID; }

# proxy_faults DIR: how many requests the proxy faulted (from its log).
proxy_faults() { grep -v '^#' "$1/proxy.log" 2>/dev/null | grep -vc ' pass$' || true; }
# proxy_requests DIR: how many requests it saw.
proxy_requests() { grep -vc '^#' "$1/proxy.log" 2>/dev/null || true; }
# retries FILE: how many retry lines fgrun -v wrote to FILE.
retries() { grep -c '^aws .*: attempt [0-9]*/[0-9]* failed: .*; retrying in' "$1" || true; }
