#!/usr/bin/env bash
# The sample service (recipes/app): runs the binary on a free loopback port
# and checks its endpoints, its answers to bad requests, concurrency,
# --healthcheck and graceful shutdown. Prints TAP.
#
# The binary: $FGRUN_APP if set; otherwise build/app/fgrun-demo-app, or,
# when the driver reruns the tests with FGRUN=<...>/asan/fgrun, the
# AddressSanitizer build build/asan/app/fgrun-demo-app. Either is (re)built
# here first, so the test never runs a stale binary.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "${FGRUN_APP:-}" ]; then
    app=$FGRUN_APP
else
    case ${FGRUN:-} in
    */asan/fgrun) target=app-asan app=$root/build/asan/app/fgrun-demo-app ;;
    *)            target=app      app=$root/build/app/fgrun-demo-app ;;
    esac
    if ! make -s -C "$root" -f mk/app.mk "$target" >&2; then
        echo "Bail out! cannot build $target"
        exit 1
    fi
fi

tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

echo "1..32"
n=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
    n=$((n + 1)); echo "not ok $n - $1"
    [ -s "$tmp/why" ] && head -c 2000 "$tmp/why" | sed 's/^/# /'
    return 0
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check WHAT COMMAND...: passes when COMMAND succeeds; its output explains a failure.
check() {
    local what=$1; shift
    if "$@" >"$tmp/why" 2>&1; then pass "$what"; else fail "$what"; fi
}

# get [CURL ARGS...] URL: the status code on stdout; body and headers in files.
get() {
    curl -s --max-time 5 -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@"
}
# jq_ok FILTER: the last body satisfies the jq filter (which may use $port).
jq_ok() {
    jq -e --argjson port "$port" "$1" "$tmp/body" >/dev/null || { cat "$tmp/body"; return 1; }
}
json_type() {
    grep -qi '^content-type: application/json' "$tmp/headers" || { cat "$tmp/headers"; return 1; }
}
expect() { [ "$1" = "$2" ] || { echo "expected $2, got $1"; return 1; }; }

# raw REQUEST: sends REQUEST (Python escapes: \r \n \xff) on its own
# connection; the answer's status line on stdout, its body in $tmp/body.
raw() {
    python3 - "$port" "$1" "$tmp/body" <<'PY'
import socket, sys
port, request, body_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
data = request.encode("latin-1").decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(data)
answer = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    answer += chunk
head, _, body = answer.partition(b"\r\n\r\n")
open(body_path, "wb").write(body)
print(head.split(b"\r\n")[0].decode())
PY
}

# stopped_within SECONDS: the server exits in time; its exit code in $rc.
stopped_within() {
    local tenths=$(($1 * 10))
    while kill -0 "$pid" 2>/dev/null && [ "$tenths" -gt 0 ]; do
        sleep 0.1; tenths=$((tenths - 1))
    done
    if kill -0 "$pid" 2>/dev/null; then echo "still running"; return 1; fi
    wait "$pid"; rc=$?; pid=
}

# --- the binary and its command line ---------------------------------------

if [ "$app" != "$root/build/app/fgrun-demo-app" ]; then
    skip "the binary is statically linked" "not the release build: $app"
else
    check "the binary is statically linked" sh -c "file -L '$app' | grep 'statically linked'"
fi
check "--version names the service" sh -c "'$app' --version | grep -E '^fgrun-demo-app [0-9]+\.[0-9]+\.[0-9]+$'"
check "--help exits 0 and lists --healthcheck" sh -c "'$app' --help | grep -e --healthcheck"
"$app" --bogus >/dev/null 2>&1; rc=$?
check "an unknown option exits 2" expect "$rc" 2
PORT=http "$app" >/dev/null 2>"$tmp/err"; rc=$?
check "a PORT that is not a number exits 2" expect "$rc" 2

# --- a running server ------------------------------------------------------

PORT=0 "$app" >"$tmp/log" 2>"$tmp/err" &
pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 0\.0\.0\.0:\([0-9][0-9]*\).*/\1/p' "$tmp/log")
    [ -n "$port" ] && break
    sleep 0.1
done
if [ -z "$port" ]; then
    cat "$tmp/log" "$tmp/err" > "$tmp/why"
    fail "PORT=0 starts on a free port and logs it"
    port=0
else
    pass "PORT=0 starts on a free port and logs it ($port)"
fi

code=$(get -A tap-test "http://127.0.0.1:$port/?x=1")
check "GET / answers 200" expect "$code" 200
check "GET / is JSON" json_type
check "GET / has the message, container, environment and request" jq_ok '
    .message == "Hello from AWS Fargate!"
    and .container.hostname == "'"$(uname -n)"'"
    and .container.platform == "linux"
    and .container.architecture == "'"$(uname -m)"'"
    and (.container.memory | test("^[0-9]+ MB$"))
    and (.container.uptime | test("^[0-9]+ seconds$"))
    and (.environment.server | test("^fgrun-demo-app/[0-9.]+$"))
    and .environment.port == $port
    and (.environment.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))
    and .request == {method: "GET", url: "/?x=1", user_agent: "tap-test", ip: "127.0.0.1"}'

code=$(get "http://127.0.0.1:$port/health")
check "GET /health answers 200 JSON" sh -c "[ $code = 200 ] && grep -qi '^content-type: application/json' '$tmp/headers'"
check "GET /health says healthy, with timestamp, hostname and a numeric uptime" jq_ok '
    .status == "healthy" and (.timestamp | test("Z$")) and (.hostname | length > 0)
    and (.uptime | type == "number" and . >= 0)'

