#!/usr/bin/env bash
# Issue 13, finding 12: the sample service against one client that opens
# 512 connections and sends its requests slowly (slowloris). It held every
# slot, and a real request from elsewhere waited 9 s. Now one address gets
# at most 64 connections at once; another client is answered at once.
set -u
. "$(dirname "$0")/../lib/tap.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
# The binary as tests/cli/app.sh chooses it (the ASan build in the rerun).
case ${FGRUN:-} in
*/asan/fgrun) target=app-asan app=$root/build/asan/app/fgrun-demo-app ;;
*)            target=app      app=$root/build/app/fgrun-demo-app ;;
esac
app=${FGRUN_APP:-$app}
if [ -z "${FGRUN_APP:-}" ] && ! make -s -C "$root" -f mk/app.mk "$target" >&2; then
    echo "Bail out! cannot build $target"; exit 1
fi
tmp=$(mktemp -d)
PORT=0 "$app" >"$tmp/log" 2>"$tmp/err" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$tmp/log" "$tmp/err" | head -1)
    [ -n "$port" ] && break; sleep 0.05
done
[ -n "$port" ] || { echo "Bail out! the app did not start: $(cat "$tmp/log" "$tmp/err")"; exit 1; }

# 512 connections from 127.0.0.1, each sending a request head one byte at a
# time and never finishing it; meanwhile a request from 127.0.0.2.
result=$(python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
slow = []
for _ in range(512):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"G")
    slow.append(s)
time.sleep(0.5)
# the ones the server closed at once read as ended
open_ = 0
for s in slow:
    s.setblocking(False)
    try:
        data = s.recv(1)
        closed = data == b""
    except BlockingIOError:
        closed = False
    except OSError:
        closed = True
    open_ += not closed
t0 = time.monotonic()
real = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0), timeout=8)
real.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
answer = real.recv(4096).split(b"\r\n")[0].decode()
print(open_, answer.replace(" ", "_"), round(time.monotonic() - t0, 2))
PY
)
set -- $result
expect_eq "one client opening 512 connections keeps 64 of them" "64" "${1:-}"
expect_eq "another client is answered while they hang" "HTTP/1.1_200_OK" "${2:-}"
if awk -v t="${3:-99}" 'BEGIN { exit !(t < 5) }'; then
    tap_pass "  at once, not after the slow ones time out (10 s): ${3} s"
else
    tap_fail "  at once, not after the slow ones time out (10 s)" "${3:-?} s"
fi
expect_match "the refusal is logged" "client 127.0.0.1 has 64 connections open: closing its new ones" "$(cat "$tmp/err" "$tmp/log")"
tap_done
