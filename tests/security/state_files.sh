#!/usr/bin/env bash
# Issue 13, finding 4: the lock and the temporary journal file must not
# follow links planted in the state folder, and a state folder that is not
# the user's, or that others can write, is refused with a message.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
here=$(cd "$(dirname "$0")/.." && pwd)
recipe=$here/fixtures/recipes/small.lua
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The deployment never reaches AWS in these tests: they stop at the state
# folder. A closed port makes sure nothing could be created anyway.
export AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1

victim=$tmp/victim
printf 'precious\n' >"$victim"; chmod 644 "$victim"
victim_state() { printf '%s %s' "$(stat -c %a "$victim")" "$(cat "$victim")"; }
before=$(victim_state)

run() { out=$("$FGRUN" "$@" 2>"$tmp/err"); rc=$?; err=$(cat "$tmp/err"); }

# 1. A link planted where the lock goes.
state=$tmp/state; mkdir -m 700 "$state"
ln -s "$victim" "$state/sec-l.lock"
run --state-dir "$state" -D name=sec-l "$recipe"
expect_eq "planted lock link: exit 1" "1" "$rc"
expect_match "  the error says it is a link, not followed" "sec-l.lock: it is a symbolic link, not followed" "$err"
expect_eq "  the target is untouched (mode and content)" "$before" "$(victim_state)"
check "  the link is left as it was" test "$(readlink "$state/sec-l.lock")" = "$victim"

# 2. A lock file of another user's.
touch "$state/sec-o.lock"; chown 65534 "$state/sec-o.lock"
run --state-dir "$state" -D name=sec-o "$recipe"
expect_match "another user's lock file is refused" "sec-o.lock: not a regular file of yours" "$err"

# 3. The temporary journal file: a link at the name fgrun used to write
# (<journal>.tmp.<pid>) is left alone; the file is created new (O_EXCL,
# O_NOFOLLOW) under a random name, and the journal is written.
run - "$state" "$victim" <<'LUA'
  local fs = require "core.fs"
  local pid = io.open("/proc/self/stat"):read("l"):match("^%d+")
  local path = arg[1] .. "/j.json"
  os.execute(("ln -s %q %q"):format(arg[2], path .. ".tmp." .. pid))
  assert(fs.write_atomic(path, "{}\n", 384))
  io.write(io.open(path):read("a"))
LUA
expect_eq "write_atomic beside a planted link: the journal is written" "0 {}" "$rc $out"
expect_eq "  the link's target is untouched (not overwritten, not chmod 0600)" "$before" "$(victim_state)"
expect_eq "  no temporary file is left" "" "$(ls "$state" | grep '\.tmp\.' | grep -v "tmp\.[0-9]*$")"

# 4. The state folder itself.
other=$tmp/other; mkdir -m 700 "$other"; chown 65534 "$other"
run --state-dir "$other" -D name=sec-d "$recipe"
expect_eq "a state folder of another user's: exit 1" "1" "$rc"
expect_match "  the message says whose it is" "refusing the state folder: .*other belongs to uid 65534, not to you" "$err"
grp=$tmp/grp; mkdir -m 770 "$grp"
run --state-dir "$grp" -D name=sec-d "$recipe"
expect_match "a group-writable state folder is refused" "grp is writable by group or others \\(mode 0770\\)" "$err"
expect_eq "  nothing is written in either" "" "$(ls -A "$other" "$grp" | grep -v ':$' | grep -v '^$')"
run --state-dir "$tmp/new/deeper" -D name=sec-d --destroy "$recipe"
expect_match "a missing state folder is fine (nothing to destroy)" "nothing to destroy" "$out"

tap_done