code=$(get "http://127.0.0.1:$port/metrics")
now_ms=$(($(date +%s) * 1000))
check "GET /metrics answers 200 JSON" sh -c "[ $code = 200 ] && grep -qi '^content-type: application/json' '$tmp/headers'"
check "GET /metrics reports memory, CPU, uptime and an epoch timestamp" jq_ok '
    (.memory.rss | type == "number" and . > 0)
    and .memory.max_rss >= .memory.rss
    and (.cpu.user_us | type == "number" and . >= 0)
    and (.cpu.system_us | type == "number" and . >= 0)
    and (.uptime | type == "number")
    and (.timestamp - '"$now_ms"' | fabs < 60000)'

status=$(raw 'HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n')
check "HEAD /health answers 200 without a body" \
    sh -c "[ '$status' = 'HTTP/1.1 200 OK' ] && [ ! -s '$tmp/body' ]"

code=$(get "http://127.0.0.1:$port/nowhere")
check "an unknown path answers 404 {\"error\":\"not found\"}" \
    sh -c "[ $code = 404 ] && jq -e '.error == \"not found\"' '$tmp/body'"

code=$(get -X POST -d 'some=body' "http://127.0.0.1:$port/health")
check "POST answers 405 with Allow: GET, HEAD" \
    sh -c "[ $code = 405 ] && grep -qi '^allow: GET, HEAD' '$tmp/headers' && jq -e .error '$tmp/body'"

status=$(raw 'NOT AN HTTP REQUEST\r\n\r\n')
check "a malformed request line answers 400 JSON" \
    sh -c "[ '$status' = 'HTTP/1.1 400 Bad Request' ] && jq -e '.error == \"bad request\"' '$tmp/body'"
status=$(raw 'GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n')
check "HTTP/1.1 without Host answers 400" expect "$status" "HTTP/1.1 400 Bad Request"
status=$(raw 'GET / HTTP/2.0\r\nHost: x\r\n\r\n')
check "HTTP/2.0 in a request line answers 505" expect "$status" "HTTP/1.1 505 HTTP Version Not Supported"
status=$(raw "GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Big: $(head -c 9000 /dev/zero | tr '\0' a)\\r\\n\\r\\n")
check "a request head over 8 KiB answers 431" expect "$status" "HTTP/1.1 431 Request Header Fields Too Large"

# Quote, backslash, tab, UTF-8 and a stray byte, which comes back as U+FFFD.
status=$(raw 'GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: q"b\\s\tt\xc3\xa9\xff.\r\n\r\n')
user_agent_echoed() {
    local want
    want=$(printf 'q"b\\s\tt\303\251\357\277\275.')
    [ "$status" = "HTTP/1.1 200 OK" ] || { echo "$status"; return 1; }
    jq -e --arg want "$want" '.request.user_agent == $want' "$tmp/body" || { cat "$tmp/body"; return 1; }
}
check "the echoed User-Agent is escaped into valid JSON (invalid UTF-8 -> U+FFFD)" user_agent_echoed

# Twenty clients that connect and say nothing must not delay anyone else.
python3 - "$port" >"$tmp/why" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
start = time.monotonic()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
status = s.recv(4096).split(b"\r\n")[0]
elapsed = time.monotonic() - start
print(status, round(elapsed, 3))
sys.exit(0 if status == b"HTTP/1.1 200 OK" and elapsed < 1 else 1)
PY
[ $? = 0 ] && pass "silent clients do not hold up others" || fail "silent clients do not hold up others"

seq 50 | xargs -P 50 -I{} curl -s --max-time 10 -o /dev/null -w '%{http_code}\n' \
    "http://127.0.0.1:$port/" >"$tmp/codes"
check "50 concurrent requests all answer 200" \
    sh -c "[ \$(grep -c '^200\$' '$tmp/codes') = 50 ] || sort '$tmp/codes' | uniq -c"

check "each request is logged with method, path, status and time" \
    grep -E '^[0-9T:.-]+Z 127\.0\.0\.1 "GET /health" 200 [0-9.]+ms$' "$tmp/log"

PORT=$port "$app" >/dev/null 2>"$tmp/why"; rc=$?
check "a second server on a taken port exits 1" expect "$rc" 1

PORT=$port "$app" --healthcheck >"$tmp/why" 2>&1; rc=$?
check "--healthcheck exits 0 against the live server" expect "$rc" 0

# SIGTERM while a request is half sent: that request is still answered, new
# connections are refused, and the server exits 0.
python3 - "$port" "$pid" >"$tmp/inflight" 2>&1 <<'PY'
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
time.sleep(0.2)
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
try:
    socket.create_connection(("127.0.0.1", port), timeout=1)
    print("new connection accepted")
except OSError:
    print("new connection refused")
s.sendall(b"\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode())
PY
check "after SIGTERM new connections are refused" grep -x "new connection refused" "$tmp/inflight"
check "after SIGTERM the request in flight is answered" grep -x "HTTP/1.1 200 OK" "$tmp/inflight"
rc=
check "SIGTERM: the server exits within 2 s" stopped_within 2
check "SIGTERM: exit code 0" expect "$rc" 0
check "SIGTERM: the log says shutting down" grep -q "shutting down" "$tmp/log"

PORT=$port "$app" --healthcheck >"$tmp/why" 2>&1; rc=$?
check "--healthcheck exits 1 when nothing listens" expect "$rc" 1

exit 0
