#!/usr/bin/env bash
# The task loop's transfers under the memory checkers: tests/fixtures/async_workout.lua
# against the loopback stub (this suite is rerun with the ASan build, whose
# leak checker is on for command-line tests), and under valgrind.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
python3 "$here/lib/aws_stub.py" "$tmp/port" >"$tmp/stub.log" 2>&1 &
stub=$!
trap 'kill $stub 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
export STUB_URL=http://127.0.0.1:$(cat "$tmp/port")

out=$("$FGRUN" "$here/fixtures/async_workout.lua" 2>&1); rc=$?
expect_eq "concurrent calls, errors and cancellation: exit 0" "0" "$rc"
expect_eq "the workout reaches its end" "done" "$(printf '%s\n' "$out" | tail -1)"

if command -v valgrind >/dev/null && ! ldd "$FGRUN" | grep -q libasan; then
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
        "$FGRUN" "$here/fixtures/async_workout.lua" >"$tmp/vg.out" 2>"$tmp/vg.err"; rc=$?
    expect_eq "valgrind: no memory error or leak" "0" "$rc"
    [ "$rc" = 0 ] || sed 's/^/# /' "$tmp/vg.err" | head -40
else
    tap_skip "valgrind not available, or an ASan build"
fi
tap_done
