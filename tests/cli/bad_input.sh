#!/usr/bin/env bash
# Bad input: each case must end in one clear error (one "error:" line on
# stderr naming the cause, exit 1), before any mutating AWS call (checked
# in the -v log), with nothing lost (no journal made, an existing one left
# byte for byte as it was).
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
fargate=$root/recipes/fargate_alb.lua
test_moto shared
export NO_COLOR=1
unset AWS_PROFILE DOCKER_HOST
first=
on_exit '[ -n "$first" ] && kill "$first" 2>/dev/null'

# A copy of the fg test recipe with environments beside it.
mkdir -p "$tmp/r/env"
cp "$root/tests/fixtures/recipes/small.lua" "$tmp/r/recipe.lua"
recipe=$tmp/r/recipe.lua
{ echo 'local fg = require "fg"'; echo 'local p = fg.params{ name = "x" }'; echo 'local d = = 1'; } >"$tmp/r/syntax.lua"
echo 'return { retention = }' >"$tmp/r/env/syntax.lua"
echo 'return 5' >"$tmp/r/env/number.lua"
echo 'return { retention = "a week" }' >"$tmp/r/env/wrongtype.lua"
echo 'return { retention = undefined_name.x }' >"$tmp/r/env/raises.lua"
: >"$tmp/empty"

# bad DESC REGEX STATE [env NAME=VALUE...] -- FGRUN-ARGS...: runs fgrun -v in
# state dir STATE and checks the three promises; REGEX must match the error.
bad() {
    local desc=$1 regex=$2 state=$3; shift 3
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    local before after
    before=$(cd "$state" 2>/dev/null && md5sum -- * 2>/dev/null | sort)
    env "${envs[@]}" "$FGRUN" -v --state-dir "$state" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$? errors
    errors=$(grep -c '^error: ' "$tmp/err")
    after=$(cd "$state" 2>/dev/null && md5sum -- * 2>/dev/null | grep -v '\.lock$' | sort)
    before=$(printf '%s\n' "$before" | grep -v '\.lock$')
    expect_match "$desc: the error names the cause" "^error: .*($regex)" "$(grep '^error: ' "$tmp/err")"
    expect_eq "$desc: exit 1, one error line" "1 1" "$rc $errors"
    expect_eq "$desc: no mutating call, state files as before" \
        "" "$(grep -E "$MUTATING" "$tmp/err")$([ "$before" = "$after" ] || echo "state changed: $after")"
}

st=$tmp/state
mkdir -p "$st"
bad "recipe syntax error" "syntax.lua:3: .*=" "$st" -- "$tmp/r/syntax.lua"
bad "recipe that does not exist" "nosuch.lua" "$st" -- "$tmp/r/nosuch.lua"
bad "unknown parameter" 'unknown parameter "colour"' "$st" -- -D colour=red "$recipe"
bad "wrong type (-D)" "retention.*expected integer" "$st" -- -D retention=abc "$recipe"
bad "wrong type (Fargate recipe)" "desired_count.*expected integer" "$st" -- -D image=x --env local -D desired_count=three "$fargate"
bad "hosted_zone without domain (Fargate recipe)" "parameter hosted_zone: only with domain" "$st" -- \
    -D image=x --env local -D hosted_zone=example.com "$fargate"
bad "env file with a syntax error" "env/syntax.lua" "$st" -- --env syntax "$recipe"
bad "env file that returns a number" "env/number.lua" "$st" -- --env number "$recipe"
bad "env file with a value of the wrong type" "retention.*expected integer" "$st" -- --env wrongtype "$recipe"
bad "env file that raises" "raises.lua:1: " "$st" -- --env raises "$recipe"
bad "env that does not exist" "env/nosuch.lua" "$st" -- --env nosuch "$recipe"

printf '{"format": 1, "steps": [{"name": "security_group", "status": "do' >"$st/bi-corrupt.json"
bad "corrupt journal" "corrupt" "$st" -- -D name=bi-corrupt "$recipe"
printf '\0\1\2 not json' >"$st/bi-binary.json"
bad "binary journal" "corrupt" "$st" -- -D name=bi-binary "$recipe"
bad "corrupt journal, --destroy" "corrupt" "$st" -- -D name=bi-corrupt --destroy "$recipe"

# A journal locked by a run that is still going (it sleeps inside a step).
"$FGRUN" --state-dir "$tmp/lock" -D name=bi-lock -D slow_at=role "$recipe" >"$tmp/first.out" 2>&1 &
first=$!
for _ in $(seq 150); do grep -q "slow in" "$tmp/first.out" && break; sleep 0.1; done
bad "journal locked by another run" "in use by another run \(pid $first" "$tmp/lock" -- -D name=bi-lock "$recipe"
bad "journal locked by another run, --destroy" "in use by another run" "$tmp/lock" -- -D name=bi-lock --destroy "$recipe"
kill -INT "$first"; wait "$first"; rc=$?; first=
left=$("$FGRUN" "$root/tests/lib/small_leftovers.lua" bi-lock | sed -n 's/^total //p')
expect_eq "the run holding the lock was not disturbed: it rolled back on SIGINT (exit $rc), $left left" "130 0" "$rc $left"

# Credentials, endpoint, Docker, build context.
nocreds=(-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE
         AWS_CONFIG_FILE="$tmp/empty" AWS_SHARED_CREDENTIALS_FILE="$tmp/empty" HOME="$tmp"
         AWS_EC2_METADATA_DISABLED=true)
bad "missing credentials" "no AWS credentials" "$st" "${nocreds[@]}" -- -D name=bi-creds "$recipe"
bad "missing credentials (Fargate recipe)" "no AWS credentials" "$st" "${nocreds[@]}" -- --env local -D image=x "$fargate"
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
bad "unreachable endpoint (closed port $closed)" "ConnectionError" "$st" AWS_ENDPOINT_URL="http://127.0.0.1:$closed" -- -D name=bi-down "$recipe"
bad "Docker socket that is not there" "cannot connect to the Docker Engine at unix:///nonexistent" "$st" \
    DOCKER_HOST=unix:///nonexistent -- --env local "$fargate"
bad "context folder that does not exist" "/nonexistent" "$st" \
    DOCKER_HOST=unix:///nonexistent -- --env local -D app_dir=/nonexistent "$fargate"
check "nothing of these runs is left in moto" test "$("$FGRUN" "$root/tests/lib/small_leftovers.lua" bi- | sed -n 's/^total //p')" = 0

tap_done
