#!/usr/bin/env bash
# fgrun --plan on the deployment library's test recipe against moto: a
# fresh plan (every step to create, no mutating call, nothing written), no
# changes after a deploy (exit 0, only Describe/List/Get on the wire), a
# change planned exactly as the run then makes it, a resource deleted
# behind fgrun's back, --plan --destroy, a corrupt journal, plans while a
# deploy holds the lock, the exit statuses, the read-only guard, --confirm.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
here=$root/tests
recipe=$here/fixtures/recipes/small.lua
test_moto shared

# fg NAME [options...]: runs the test recipe as deployment NAME; sets out, err, rc.
fg() { local name=$1; shift; run_fgrun --state-dir "$state" -D name="$name" "$@" "$recipe"; }
leftovers() { "$FGRUN" "$here/lib/small_leftovers.lua" "$1" | sed -n 's/^total //p'; }
# The AWS operations a -v or -vv log names ("aws ecs.DescribeClusters 200, ...").
operations() { printf '%s\n' "$1" | sed -n 's/^aws [a-z0-9_-]*\.\([A-Za-z]*\) .*/\1/p' | sort -u | tr '\n' ' '; }
not_reads() { printf '%s\n' "$1" | sed -n 's/^aws [a-z0-9_-]*\.\([A-Za-z]*\) .*/\1/p' | grep -Ev '^(Describe|List|Get)' | tr '\n' ' '; }
# jq-like access to the plan's JSON: plan_json EXPR (Python, over d).
plan_json() { printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>&1; }

# ---- a fresh deployment ----------------------------------------------------------

fg pa --plan -vv
expect_eq "a fresh plan: exit 2 (changes)" "2" "$rc"
expect_match "...every step to create" "4 to create, 0 to update, 0 to replace, 0 to remove" "$out"
expect_match "...a value made by the run is known after apply" "name = \"pa-\(known after apply\)-sg\"" "$out"
expect_eq "...and only Describe/List/Get calls on the wire (-vv)" "" "$(not_reads "$err")"
check "...and no journal, no lock written" test ! -e "$state"
expect_eq "...and nothing in moto" "0" "$(leftovers pa)"
fg pa --plan --json
expect_eq "--plan --json: one object per step, every one a create" "create create create create" \
    "$(plan_json '" ".join(s["action"] for s in d["steps"])')"
expect_eq "...with its fields (old null, new the value)" "retention None 7" \
    "$(plan_json '" ".join(str(x) for c in d["steps"][2]["changes"] if c["field"] == "retention" for x in (c["field"], c["old"], c["new"]))')"

# ---- unchanged -------------------------------------------------------------------

fg pa
expect_eq "the deploy succeeds" "0" "$rc"
journal_sum=$(md5sum < "$state/pa.json")
fg pa --plan -vv
expect_eq "after a deploy, --plan with no change: exit 0" "0" "$rc"
expect_match "...says no changes" "pa: no changes" "$out"
expect_eq "...every step unchanged" "4" "$(printf '%s\n' "$out" | grep -c '^ *unchanged ')"
expect_eq "...and the wire log has only Describe/List/Get calls" "" "$(not_reads "$err")"
expect_match "...having read every resource" "DescribeClusters.*DescribeLogGroups.*DescribeSecurityGroups.*GetRole" "$(operations "$err")"
expect_eq "...and the journal is byte for byte as it was" "$journal_sum" "$(md5sum < "$state/pa.json")"

# ---- a change: the plan names what the run then changes --------------------------

fg pa --plan --json -D retention=14
expect_eq "a changed parameter: exit 2" "2" "$rc"
planned=$(plan_json '" ".join(s["name"] + ":" + s["action"] + ":" + ",".join(c["field"] + "=" + json.dumps(c["old"]) + ">" + json.dumps(c["new"]) for c in s["changes"]) for s in d["steps"] if s["action"] != "unchanged")')
expect_eq "...the plan's JSON: log_group updated, retention 7 -> 14" "log_group:update:retention=7>14" "$planned"
fg pa --json -D retention=14
ran=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(s["step"] + ":" + s["action"] for s in d["steps"] if s["action"] != "unchanged"))')
expect_eq "...and the run changes exactly that step" "log_group:updated" "$ran"
ret=$("$FGRUN" -e 'print(require("aws").logs.describe_log_groups{logGroupNamePrefix="/fgtest/pa-"}.logGroups[1].retentionInDays)')
expect_eq "...which moto now holds" "14" "$ret"

# ---- deleted behind fgrun's back ----------------------------------------------------

