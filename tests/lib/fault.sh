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
    mkdir -p "$dir"
    rm -f "$dir/proxy.port" "$dir/proxy.log"
    python3 "$fault_dir/fault_proxy.py" --upstream "$upstream" --port-file "$dir/proxy.port" \
        --log "$dir/proxy.log" "$@" 2>"$dir/proxy.err" &
    PROXY_PID=$!
    local port
    if port=$(wait_port_file "$PROXY_PID" "$dir/proxy.port"); then
        export PROXY_URL="http://127.0.0.1:$port"
        return 0
    fi
    echo "# the fault proxy did not start: $(cat "$dir/proxy.err")" >&2
    stop_proxy
    return 1
}

stop_proxy() {
    if [ -n "${PROXY_PID:-}" ]; then
        kill "$PROXY_PID" 2>/dev/null
        wait "$PROXY_PID" 2>/dev/null
        PROXY_PID=
    fi
}

# proxy_faults DIR: how many requests the proxy faulted (from its log).
proxy_faults() { grep -v '^#' "$1/proxy.log" 2>/dev/null | grep -vc ' pass$' || true; }
# proxy_requests DIR: how many requests it saw.
proxy_requests() { grep -vc '^#' "$1/proxy.log" 2>/dev/null || true; }
# retries FILE: how many retry lines fgrun -v wrote to FILE.
retries() { grep -c '^aws .*: attempt [0-9]*/[0-9]* failed: .*; retrying in' "$1" || true; }
