# moto_server, the local stand-in for AWS: start_moto DIR exports
# FGRUN_TEST_MOTO_URL once it answers; stop_moto ends it.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/loopback.sh"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_moto() {
    local dir=$1 port
    if ! command -v moto_server >/dev/null 2>&1; then
        echo "# moto_server not found (Python package moto[server]): AWS tests are skipped" >&2
        return 1
    fi
    port=$(free_port)
    MOTO_IAM_LOAD_MANAGED_POLICIES=${MOTO_IAM_LOAD_MANAGED_POLICIES:-true} MOTO_ECS_SERVICE_RUNNING=${MOTO_ECS_SERVICE_RUNNING:-2} \
        moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
    MOTO_PID=$!
    for _ in $(seq 1 100); do
        if curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/"; then
            export FGRUN_TEST_MOTO_URL="http://127.0.0.1:$port"
            return 0
        fi
        kill -0 "$MOTO_PID" 2>/dev/null || break
        sleep 0.2
    done
    echo "# moto_server did not start; its log:" >&2
    sed 's/^/#   /' "$dir/moto.log" >&2
    stop_moto
    return 1
}

stop_moto() { stop_server MOTO_PID; }

# moto_env: the AWS environment pointing at FGRUN_TEST_MOTO_URL.
moto_env() {
    export AWS_ENDPOINT_URL=$FGRUN_TEST_MOTO_URL AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
}

# use_test_moto: the AWS environment pointing at the moto of
# tests/lib/services.sh (FGRUN_TEST_MOTO_URL); fails when it is not running.
use_test_moto() {
    [ -n "${FGRUN_TEST_MOTO_URL:-}" ] || return 1
    moto_env
}

# use_own_moto DIR RUNNING: a moto of the test's own that reports RUNNING
# tasks for every service (MOTO_ECS_SERVICE_RUNNING), and the AWS
# environment that points at it.
use_own_moto() {
    MOTO_ECS_SERVICE_RUNNING=$2 start_moto "$1" || return 1
    moto_env
}
