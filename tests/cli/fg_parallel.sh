#!/usr/bin/env bash
# Steps that run at the same time (tests/fixtures/recipes/parallel.lua) against moto: they
# overlap, the journal's order respects what each step read, a failure or
# SIGINT with several steps in flight rolls everything back, and kill -9 at
# several instants with several steps in flight, then --destroy, leaves
# nothing.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
here=$root/tests
recipe=$here/fixtures/recipes/parallel.lua
test_moto shared

fg() { local name=$1; shift; run_fgrun --state-dir "$state" -D name="$name" "$@" "$recipe"; }
leftovers() { "$FGRUN" "$here/lib/small_leftovers.lua" "$1" | sed -n 's/^total //p'; }
# journal_check FILE: "ok", or what breaks the rule that every step comes
# after the steps it read (its `after`).
journal_check() {
    python3 - "$1" <<'PY'
import json, sys
steps = json.load(open(sys.argv[1]))["steps"]
seen, bad = set(), []
for s in steps:
    for a in s.get("after", []):
        if a not in seen:
            bad.append("%s before %s" % (s["name"], a))
    seen.add(s["name"])
print("ok" if not bad else "; ".join(bad))
PY
}

fg par-a --json
expect_eq "deploy succeeds" "0" "$rc"
overlap=$(printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
spans = d["timeline"]
busy = sum(s["end"] - s["start"] for s in spans)
print("%d %.2f %s" % (len(spans), d["elapsed_seconds"] / busy, " ".join(d["critical_path"])))')
read -r nspans ratio path <<<"$overlap"
expect_eq "seven steps in the timeline" "7" "$nspans"
check "independent steps overlap: elapsed / time in steps = $ratio < 0.5" python3 -c "assert $ratio < 0.5"
expect_eq "the critical path is logs_a then the cluster (its background wait)" "logs_a cluster" "$path"
expect_eq "the journal lists every step after the steps it read" "ok" "$(journal_check "$state/par-a.json")"
deps=$(python3 -c 'import json,sys; print(" ".join("%s<%s" % (s["name"], ",".join(s["after"])) for s in json.load(open(sys.argv[1]))["steps"] if s["after"]))' "$state/par-a.json" | tr ' ' '\n' | sort | tr '\n' ' ')
expect_eq "each step records what it read" "cluster<logs_a ingress<role,security_group " "$deps"

fg par-a -v
expect_eq "re-run succeeds" "0" "$rc"
expect_eq "re-run: every step unchanged" "7" "$(printf '%s\n' "$out" | grep -c '^  unchanged ')"
mutating=$(printf '%s\n' "$err" | grep -E '^aws [a-z0-9]+\.(Create|Delete|Put|Authorize|Revoke)' || true)
expect_eq "re-run makes no mutating call" "" "$mutating"

fg par-a --destroy
expect_eq "--destroy succeeds" "0" "$rc"
expect_eq "--destroy removes seven steps" "7" "$(printf '%s\n' "$out" | grep -c '^  removed ')"
removed=$(printf '%s\n' "$out" | sed -n 's/^  removed *\([a-z_]*\).*/\1/p' | tr '\n' ' ')
check "--destroy removes the rule before its group and role, the cluster before its log group ($removed)" python3 -c "
r = '$removed'.split()
assert r.index('ingress') < r.index('security_group') and r.index('ingress') < r.index('role')
assert r.index('cluster') < r.index('logs_a')"
expect_eq "after --destroy moto holds nothing of it" "0" "$(leftovers par-a)"

for step in logs_b ingress cluster_wait; do
    fg "par-f-${step//_/-}" -D fail_at=$step
    expect_eq "failure in $step with others in flight: exit 1" "1" "$rc"
    expect_match "failure in $step: the error names the step" "failed in step [a-z_]+: injected failure in $step" "$err"
    expect_eq "failure in $step: rollback leaves nothing" "0" "$(leftovers "par-f-${step//_/-}")"
    check "failure in $step: no journal left" test ! -e "$state/par-f-${step//_/-}.json"
done

# pending JOURNAL: how many of its steps are in flight (pending).
pending() { python3 -c 'import json,sys; print(sum(s["status"] == "pending" for s in json.load(open(sys.argv[1]))["steps"]))' "$1" 2>/dev/null; }

# SIGINT with several steps in flight (each step takes 2 s): sent once the
# journal shows them (or after some 10 s, and the check below fails).
"$FGRUN" --state-dir "$state" -D name=par-int -D delay=2 "$recipe" >"$tmp/int.out" 2>&1 &
pid=$!
for _ in $(seq 100); do
    pending=$(pending "$state/par-int.json")
    [ "${pending:-0}" -ge 2 ] && break
    sleep 0.05
done
kill -INT "$pid"; wait "$pid"; rc=$?
check "SIGINT came with several steps in flight ($pending pending)" test "${pending:-0}" -ge 2
expect_eq "SIGINT: exit 130" "130" "$rc"
expect_eq "SIGINT: rollback leaves nothing" "0" "$(leftovers par-int)"

# kill -9 at several instants, then --destroy.
clean=0 several=0 rounds=0
for at in 0.15 0.3 0.45 0.6 0.75 0.9 1.1; do
    rounds=$((rounds + 1))
    "$FGRUN" --state-dir "$state" -D name=par-kill "$recipe" >/dev/null 2>&1 &
    pid=$!
    sleep "$at"
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    n=$(pending "$state/par-kill.json")
    [ "${n:-0}" -ge 2 ] && several=$((several + 1))
    fg par-kill --destroy
    [ "$rc" = 0 ] && [ "$(leftovers par-kill)" = 0 ] && [ ! -e "$state/par-kill.json" ] && clean=$((clean + 1))
done
expect_eq "kill -9 then --destroy leaves nothing ($rounds instants)" "$rounds" "$clean"
check "several steps were in flight at some of the kills ($several of $rounds)" test "$several" -ge 2

tap_done
