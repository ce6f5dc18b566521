#!/usr/bin/env bash
# Issue 13, finding 11: a crash must not write the credentials to a core
# file, and another process of the same user must not read them from
# fgrun's memory or environment; --debug is the escape hatch. The ECR
# token never becomes a Lua string: a core made with --debug after
# docker.ecr_login holds no trace of it (through the plain client, it does).
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
SECRET=planted-secret-key-$$-never-on-disk
export AWS_ACCESS_KEY_ID=AKIATESTING AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
ABORT='os.execute("kill -ABRT " .. io.open("/proc/self/stat"):read("l"):match("^%d+"))'

# crash DIR [fgrun options] LUA: runs LUA, which ends by SIGABRT, in DIR
# with core files allowed by the shell; prints the core files made.
crash() {
    local dir=$1; shift
    mkdir -p "$dir"
    (cd "$dir" && ulimit -c unlimited && exec "$FGRUN" "$@") >/dev/null 2>&1
    ls "$dir" | grep '^core' || true
}

pattern=$(cat /proc/sys/kernel/core_pattern)
if [ "$(ulimit -Hc)" != unlimited ] || [ "${pattern#|}" != "$pattern" ] || [ "${pattern#/}" != "$pattern" ]; then
    tap_skip "core files do not go to the working folder here (core_pattern '$pattern', hard limit $(ulimit -Hc))"
elif grep -q __asan_init "$FGRUN"; then
    tap_skip "an AddressSanitizer build: ASan turns core dumps off itself (its shadow memory is terabytes)"
else
    cores=$(crash "$tmp/plain" -e "$ABORT")
    expect_eq "a crash writes no core file" "" "$cores"
    cores=$(crash "$tmp/debug" --debug -e "$ABORT")
    if [ -n "$cores" ] && grep -q -- "$SECRET" "$tmp/debug/$cores"; then
        tap_pass "  with --debug it does, and the secret key is in it (why it is off by default)"
    else
        tap_fail "  with --debug it does, and the secret key is in it" "cores: '$cores'"
    fi

    # The ECR token, answered by a fake endpoint.
    python3 - "$tmp/answer" <<'PY'
import base64, json, sys, time
token = base64.b64encode(b"AWS:ecr-password-never-a-lua-string-0123456789").decode()
json.dump({"authorizationData": [{"authorizationToken": token, "expiresAt": time.time() + 3600,
           "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}]}, open(sys.argv[1], "w"))
open(sys.argv[1] + ".token", "w").write(token)
PY
    python3 "$here/../lib/fake_server.py" canned "$tmp/port" "$tmp/answer" & pids+=($!)
    for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
    ecr="require('aws').client('ecr', { endpoint_url = 'http://127.0.0.1:$(cat "$tmp/port")' })"
    token=$(cat "$tmp/answer.token")
    cores=$(crash "$tmp/ecr" --debug -e "assert(require('docker').ecr_login($ecr)) $ABORT")
    expect_eq "docker.ecr_login, then a core (--debug): the token is not in it" "1 0 0" \
        "$(echo "$cores" | grep -c .) $(grep -c -- "$token" "$tmp/ecr/$cores") $(grep -c ecr-password-never "$tmp/ecr/$cores")"
    cores=$(crash "$tmp/client" --debug -e "assert($ecr.get_authorization_token{}) $ABORT")
    expect_eq "  (control: through the plain client it is)" "1" "$(grep -c -- "$token" "$tmp/client/$cores" | sed 's/^[1-9][0-9]*$/1/')"
fi

# Another process of the same user reading fgrun's environment.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
for mode in default debug; do
    opt=; [ $mode = debug ] && opt=--debug
    setpriv --reuid=65534 --regid=65534 --clear-groups "$FGRUN" $opt -e 'require("fgrun").sleep(3)' &
    pid=$!; pids+=($pid)  # setpriv execs fgrun: the same process
    sleep 0.5
    seen=$(as_nobody cat "/proc/$pid/environ" 2>&1 | tr '\0' '\n' | grep -c -- "$SECRET")
    if [ $mode = default ]; then
        expect_eq "another process of the same user cannot read fgrun's environment (/proc/PID/environ)" "0" "$seen"
    else
        expect_eq "  with --debug it can (the control)" "1" "$seen"
    fi
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
done
tap_done
