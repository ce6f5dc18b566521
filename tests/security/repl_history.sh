#!/usr/bin/env bash
# Issue 13, finding 10: the prompt's history keeps no secrets typed the
# ways the review typed them, and never follows a planted link at
# ~/.fgrun_history. Driven on a pseudo-terminal, as a user types.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# type HOME LINE...: types each line at the prompt, then Ctrl-D; prints what the terminal showed.
type_lines() {
    python3 - "$FGRUN" "$@" <<'PY'
import os, pty, select, sys, time
fgrun, home, lines = sys.argv[1], sys.argv[2], sys.argv[3:]
env = dict(os.environ, HOME=home, TERM="xterm")
pid, fd = pty.fork()
if pid == 0:
    os.execve(fgrun, [fgrun], env)
out = b""
def wait_prompt(timeout=10):
    global out
    end = time.time() + timeout
    while time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            out += data
            if out.rstrip(b" ").endswith(b">"):
                return
for line in [None] + lines:
    if line is not None:
        os.write(fd, line.encode() + b"\r")
    wait_prompt()
    out = out + b"\n"
time.sleep(0.1)
os.write(fd, b"\x04")
os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
PY
}

home=$tmp/home; mkdir "$home"
type_lines "$home" \
    'headers = {Authorization = "Bearer eyJhbGciOiJIUzI1NiJ9secretpart"}' \
    'db_pass = "hunter2-db"' \
    'env = {{name = "DB_PASSWORD", value = "hunter2-env"}}' \
    'tok = "Zq8rT2vLw9Kp"' \
    'kept_line = 7' >/dev/null
# libedit writes spaces as \040
hist=$(sed 's/\\040/ /g' "$home/.fgrun_history" 2>/dev/null)
expect_match "an ordinary line is kept" "kept_line = 7" "$hist"
for secret in "secretpart" "hunter2-db" "hunter2-env" "Zq8rT2vLw9Kp"; do
    expect_eq "not in the history: $secret" "0" "$(grep -c -- "$secret" "$home/.fgrun_history")"
done

# A link planted at ~/.fgrun_history: neither read nor written through.
home2=$tmp/home2; mkdir "$home2"
printf 'precious\n' >"$tmp/victim"; chmod 644 "$tmp/victim"
ln -s "$tmp/victim" "$home2/.fgrun_history"
shown=$(type_lines "$home2" 'x = 1')
expect_eq "a planted history link: its target is untouched" "644 precious" "$(stat -c %a "$tmp/victim") $(cat "$tmp/victim")"
expect_match "  and the prompt says why no history is kept" "history not kept: .*\\.fgrun_history is a symbolic link" "$shown"
check "  the link is left as it was" test -L "$home2/.fgrun_history"
tap_done
