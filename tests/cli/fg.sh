#!/usr/bin/env bash
# The deployment library against moto: run, re-run, update, failures at
# each step, SIGINT, kill -9 then --destroy, destroy from the journal
# alone, concurrent runs, bad parameters and bad journals.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
here=$root/tests
recipe=$here/fixtures/recipes/small.lua
test_moto shared
kill_rounds=${FG_KILL_ROUNDS:-8}

# fg NAME [options...]: runs the test recipe as deployment NAME; sets out, err, rc.
fg() { local name=$1; shift; run_fgrun --state-dir "$state" -D name="$name" "$@" "$recipe"; }
leftovers() { "$FGRUN" "$here/lib/small_leftovers.lua" "$1" | sed -n 's/^total //p'; }

fg fgt-a
expect_eq "deploy succeeds" "0" "$rc"
expect_eq "four resources created" "4" "$(printf '%s\n' "$out" | grep -c '^  created ')"
expect_match "summary names the outputs" "cluster: arn:aws:ecs:" "$out"
expect_eq "journal is mode 0600" "600" "$(stat -c %a "$state/fgt-a.json")"

fg fgt-a --json
expect_eq "--json: exit 0" "0" "$rc"
summary=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["outcome"], d["counts"]["unchanged"], len(d["steps"]), d["outputs"]["cluster"][:15])' 2>&1)
expect_eq "--json prints the summary as JSON on stdout" "deployed 4 4 arn:aws:ecs:us-" "$summary"
expect_match "--json: step lines go to stderr" "unchanged +security_group" "$err"
fg fgt-a -q
expect_eq "-q: only the summary" "1" "$(printf '%s\n' "$out" | grep -c 'fgt-a deployed')"
expect_eq "-q: no step lines" "0" "$(printf '%s\n' "$out" | grep -c '^  unchanged')"

fg fgt-a -v
expect_eq "re-run succeeds" "0" "$rc"
expect_eq "re-run: every step unchanged" "4" "$(printf '%s\n' "$out" | grep -c '^  unchanged ')"
mutating=$(printf '%s\n' "$err" | grep -E '^aws [a-z0-9]+\.(Create|Delete|Put|Update|Register|Deregister|Attach|Detach|Authorize|Revoke|Tag|Untag)' || true)
expect_eq "re-run makes no mutating call (-v)" "" "$mutating"

fg fgt-a -D retention=14
expect_match "a changed input runs update" "updated +log_group" "$out"
ret=$("$FGRUN" -e 'print(require("aws").logs.describe_log_groups{logGroupNamePrefix="/fgtest/fgt-a"}.logGroups[1].retentionInDays)')
expect_eq "the update reached AWS" "14" "$ret"

"$FGRUN" -e 'local aws = require "aws"
  for _, a in ipairs(aws.ecs.list_clusters{}.clusterArns) do
    if a:find("fgt%-a%-") then aws.ecs.delete_cluster{cluster = a} end end'
fg fgt-a -D retention=14
expect_match "a resource deleted behind fgrun's back is created again" "created +cluster" "$out"

fg fgt-a -D retention=30 -D fail_at=end
expect_eq "a failure after an update exits 1" "1" "$rc"
expect_match "the update is reverted on rollback" "reverted +log_group" "$out"
ret=$("$FGRUN" -e 'print(require("aws").logs.describe_log_groups{logGroupNamePrefix="/fgtest/fgt-a"}.logGroups[1].retentionInDays)')
expect_eq "rollback restored the previous retention" "14" "$ret"
expect_eq "resources from earlier runs stay after a rollback" "4" "$(leftovers fgt-a)"

fg fgt-a --destroy
expect_eq "--destroy succeeds" "0" "$rc"
expect_eq "--destroy removes four steps" "4" "$(printf '%s\n' "$out" | grep -c '^  removed ')"
expect_eq "after --destroy moto holds nothing of it" "0" "$(leftovers fgt-a)"
check "after --destroy the journal is gone" test ! -e "$state/fgt-a.json"
fg fgt-a --destroy
expect_eq "a second --destroy is harmless" "0" "$rc"
expect_match "a second --destroy says there is nothing" "nothing to destroy" "$out"

for step in security_group role log_group cluster end; do
    fg "fgt-f-$step" -D fail_at=$step
    expect_eq "failure in $step: exit 1" "1" "$rc"
    expect_match "failure in $step: the error is shown" "injected failure in $step" "$err"
    expect_eq "failure in $step: rollback leaves nothing in moto" "0" "$(leftovers "fgt-f-$step")"
    check "failure in $step: no journal left" test ! -e "$state/fgt-f-$step.json"
done

