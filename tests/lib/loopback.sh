# Servers that write their port to a file once they listen (tests/lib/loopback.py).
# shellcheck shell=bash

# wait_port_file PID FILE: prints the port once the server PID wrote it to
# FILE; fails when the server ended first or after 10 s.
wait_port_file() {
    local pid=$1 file=$2
    for _ in $(seq 1 200); do
        if [ -s "$file" ]; then
            cat "$file"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# start_proxy_server PIDVAR URLVAR WHAT SCRIPT DIR NAME UPSTREAM [options...]:
# runs the proxy SCRIPT (Python, serving through loopback.py) in front of
# UPSTREAM in the background, its files DIR/NAME.port, DIR/NAME.log (its
# --log) and DIR/NAME.err (its stderr), its pid in the variable PIDVAR;
# exports URLVAR, its URL, once it listens. Else says on stderr that WHAT
# did not start, ends it and fails.
start_proxy_server() {
    local pidvar=$1 urlvar=$2 what=$3 script=$4 dir=$5 name=$6 upstream=$7 port; shift 7
    mkdir -p "$dir"
    rm -f "$dir/$name.port"
    python3 "$script" --upstream "$upstream" --port-file "$dir/$name.port" \
        --log "$dir/$name.log" "$@" 2>"$dir/$name.err" &
    printf -v "$pidvar" '%s' "$!"
    if port=$(wait_port_file "$!" "$dir/$name.port"); then
        export "$urlvar=http://127.0.0.1:$port"
        return 0
    fi
    echo "# $what did not start: $(cat "$dir/$name.err")" >&2
    stop_server "$pidvar"
    return 1
}

# stop_server PIDVAR: ends the server whose pid is in the variable PIDVAR
# (if any) and empties it.
stop_server() {
    local -n server_pid=$1
    if [ -n "${server_pid:-}" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
    fi
}
