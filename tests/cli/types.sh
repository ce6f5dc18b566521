#!/usr/bin/env bash
# The resource types of fg.aws against moto (tests/types/recipe.lua):
# every field is changed by one parameter, one at a time; AWS must then
# hold the new value and nothing else may differ (tests/types/snapshot.lua
# compares moto's state, not the journal); a re-run changes nothing; going
# back restores the first state exactly. Then replacements interrupted at
# each of their requests, by an error and by kill -9, must end consistent:
# a re-run or --destroy leaves exactly what it should.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
here=$(cd "$(dirname "$0")/.." && pwd)
recipe=$here/types/recipe.lua
if [ -z "${FGRUN_TEST_MOTO_URL:-}" ]; then
    tap_skip "moto is not running (FGRUN_TEST_MOTO_URL unset)"; tap_done; exit 0
fi
. "$here/fault/lib.sh"
moto=$FGRUN_TEST_MOTO_URL
export AWS_ENDPOINT_URL=$moto AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
tmp=$(mktemp -d)
trap 'stop_proxy; rm -rf "$tmp"' EXIT
state=$tmp/state
MUTATING='^aws [a-z0-9_]+\.(Create|Delete|Put|Update|Register|Deregister|Attach|Detach|Authorize|Revoke|Tag|Untag|Modify|Set|Associate)'

