#!/usr/bin/env bash
# Issue 13, finding 9: text from the network reaches the terminal escaped.
# A hostile AWS endpoint and a hostile Docker Engine answer with escape
# sequences (window title, colours, carriage return, 8-bit CSI) in error
# codes and messages, request ids, bodies, log events and build output;
# every output must show them as \xNN and hold no raw control byte.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

python3 "$here/../lib/fake_server.py" aws "$tmp/aws.port" & pids+=($!)
python3 "$here/../lib/fake_server.py" docker "$tmp/docker.sock" & pids+=($!)
for _ in $(seq 1 50); do [ -s "$tmp/aws.port" ] && [ -S "$tmp/docker.sock" ] && break; sleep 0.1; done
export AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$tmp/aws.port") AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 DOCKER_HOST=unix://$tmp/docker.sock

# raw FILE: the control bytes found in FILE (ESC, BEL, CR, C1 CSI), none expected.
raw() { LC_ALL=C grep -c $'\x1b\|\x07\|\r\|\xc2\x9b' "$1"; }
# expect_safe DESCRIPTION FILE PATTERN: no raw control byte, and the escape visible.
expect_safe() {
    local n; n=$(raw "$2")
    if [ "$n" = 0 ] && grep -qF -- "$3" "$2"; then tap_pass "$1"
    else tap_fail "$1" "raw control lines: $n; visible '$3': $(grep -cF -- "$3" "$2")" "$(head -c 600 "$2" | od -c | head -8)"; fi
}
VISIBLE='\x1b]0;pwned\x07\x1b[31mred\x1b[0m\x0d\xc2\x9b2J'

"$FGRUN" -e 'require("aws").ecs.list_clusters{}' >"$tmp/out" 2>"$tmp/err"
expect_eq "an AWS error: exit 1" "1" "$?"
expect_safe "  the error line: code, message and request id escaped" "$tmp/err" "message $VISIBLE"
expect_match "  the code too" "EvilX?.*Exception" "$(cat "$tmp/err")"

"$FGRUN" -vv -e 'require("aws").ecs.list_clusters{}' >"$tmp/out" 2>"$tmp/err"
expect_safe "-vv: the wire log (body, headers) and the -v line escaped" "$tmp/err" "$VISIBLE"
expect_match "  the -vv body line is there" "^< .*__type" "$(cat "$tmp/err")"

printf 'print(pcall(ecs.list_clusters, {}))\necs.list_clusters{}\n' | "$FGRUN" -i >"$tmp/out" 2>"$tmp/err"
cat "$tmp/out" >>"$tmp/err"
expect_safe "the prompt: a printed error object and an uncaught one" "$tmp/err" "message $VISIBLE"

# Log events through the logs action (a journal that records a log group).
state=$tmp/state; mkdir -m 700 "$state"
printf '{"format": 1, "steps": [{"name": "log_group", "status": "done", "inputs": {}, "result": {"name": "/ecs/x"}, "undo": [{"call": "logs.delete_log_group", "params": {"logGroupName": "/ecs/x"}}]}]}\n' >"$state/fargate-alb.json"
chmod 600 "$state/fargate-alb.json"
"$FGRUN" --state-dir "$state" "$root/recipes/fargate_alb.lua" logs >"$tmp/out" 2>"$tmp/err"
expect_eq "logs: exit 0" "0" "$?"
expect_safe "logs: the event's stream name and message escaped" "$tmp/out" "event $VISIBLE"

# Docker build output and an Engine error.
mkdir "$tmp/ctx"; printf 'FROM scratch\n' >"$tmp/ctx/Dockerfile"
"$FGRUN" -e 'print(require("docker").build{ context = "'"$tmp/ctx"'", tags = { "x:1" } }.id)' >"$tmp/out" 2>"$tmp/err"
expect_eq "docker build against the hostile Engine: exit 0" "0" "$?"
expect_safe "  its build output escaped" "$tmp/err" "Step 1/1 : $VISIBLE"
expect_safe "  its status lines escaped" "$tmp/err" "status $VISIBLE"
"$FGRUN" -e 'require("docker").tag("x:1", "repo", "t")' >"$tmp/out" 2>"$tmp/err"
expect_safe "  an Engine error message escaped" "$tmp/err" "engine $VISIBLE"

# The escaping keeps text: UTF-8 stays as it is.
out=$("$FGRUN" -e 'io.write(require("fgrun.text").escape("é ✓ \27 \xff"))')
expect_eq "fgrun.text.escape keeps UTF-8, escapes ESC and invalid bytes" 'é ✓ \x1b \xff' "$out"
tap_done