"$FGRUN" -e 'local aws = require "aws"
  for _, a in ipairs(aws.ecs.list_clusters{}.clusterArns) do
    if a:find("/pa%-") then aws.ecs.delete_cluster{cluster = a} end end'
fg pa --plan -D retention=14
expect_eq "a resource deleted outside fgrun: exit 2" "2" "$rc"
expect_match "...planned as create, saying why" "create +cluster .*gone \(deleted outside fgrun\)" "$out"
fg pa -D retention=14
expect_match "...and the run creates it" "created +cluster" "$out"

# ---- --plan --destroy ------------------------------------------------------------------

journal_sum=$(md5sum < "$state/pa.json")
fg pa --plan --destroy -D retention=14
expect_eq "--plan --destroy: exit 2" "2" "$rc"
expect_eq "...every step to remove, newest first" "cluster log_group role security_group" \
    "$(printf '%s\n' "$out" | sed -n 's/^ *- remove *\([a-z_]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "...and removes nothing" "4" "$(leftovers pa)"
expect_eq "...the journal unchanged" "$journal_sum" "$(md5sum < "$state/pa.json")"
out=$("$FGRUN" --plan --destroy --json "$state/pa.json" 2>"$tmp/err"); rc=$?
expect_eq "--plan --destroy JOURNAL (the journal alone): exit 2, four removals" "2 remove remove remove remove" \
    "$rc $(plan_json '" ".join(s["action"] for s in d["steps"])')"
expect_eq "...removing nothing" "4" "$(leftovers pa)"
fg pnone --plan --destroy
expect_eq "--plan --destroy with nothing deployed: exit 0, saying so" "0 nothing to destroy: no journal at $state/pnone.json" \
    "$rc $(printf '%s\n' "$out" | sed -n 's/^  nothing/nothing/p')"

# ---- plans while a deploy runs -----------------------------------------------------------

"$FGRUN" --state-dir "$state" -D name=pa -D retention=30 -D slow_at=log_group_update "$recipe" >"$tmp/deploy.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "slow in" "$tmp/deploy.out" && break; sleep 0.1; done
during=$(md5sum < "$state/pa.json")
"$FGRUN" --state-dir "$state" -D name=pa -D retention=30 --plan --json "$recipe" >"$tmp/plan1.json" 2>"$tmp/plan1.err" &
p1=$!
"$FGRUN" --state-dir "$state" -D name=pa -D retention=30 --plan --json "$recipe" >"$tmp/plan2.json" 2>"$tmp/plan2.err" &
p2=$!
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
expect_eq "two plans while a deploy holds the lock: both run (exit 2)" "2 2" "$rc1 $rc2"
expect_eq "...each plans the update the deploy is making" "log_group:update log_group:update" \
    "$(for f in "$tmp/plan1.json" "$tmp/plan2.json"; do python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(s["name"] + ":" + s["action"] for s in d["steps"] if s["action"] != "unchanged"))' "$f"; done | tr '\n' ' ' | sed 's/ $//')"
expect_eq "...and neither wrote the journal" "$during" "$(md5sum < "$state/pa.json")"
kill -INT "$pid"; wait "$pid"
expect_match "the deploy then rolls back as usual (SIGINT)" "reverted +log_group" "$(cat "$tmp/deploy.out")"
fg pa -D retention=14 --plan
expect_eq "...and its journal is whole: a plan says no changes" "0 pa: no changes" "$rc $(printf '%s\n' "$out" | tail -1)"

# ---- bad input -------------------------------------------------------------------------

mkdir -p "$state"
printf '{"format": 1, "steps": [' > "$state/pc.json"
fg pc --plan
expect_eq "a corrupt journal: exit 1" "1" "$rc"
expect_match "...reported as for a run" "journal .*pc.json is corrupt" "$err"
"$FGRUN" --plan --bogus "$recipe" >/dev/null 2>&1
expect_eq "with --plan a usage error exits 1 (2 is 'changes')" "1" "$?"
"$FGRUN" --bogus "$recipe" >/dev/null 2>&1
expect_eq "...and 2 without --plan" "2" "$?"
"$FGRUN" --plan --state-dir "$state" --migrate-state >/dev/null 2>"$tmp/err"
expect_match "--plan with --migrate-state is refused (exit 1), nothing moved" "1 .*have no plan" "$? $(cat "$tmp/err")"
"$FGRUN" --no-build "$recipe" >/dev/null 2>"$tmp/err"
expect_match "--no-build without --plan is a usage error" "no-build goes with --plan" "$(cat "$tmp/err")"
"$FGRUN" --state-dir "$state" -D name=pa --plan "$recipe" status >/dev/null 2>"$tmp/err"
expect_match "--plan with an action is refused" "1 .*--plan takes no action" "$? $(cat "$tmp/err")"