fg fgt-k -D fail_at=log_group --keep
expect_eq "--keep: exit 1" "1" "$rc"
expect_match "--keep says how to remove" "fgrun --destroy" "$out"
expect_eq "--keep leaves the resources" "3" "$(leftovers fgt-k)"
fg fgt-k --destroy
expect_eq "--destroy after --keep finds the half-recorded step too" "0" "$(leftovers fgt-k)"

# SIGINT in the middle of a step: rollback, exit 130.
"$FGRUN" --state-dir "$state" -D name=fgt-int -D slow_at=log_group "$recipe" >"$tmp/int.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "slow in" "$tmp/int.out" && break; sleep 0.1; done
kill -INT "$pid"; wait "$pid"; rc=$?
expect_eq "SIGINT during a step exits 130" "130" "$rc"
expect_match "SIGINT: rollback is reported" "rolling back" "$(cat "$tmp/int.out")"
expect_eq "SIGINT: nothing left in moto" "0" "$(leftovers fgt-int)"

# Two runs of one deployment: the second is refused and says who holds it.
"$FGRUN" --state-dir "$state" -D name=fgt-lock -D slow_at=role "$recipe" >"$tmp/lock.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "slow in" "$tmp/lock.out" && break; sleep 0.1; done
fg fgt-lock
expect_eq "a concurrent run is refused" "1" "$rc"
expect_match "the refusal names the holder" "in use by another run \(pid $pid on " "$err"
kill -INT "$pid"; wait "$pid"
expect_eq "the first run rolled back after SIGINT" "0" "$(leftovers fgt-lock)"

# kill -9 at random instants, then --destroy: nothing left, every time.
clean=0
for i in $(seq "$kill_rounds"); do
    "$FGRUN" --state-dir "$state" -D name=fgt-kill "$recipe" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 250)))"
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    fg fgt-kill --destroy
    [ "$rc" = 0 ] && [ "$(leftovers fgt-kill)" = 0 ] && [ ! -e "$state/fgt-kill.json" ] && clean=$((clean + 1))
done
expect_eq "kill -9 then --destroy leaves nothing ($kill_rounds random instants)" "$kill_rounds" "$clean"

# Destroy from the journal alone, with the recipe gone.
cp "$recipe" "$tmp/gone.lua"
"$FGRUN" --state-dir "$state" -D name=fgt-j "$tmp/gone.lua" >/dev/null 2>&1
rm "$tmp/gone.lua"
out=$("$FGRUN" --destroy "$state/fgt-j.json" 2>&1); rc=$?
expect_eq "--destroy JOURNAL works without the recipe" "0" "$rc"
expect_eq "--destroy JOURNAL leaves nothing" "0" "$(leftovers fgt-j)"

# Parameters.
fg fgt-p -D nosuch=1
expect_eq "an unknown -D key exits 1" "1" "$rc"
expect_match "an unknown -D key lists the valid ones" 'unknown parameter "nosuch".*fail_at, name, retention, slow_at' "$err"
fg fgt-p -D retention=abc
expect_match "a -D value of the wrong type is named" "retention .*expected integer" "$err"
check "bad parameters create nothing" test ! -e "$state/fgt-p.json"
fg fgt-e --env short
expect_eq "--env reads env/NAME.lua beside the recipe" "0" "$rc"
ret=$("$FGRUN" -e 'print(require("aws").logs.describe_log_groups{logGroupNamePrefix="/fgtest/fgt-e"}.logGroups[1].retentionInDays)')
expect_eq "the environment's value is used" "3" "$ret"
check "the journal is per environment" test -e "$state/fgt-e.short.json"
fg fgt-e --env short --destroy
expect_eq "--destroy --env removes that environment's deployment" "0" "$(leftovers fgt-e)"
fg fgt-e --env nosuch
expect_match "a missing environment file is named" "--env nosuch: no file .*env/nosuch.lua" "$err"

# Bad journals: a clear error, nothing touched.
mkdir -p "$state"
printf '{"format": 1, "steps": [' > "$state/fgt-c.json"
sum=$(md5sum < "$state/fgt-c.json")
fg fgt-c
expect_eq "a corrupt journal: exit 1" "1" "$rc"
expect_match "a corrupt journal is named" "journal .*fgt-c.json is corrupt" "$err"
expect_eq "a corrupt journal is left as it was" "$sum" "$(md5sum < "$state/fgt-c.json")"
expect_eq "a corrupt journal: nothing created" "0" "$(leftovers fgt-c)"
printf '{"format": 99, "steps": []}' > "$state/fgt-n.json"
fg fgt-n
expect_match "a journal from a newer fgrun is refused" "format 99, which this fgrun" "$err"
expect_eq "a journal from a newer fgrun: nothing created" "0" "$(leftovers fgt-n)"

tap_done
