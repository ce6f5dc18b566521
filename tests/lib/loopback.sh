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