# types NAME [options...]: runs the test recipe as deployment NAME; sets out, err, rc.
types() {
    local name=$1; shift
    out=$("$FGRUN" --state-dir "$state" -D name="$name" "$@" "$recipe" 2>"$tmp/err"); rc=$?
    err=$(cat "$tmp/err")
}
# snap NAME: moto's state of deployment NAME (its names carry NAME-<suffix>)
suffix() { sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$state/$1.json" 2>/dev/null; }
snap() { AWS_ENDPOINT_URL=$moto "$FGRUN" "$here/types/snapshot.lua" "$1-${2:-$(suffix "$1")}"; }
total() { snap "$@" | sed -n 's/^total //p'; }

types tyt
expect_eq "deploy succeeds" "0" "$rc"
sfx=$(suffix tyt)
[ "$rc" = 0 ] || printf '%s\n' "$err" | tail -5 | sed 's/^/# /'
base=$(snap tyt)
expect_match "moto holds every resource" "^total 3$" "$(printf '%s\n' "$base" | tail -1)"

# case "PARAM=VALUE" "ACTION STEP" "LINE-REGEX" "NEW-LINE-REGEX": the
# change, what the run must report, which snapshot lines may differ, and
# a line that must be there after it.
case_() {
    local define=$1 action=$2 allowed=$3 wanted=$4 after changed
    types tyt -D "$define"
    if [ "$rc" != 0 ]; then
        tap_fail "$define: deploy exits 0" "$(printf '%s\n' "$err" | tail -3)"; types tyt; return
    fi
    expect_match "$define: the run reports $action" "$(echo "$action" | sed 's/ / +/')" "$out"
    after=$(snap tyt)
    changed=$(diff <(printf '%s\n' "$base") <(printf '%s\n' "$after") | sed -n 's/^[<>] //p' | grep -v '^total ')
    expect_match "$define: AWS holds the new value" "$wanted" "$after"
    expect_eq "$define: nothing else changed (and nothing is left over)" "" \
        "$(printf '%s\n' "$changed" | grep -vE "$allowed" | grep -v '^$')"
    expect_eq "$define: as many resources as before" "$(printf '%s\n' "$base" | tail -1)" "$(printf '%s\n' "$after" | tail -1)"
    types tyt -v -D "$define"
    expect_eq "$define: a re-run makes no mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"
    types tyt
    expect_eq "$define: going back restores the first state" "$base" "$(snap tyt)"
}

case_ retention=14 "updated log_group" "^log_group " "^log_group /tyt/tyt-.* retention=14$"
case_ sg_name=sg2 "replaced security_group" "^(security_group|sg_rule) " "^security_group tyt-[0-9a-f]+-sg2 "
case_ sg_description=other "replaced security_group" "^(security_group|sg_rule) " "^security_group tyt-[0-9a-f]+-sg-[0-9]+ description=other$"
case_ ingress_port=9090 "updated ingress" "^sg_rule .* ingress " "^sg_rule tyt-[0-9a-f]+-sg ingress tcp 9090-9090 cidr 10.0.0.0/16$"
case_ ingress_cidr=10.9.0.0/16 "updated ingress" "^sg_rule .* ingress " "^sg_rule tyt-[0-9a-f]+-sg ingress tcp 8080-8080 cidr 10.9.0.0/16$"
case_ egress_port=80 "updated egress" "^sg_rule .* egress " "^sg_rule tyt-[0-9a-f]+-sg egress tcp 80-80 cidr 0.0.0.0/0$"
case_ role_name=role2 "replaced role" "^iam_role" "^iam_role tyt-[0-9a-f]+-role2 "
case_ role_service=ecs.amazonaws.com "updated role" "^iam_role " '"Service":"ecs.amazonaws.com"'
case_ role_description=changed "updated role" "^iam_role " "^iam_role tyt-[0-9a-f]+-role description=changed "
case_ role_source_account=123456789012 "updated role" "^iam_role " '"aws:SourceAccount":"123456789012"'

# Bad input: an error that names the step, the field and what to do, and no call.
types tyt -v -D retention=10
expect_match "an invalid log retention is refused, naming the values AWS accepts" \
    "step log_group \(log_group\): field retention_days: 10 days is not a retention .* use one of 1, 3, 5, 7, 14" "$err"
expect_eq "... before any mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"
types tyt -D role_source_account=12
expect_match "a malformed account id is refused" "field source_account: an AWS account id is 12 digits" "$err"
expect_eq "after the refused runs AWS holds the first state" "$base" "$(snap tyt)"

types tyt --destroy
expect_eq "--destroy succeeds" "0" "$rc"
expect_eq "--destroy leaves nothing" "0" "$(total tyt "$sfx")"

# -- a replacement interrupted at each of its requests ------------------------
# sg_name=sg2 replaces the security group and, through its new id, both
# rule sets; the old ones are removed at the end. Interrupted at request N
# (the proxy forwards it, so AWS acts, and then holds the answer while
# fgrun is killed, or answers 500 with no retry), the deployment must end
# consistent: after a re-run exactly the state of an uninterrupted
# replacement, and after --destroy nothing.
norm() { sed -E 's/ty[ke][0-9]*-[0-9a-f]{6}/X/g'; }
types tyk
types tyk -D sg_name=sg2
want=$(snap tyk | norm)
types tyk --destroy
types tyk
start_proxy "$tmp/p-count" "$moto"
AWS_ENDPOINT_URL=$PROXY_URL types tyk -D sg_name=sg2
requests=$(proxy_requests "$tmp/p-count")
stop_proxy
types tyk --destroy
kill_ok=0 kill_destroy_ok=0 error_ok=0 runs=0
for n in $(seq "$requests"); do
    runs=$((runs + 1))
    # kill -9 while request n's answer is held
    name=tyk$n
    types "$name"
    start_proxy "$tmp/p-kill" "$moto" --hold "$n" --stall 30
    AWS_ENDPOINT_URL=$PROXY_URL "$FGRUN" --state-dir "$state" -D name="$name" -D sg_name=sg2 "$recipe" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 200); do grep -q '^# held' "$tmp/p-kill/proxy.log" 2>/dev/null && break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    stop_proxy
    sfx=$(suffix "$name")
    if [ $((n % 2)) = 1 ]; then
        types "$name" -D sg_name=sg2
        got=$(snap "$name" | norm)
        if [ "$rc" = 0 ] && [ "$got" = "$want" ]; then kill_ok=$((kill_ok + 1))
        else echo "# kill at request $n, then a re-run: exit $rc"; diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'; fi
        types "$name" --destroy
    else
        types "$name" --destroy
        [ "$rc" = 0 ] && kill_destroy_ok=$((kill_destroy_ok + 1))
    fi
    left=$(total "$name" "$sfx")
    [ "$left" = 0 ] || { echo "# kill at request $n: $left left after --destroy"; [ $((n % 2)) = 1 ] && kill_ok=$((kill_ok - 1)) || kill_destroy_ok=$((kill_destroy_ok - 1)); }

    # an error answer to request n, no retry
    name=tye$n
    types "$name"
    before=$(snap "$name")
    sfx=$(suffix "$name")
    start_proxy "$tmp/p-err" "$moto" --after $((n - 1)) --max 1 --faults 500
    AWS_ENDPOINT_URL=$PROXY_URL AWS_MAX_ATTEMPTS=1 types "$name" -D sg_name=sg2
    first=$rc
    stop_proxy
    after=$(snap "$name")
    # failed before the end: rolled back to the first state; failed while
    # removing the old group: the new one is in use and the old recorded
    consistent=no
    if [ "$after" = "$before" ] || grep -q '"retired"' "$state/$name.json"; then consistent=yes; fi
    types "$name" -D sg_name=sg2
    got=$(snap "$name" | norm)
    types "$name" --destroy
    if [ "$consistent" = yes ] && [ "$got" = "$want" ] && [ "$(total "$name" "$sfx")" = 0 ]; then error_ok=$((error_ok + 1))
    else echo "# error at request $n: first run exit $first, consistent: $consistent"; diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'; fi
done
odd=$(( (requests + 1) / 2 )) even=$(( requests / 2 ))
expect_eq "replacement killed (kill -9) at each odd request of $requests, then re-run: the replaced state, nothing left over" "$odd" "$kill_ok"
expect_eq "replacement killed at each even request, then --destroy: nothing left" "$even" "$kill_destroy_ok"
expect_eq "replacement failing at each of its $requests requests: rolled back or consistent, a re-run completes it, --destroy leaves nothing" "$requests" "$error_ok"

tap_done