# ---- the read-only guard ---------------------------------------------------------------

out=$("$FGRUN" --plan -e 'local aws, docker = require "aws", require "docker"
  print(select(2, pcall(aws.ecs.create_cluster, {clusterName = "ro"})).code)
  print(select(2, pcall(aws.logs.put_retention_policy, {logGroupName = "x", retentionInDays = 1})).code)
  print(select(2, pcall(aws.s3.put_object, {Bucket = "b", Key = "k", Body = "x"})).code)
  print(#aws.ecs.list_clusters{}.clusterArns >= 0)
  print(select(2, pcall(docker.tag, "a:1", "127.0.0.1:5000/a", "1")).message)
  print(select(2, pcall(docker.push, "127.0.0.1:5000/a:1")).message)
  print(select(2, pcall(docker.run, {image = "a:1"})).message)' 2>&1)
expect_eq "a --plan run refuses every call that would change AWS, whoever makes it" "ReadOnlyRun ReadOnlyRun ReadOnlyRun true" \
    "$(printf '%s\n' "$out" | head -4 | tr '\n' ' ' | sed 's/ $//')"
expect_eq "...and Docker's tag, push and containers" "3" \
    "$(printf '%s\n' "$out" | grep -c 'would change something; a --plan run makes only calls that read')"
expect_eq "...and nothing reached moto" "" \
    "$("$FGRUN" -e 'for _, a in ipairs(require("aws").ecs.list_clusters{}.clusterArns) do if a:find("/ro$") then print(a) end end')"

# ---- --confirm -------------------------------------------------------------------------------

fg pa -D retention=30 --confirm </dev/null
expect_eq "--confirm without a terminal and without --yes: exit 1" "1" "$rc"
expect_match "...saying why" "standard input is not a terminal.*--yes" "$err"
expect_eq "...and nothing changed" "14" "$("$FGRUN" -e 'print(require("aws").logs.describe_log_groups{logGroupNamePrefix="/fgtest/pa-"}.logGroups[1].retentionInDays)')"
fg pa -D retention=30 --confirm --yes </dev/null
expect_eq "--confirm --yes: the plan, then the run" "0" "$rc"
expect_match "...the plan first" "update +log_group.*retention: 14 -> 30.*updated +log_group" "$(printf '%s' "$out" | tr '\n' ' ')"
if command -v script >/dev/null 2>&1; then
    # script(1) gives fgrun a terminal; the answer comes on it
    confirm_on_tty() {
        printf '%s\n' "$1" | script -qec "$FGRUN --state-dir $state -D name=pa -D retention=$2 --confirm $recipe" /dev/null 2>&1
    }
    out=$(confirm_on_tty n 60); rc=$?
    expect_eq "--confirm on a terminal, answered n: exit 1" "1" "$rc"
    expect_match "...asked after the plan, and said nothing changed" "retention: 30 -> 60.*Deploy these changes to pa\? .*not confirmed; nothing was changed" "$(printf '%s' "$out" | tr '\n\r' '  ')"
    expect_eq "...and nothing changed" "30" "$("$FGRUN" -e 'print(require("aws").logs.describe_log_groups{logGroupNamePrefix="/fgtest/pa-"}.logGroups[1].retentionInDays)')"
    out=$(confirm_on_tty y 60); rc=$?
    expect_eq "--confirm on a terminal, answered y: the run goes on" "0" "$rc"
    expect_eq "...and makes the change" "60" "$("$FGRUN" -e 'print(require("aws").logs.describe_log_groups{logGroupNamePrefix="/fgtest/pa-"}.logGroups[1].retentionInDays)')"
else
    tap_skip "script(1) is missing: --confirm on a terminal is not tried"
fi
mkdir -p "$tmp/envs/env"
cp "$recipe" "$tmp/envs/recipe.lua"
printf 'return { confirm = true, retention = 90 }\n' > "$tmp/envs/env/strict.lua"
out=$("$FGRUN" --state-dir "$state" -D name=pa --env strict "$tmp/envs/recipe.lua" </dev/null 2>&1); rc=$?
expect_match "an environment file's confirm = true asks too (refused without a terminal)" "1 .*standard input is not a terminal" "$rc $out"

fg pa --destroy
expect_eq "the deployment is removed" "0" "$(leftovers pa)"
tap_done
