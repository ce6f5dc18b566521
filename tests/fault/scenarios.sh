#!/usr/bin/env bash
# Reliability scenarios against moto through the fault proxy (tests/lib/fault_proxy.py),
# each printing TAP with its figures in the descriptions:
#   transient  deploy + destroy with a share of requests throttled or
#              failing transiently: succeeds; how many retries it took
#   outage     faults the retry budget cannot absorb: the run fails, rolls
#              back, and moto holds none of the run's resources
#   kill       kill -9 at random instants of a deploy, each followed by
#              --destroy: nothing left behind, every time
#   lost       the answer to every mutating call is lost once (the server
#              acted): no duplicate resource
#   stall      an answer that never comes: the request times out and is retried
#   formats    throttling, 500 and 503 in each protocol's format, a body cut
#              short, a reset, for each of the nine services: retried
#   secrets    planted credentials, a Secrets Manager value and the registry
#              password appear nowhere fgrun writes (-vv, journal, HOME)
#   replay     the same seed gives the same faults
# Sizes come from the environment (tests/cli/reliability.sh sets the short
# forms, tests/fault/soak.sh the long ones):
#   REL_SEED (1), REL_CYCLES (fg recipe deploy+destroy cycles under
#   transient faults, 3), REL_RATE (0.2), REL_KILLS (kills at a request,
#   10), REL_KILL_ALL (1: at every request instead), REL_TIMED_KILLS (kills
#   at an instant, 5), REL_OUTAGES (2),
#   REL_SCENARIOS (all: "formats transient outage kill lost stall secrets").
# Starts its own moto (the Fargate recipe needs MOTO_ECS_SERVICE_RUNNING=3)
# and proxy; both are stopped on exit. Needs FGRUN.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib/tap.sh"
. "$root/tests/lib/moto.sh"
. "$root/tests/lib/fault.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
seed=${REL_SEED:-1}
cycles=${REL_CYCLES:-3}
rate=${REL_RATE:-0.2}
kills=${REL_KILLS:-10}
timed_kills=${REL_TIMED_KILLS:-5}
outages=${REL_OUTAGES:-2}
scenarios=" ${REL_SCENARIOS:-formats transient outage kill lost stall secrets} "
fg_recipe=$root/tests/fixtures/recipes/small.lua
fargate=$root/recipes/fargate_alb.lua
IMAGE=public.ecr.aws/nginx/nginx:latest

if ! command -v moto_server >/dev/null 2>&1; then
    tap_skip "moto_server is not installed"; tap_done; exit 0
fi
tmp=$(mktemp -d); [ -n "${REL_KEEP:-}" ] && echo "# work files kept in $tmp"
# a private copy: build/fgrun may be rebuilt while this runs
cp "$FGRUN" "$tmp/fgrun" && FGRUN=$tmp/fgrun
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; stop_proxy; stop_moto; [ -n "${REL_KEEP:-}" ] || rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
MOTO_ECS_SERVICE_RUNNING=3 start_moto "$tmp" || { tap_fail "moto did not start"; tap_done; exit 0; }
moto=$FGRUN_TEST_MOTO_URL
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=$moto NO_COLOR=1
unset AWS_PROFILE AWS_MAX_ATTEMPTS AWS_RETRY_MODE DOCKER_HOST
echo "# seed $seed (REL_SEED=$seed replays these faults)"
SECONDS=0
took() { echo "# $1 took ${SECONDS}s"; SECONDS=0; }

# run OUT ERR FGRUN-ARGS...: runs fgrun, sets rc; stdout/stderr to files.
run() {
    local o=$1 e=$2; shift 2
    "$FGRUN" "$@" >"$o" 2>"$e"; rc=$?
}
# fargate STATE [args...]: the Fargate recipe (prebuilt image, no Docker).
fargate() {
    local state=$1; shift
    run "$tmp/out" "$tmp/err" --state-dir "$state" --env local -D image=$IMAGE "$@" "$fargate"
}
fgtest() {
    local state=$1 name=$2; shift 2
    run "$tmp/out" "$tmp/err" --state-dir "$state" -D name="$name" "$@" "$fg_recipe"
}
# Leftovers, straight from moto (never through the proxy).
fg_left() { AWS_ENDPOINT_URL=$moto "$FGRUN" "$root/tests/lib/small_leftovers.lua" "$1" | sed -n 's/^total //p'; }
fargate_left() { AWS_ENDPOINT_URL=$moto "$FGRUN" "$root/tests/lib/fargate_leftovers.lua" "$1" | sed -n 's/^total //p'; }
# The kinds of resource moto holds of a Fargate deployment, with counts.
# Listeners too, which leftovers.lua leaves to their load balancer.
fargate_kinds() {
    { AWS_ENDPOINT_URL=$moto "$FGRUN" "$root/tests/lib/fargate_leftovers.lua" "$1" | grep -v '^total ' | sed 's/ [^ ]*$//'
      LB_MATCH=$1 AWS_ENDPOINT_URL=$moto "$FGRUN" -e 'local elb = require("aws").elbv2
        for _, lb in ipairs(elb.describe_load_balancers{}.LoadBalancers) do
          if lb.LoadBalancerName:find(os.getenv("LB_MATCH"), 1, true) then
            for _ in ipairs(elb.describe_listeners{ LoadBalancerArn = lb.LoadBalancerArn }.Listeners) do print("listener") end
          end
        end'
    } | sort | uniq -c | tr -s ' ' | tr '\n' ';'
}
suffix_of() { sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p' "$1" 2>/dev/null; }
# Random numbers from the seed (awk's srand), one a line: rand_list SEED N LO HI
rand_list() { awk -v s="$1" -v n="$2" -v lo="$3" -v hi="$4" 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%.3f\n", lo + rand() * (hi - lo) }'; }

# -- transient: throttling and transient errors at REL_RATE -------------------
if [[ $scenarios == *" transient "* ]]; then
    # One call fails only when all its attempts are faulted: rate^attempts
    # (0.2^5 = 0.03 %); with the SDK default of 3 a long deploy fails now
    # and then (0.8 % a call), so this scenario asks for 5 attempts.
    export AWS_MAX_ATTEMPTS=5
    faults=throttle,500,503,reset,latency
    start_proxy "$tmp/p-transient" "$moto" --seed "$seed" --rate "$rate" --faults "$faults" --latency 0.2
    ok=0
    : >"$tmp/transient.err"
    for i in $(seq "$cycles"); do
        AWS_ENDPOINT_URL=$PROXY_URL fgtest "$tmp/s-transient" "rel-t$i" -v
        cat "$tmp/err" >>"$tmp/transient.err"; deploy_rc=$rc
        AWS_ENDPOINT_URL=$PROXY_URL fgtest "$tmp/s-transient" "rel-t$i" -v --destroy
        cat "$tmp/err" >>"$tmp/transient.err"
        if [ "$deploy_rc" = 0 ] && [ "$rc" = 0 ] && [ "$(fg_left "rel-t$i")" = 0 ]; then
            ok=$((ok + 1))
        else
            echo "# cycle $i: deploy exit $deploy_rc, destroy exit $rc"; tail -5 "$tmp/err" | sed 's/^/#   /'
        fi
    done
    n=$(proxy_requests "$tmp/p-transient") f=$(proxy_faults "$tmp/p-transient") r=$(retries "$tmp/transient.err")
    expect_eq "transient: fg recipe, $cycles deploy+destroy cycles with $rate of requests faulted ($f of $n: $faults): all succeed, $r retries" "$cycles" "$ok"
    # Latency is no error; libcurl itself resends a request whose reused
    # connection was reset before any answer, so a reset may need no retry.
    errs=$(grep -Ec ' (throttle|500|503|reset)$' "$tmp/p-transient/proxy.log")
    resets=$(grep -c ' reset$' "$tmp/p-transient/proxy.log")
    expect_eq "transient: every injected error was retried ($errs errors of which $resets resets, $r retries)" \
        "yes" "$([ "$r" -le "$errs" ] && [ "$r" -ge $((errs - resets)) ] && echo yes)"

    start_proxy "$tmp/p-transient2" "$moto" --seed "$((seed + 1))" --rate "$rate" --faults "$faults" --latency 0.2
    AWS_ENDPOINT_URL=$PROXY_URL fargate "$tmp/s-fargate-t" -v
    deploy_rc=$rc; cp "$tmp/err" "$tmp/fargate-t.err"
    sfx=$(suffix_of "$tmp/s-fargate-t/fargate-alb.local.json")
    AWS_ENDPOINT_URL=$PROXY_URL fargate "$tmp/s-fargate-t" -v --destroy
    cat "$tmp/err" >>"$tmp/fargate-t.err"; destroy_rc=$rc
    n=$(proxy_requests "$tmp/p-transient2") f=$(proxy_faults "$tmp/p-transient2") r=$(retries "$tmp/fargate-t.err")
    expect_eq "transient: Fargate recipe deploy+destroy with $rate faulted ($f of $n requests): exits 0 and 0, $r retries" "0 0" "$deploy_rc $destroy_rc"
    [ "$deploy_rc" = 0 ] || tail -5 "$tmp/fargate-t.err" | sed 's/^/# /'
    expect_eq "transient: Fargate recipe leaves nothing after destroy (suffix ${sfx:-?})" "0" "$(fargate_left "${sfx:-none}")"
    stop_proxy
    unset AWS_MAX_ATTEMPTS
    took transient
fi

# -- outage: faults the retry budget cannot absorb ----------------------------
if [[ $scenarios == *" outage "* ]]; then
    # A burst of 503s as long as the attempts (3) after a random request: the
    # call in the burst fails, the rollback after it runs unfaulted.
    i=0 clean=0
    for at in $(rand_list "$((seed + 2))" "$outages" 4 40 | cut -d. -f1); do
        i=$((i + 1))
        start_proxy "$tmp/p-outage$i" "$moto" --seed "$seed" --after "$at" --max 3 --faults 503
        AWS_ENDPOINT_URL=$PROXY_URL fargate "$tmp/s-outage$i" -v
        sfx=$(suffix_of "$tmp/s-outage$i/fargate-alb.local.json")
        [ -n "$sfx" ] || sfx=$(grep -o 'fargate-[a-z-]*-\([a-z0-9]\{6\}\)' "$tmp/out" | head -1 | sed 's/.*-//')
        failed_call=$(grep -E '^aws .*: .* after 3 attempts' "$tmp/err" | head -1 | awk '{print $2}' | tr -d :)
        left=$(fargate_left "${sfx:-none}")
        if [ "$rc" = 1 ] && grep -q "rolled back" "$tmp/out" && [ "$left" = 0 ] \
            && [ ! -e "$tmp/s-outage$i/fargate-alb.local.json" ]; then
            clean=$((clean + 1))
            echo "# outage $i: 503 x3 from request $((at + 1)) ($failed_call): exit 1, rolled back, 0 left"
        else
            echo "# outage $i: 503 x3 from request $((at + 1)) ($failed_call): exit $rc, $left left"
            tail -5 "$tmp/out" | sed 's/^/#   /'
        fi
    done
    expect_eq "outage: $outages bursts of 503 longer than the retry budget: each run fails, rolls back, leaves 0 resources" "$outages" "$clean"

    # A lasting outage: every request after the 20th fails, so the rollback
    # fails too; the journal is kept, and --destroy once AWS is back removes all.
    start_proxy "$tmp/p-down" "$moto" --seed "$seed" --after 20 --faults 503
    AWS_ENDPOINT_URL=$PROXY_URL fargate "$tmp/s-down" -v
    down_rc=$rc
    sfx=$(suffix_of "$tmp/s-down/fargate-alb.local.json")
    before=$(fargate_left "${sfx:-none}")
    expect_match "outage: AWS down from request 21: the run fails (exit $down_rc) and keeps its journal ($before resources left)" \
        "^[1-9] yes$" "$down_rc $([ -e "$tmp/s-down/fargate-alb.local.json" ] && echo yes)"
    stop_proxy
    fargate "$tmp/s-down" --destroy
    expect_eq "outage: --destroy after AWS is back: exit $rc, 0 of $before left" "0 0" "$rc $(fargate_left "${sfx:-none}")"
    took outage
fi

# -- kill: kill -9 at random instants, then --destroy -------------------------
if [[ $scenarios == *" kill "* ]]; then
    # Two kinds of instant. By request: the proxy forwards request N (the
    # server acts) and holds its answer while fgrun is killed, which
    # replays exactly. By time: a random instant of a warm deploy's span.
    fargate "$tmp/s-probe"; fargate "$tmp/s-probe" --destroy   # warms moto
    start=$(date +%s.%N)
    fargate "$tmp/s-probe"
    span=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    fargate "$tmp/s-probe" --destroy
    start_proxy "$tmp/p-probe" "$moto" --seed "$seed"
    AWS_ENDPOINT_URL=$PROXY_URL fargate "$tmp/s-probe"
    stop_proxy
    fargate "$tmp/s-probe" --destroy
    total=$(proxy_requests "$tmp/p-probe")
    # a kill inside a step that has no find (the security group rules)
    nofind=$(grep -n ' ec2.AuthorizeSecurityGroupIngress ' "$tmp/p-probe/proxy.log" | head -1 | cut -d: -f1)
    if [ "${REL_KILL_ALL:-}" = 1 ]; then
        points=$(seq "$total")
    else
        points="$(rand_list "$((seed + 3))" "$kills" 1 "$((total + 1))" | cut -d. -f1 | tr '\n' ' ') ${nofind:-}"
    fi
    # kill_check N WHAT: --destroy the deployment in $st; counts it clean or says why not.
    kill_check() {
        local what=$1 sfx left
        sfx=$(suffix_of "$st/fargate-alb.local.json")
        fargate "$st" --destroy
        left=$(fargate_left "${sfx:-none}")
        if [ "$rc" = 0 ] && [ "$left" = 0 ] && [ ! -e "$st/fargate-alb.local.json" ]; then
            clean=$((clean + 1))
        else
            echo "# kill $what: --destroy exit $rc, $left left (suffix ${sfx:-none}), journal $([ -e "$st/fargate-alb.local.json" ] && echo kept || echo gone)"
            grep -v '^stack\|^\s' "$tmp/err" | tail -2 | sed 's/^/#   /'
        fi
    }
    clean=0 i=0
    for n in $points; do
        i=$((i + 1)) st=$tmp/s-killn$i
        start_proxy "$tmp/p-kill" "$moto" --seed "$seed" --hold "$n" --stall 30
        AWS_ENDPOINT_URL=$PROXY_URL "$FGRUN" --state-dir "$st" --env local -D image=$IMAGE "$fargate" >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 300); do
            grep -q '^# held' "$tmp/p-kill/proxy.log" 2>/dev/null && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        op=$(sed -n "${n}p" "$tmp/p-kill/proxy.log" | awk '{print $3}')
        kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        stop_proxy
        kill_check "at request $n (${op:-after the end}, answer held)"
    done
    npoints=$(echo $points | wc -w)
    expect_eq "kill: kill -9 at $npoints requests of $total (seeded; the server acted, the answer never came), each then --destroy: $clean of $npoints leave nothing" "$npoints" "$clean"
    [ -n "$nofind" ] && echo "# request $nofind (the first security group rule, a step without find) is always among them"

    clean=0 i=0 steps_seen=""
    for at in $(rand_list "$((seed + 4))" "$timed_kills" 0 "$span"); do
        i=$((i + 1)) st=$tmp/s-killt$i
        "$FGRUN" --state-dir "$st" --env local -D image=$IMAGE "$fargate" >"$tmp/kill.out" 2>&1 &
        pid=$!
        sleep "$at"
        kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        steps_seen="$steps_seen $(grep -c '^  created ' "$tmp/kill.out")"
        kill_check "at ${at}s"
    done
    echo "# timed kills in 0..${span}s; steps created before each:$steps_seen"
    expect_eq "kill: kill -9 at $timed_kills random instants of a ${span}s deploy, each then --destroy: $clean of $timed_kills leave nothing" "$timed_kills" "$clean"
    took kill
fi

# -- lost: the answer to a mutating call is lost after the server acted -------
if [[ $scenarios == *" lost "* ]]; then
    fargate "$tmp/s-base"
    base_sfx=$(suffix_of "$tmp/s-base/fargate-alb.local.json")
    baseline=$(fargate_kinds "$base_sfx")
    fargate "$tmp/s-base" --destroy
    echo "# a clean deploy holds: $baseline"
    # CreateListener and CreateLoadBalancer are left out: AWS makes them
    # idempotent (the same settings return the same resource), moto makes a
    # second one (a second listener then keeps the target group in use).
    ops=${REL_LOST_OPS:-'^(?!CreateListener$|CreateLoadBalancer$)(Create|Register|Put|Attach|Authorize)'}
    # Two ways to lose it: the connection is reset (libcurl resends a
    # request whose reused connection dies before any answer by itself,
    # unseen by fgrun), or a 503 comes instead (fgrun's retry resends it).
    for how in reset-after 503-after; do
        st=$tmp/s-lost-$how
        start_proxy "$tmp/p-lost-$how" "$moto" --seed "$seed" --rate 1 --faults "$how" --ops "$ops" --once-per-op
        AWS_ENDPOINT_URL=$PROXY_URL fargate "$st" -v
        first_rc=$rc; cp "$tmp/err" "$tmp/lost.err"
        reruns=0
        # a run that fails meets the next lost answer when run again; bounded
        while [ "$rc" != 0 ] && [ "$reruns" -lt 25 ]; do
            reruns=$((reruns + 1))
            AWS_ENDPOINT_URL=$PROXY_URL fargate "$st" -v
            cat "$tmp/err" >>"$tmp/lost.err"
        done
        stop_proxy
        lost=$(proxy_faults "$tmp/p-lost-$how")
        sfx=$(suffix_of "$st/fargate-alb.local.json")
        kinds=$(fargate_kinds "${sfx:-none}")
        answered=$(grep -E '^aws .* after [0-9]+ attempts?,' "$tmp/lost.err" | grep -vE 'NoSuchEntity|NotFound|does not exist' | awk '{print $2 $3}' | tr '\n' ' ')
        echo "# $how: $lost answers lost ($(grep -v '^#' "$tmp/p-lost-$how/proxy.log" | grep -v ' pass$' | awk '{print $3}' | tr '\n' ' '))"
        echo "# $how: first run exit $first_rc, $((reruns + 1)) run(s) to deploy, $(retries "$tmp/lost.err") retries by fgrun${answered:+; calls answered with an error: $answered}"
        echo "# $how: moto then holds: $kinds"
        expect_eq "lost ($how): $lost mutating answers lost; deployed after $((reruns + 1)) run(s)" "0" "$rc"
        # RegisterTaskDefinition has no idempotency: a resent one makes one
        # more revision, which is fine when the journal records it for removal.
        tds=$(AWS_ENDPOINT_URL=$moto "$FGRUN" "$root/tests/lib/fargate_leftovers.lua" "${sfx:-none}" | sed -n 's/^task definition //p')
        unrecorded=0
        for arn in $tds; do grep -qF "\"$arn\"" "$st/fargate-alb.local.json" || unrecorded=$((unrecorded + 1)); done
        expect_eq "lost ($how): no duplicate resource (kinds and counts as a clean deploy; task definition revisions aside)" \
            "$(printf '%s' "$baseline" | sed 's/ [0-9]* task definition;//')" "$(printf '%s' "$kinds" | sed 's/ [0-9]* task definition;//')"
        expect_eq "lost ($how): each of the $(echo $tds | wc -w) active task definition revisions is in the journal, for removal" "0" "$unrecorded"
        fargate "$st" --destroy
        expect_eq "lost ($how): --destroy leaves nothing" "0 0" "$rc $(fargate_left "${sfx:-none}")"
    done
    took lost
fi

# -- stall: an answer that never comes ----------------------------------------
if [[ $scenarios == *" stall "* ]]; then
    # The default client, its read timeout from the environment.
    # moto's first answers are slow: warm it, so only the stall times out
    "$FGRUN" -e 'require("aws").ecs.list_clusters{}' >/dev/null 2>&1
    start_proxy "$tmp/p-stall" "$moto" --seed "$seed" --rate 1 --max 1 --faults stall --stall 5
    t0=$(date +%s.%N)
    got=$(AWS_ENDPOINT_URL=$PROXY_URL AWS_READ_TIMEOUT=1 "$FGRUN" -v -e '
      print(#require("aws").ecs.list_clusters{}.clusterArns >= 0 and "answered")' 2>"$tmp/stall.err")
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    expect_eq "stall: a 5 s stall with AWS_READ_TIMEOUT=1 times out and the retry answers ($secs s, retries: $(retries "$tmp/stall.err"))" "answered" "$got"
    expect_match "stall: the retry line names the timeout" "attempt 1/3 failed: RequestTimeout: http://127.0.0.1:[0-9]*: no data for 1 s \(read_timeout\)" "$(cat "$tmp/stall.err")"
    stop_proxy
    took stall
fi

# -- formats: each protocol's throttling and server errors are retried ------
if [[ $scenarios == *" formats "* ]]; then
    for fault in throttle 500 503 truncate reset; do
        start_proxy "$tmp/p-formats" "$moto" --seed "$seed" --rate 1 --faults "$fault" --once-per-op
        AWS_ENDPOINT_URL=$PROXY_URL "$FGRUN" -v -e 'local aws = require "aws"
          aws.ec2.describe_vpcs{}                                      -- ec2
          aws.iam.list_roles{}                                         -- query
          aws.elbv2.describe_load_balancers{}                          -- query
          aws.sts.get_caller_identity{}                                -- query
          aws.ecs.list_clusters{}                                      -- json 1.1
          aws.logs.describe_log_groups{}                               -- json 1.1
          aws.application_autoscaling.describe_scalable_targets{ ServiceNamespace = "ecs" }
          aws.secretsmanager.list_secrets{}                            -- json 1.1
          aws.ecr.describe_repositories{}                              -- json 1.1
          print("all answered")' >"$tmp/out" 2>"$tmp/err"
        got=$(grep -o '^aws [a-z0-9_-]*\.[A-Za-z]*: attempt 1/3 failed: [A-Za-z]*' "$tmp/err" | awk '{print $2 $NF}' | tr '\n' ' ')
        r=$(retries "$tmp/err")
        # libcurl itself resends a request whose reused connection was reset
        # before any answer, so a reset may need no retry of fgrun's
        [ "$fault" = reset ] && [ "$r" -le 9 ] && r=9
        expect_eq "formats: $fault in each protocol's format (ec2, query, json) is retried for all nine services ($(proxy_faults "$tmp/p-formats") faults, $(retries "$tmp/err") retries)" \
            "all answered 9" "$(cat "$tmp/out") $r"
        echo "# $fault: $got"
    done
    stop_proxy
    took formats
fi

# -- secrets: nothing fgrun writes holds a planted secret ---------------------
if [[ $scenarios == *" secrets "* ]]; then
    # Known values planted in the credentials (environment, then a shared
    # credentials file), a Secrets Manager secret the container reads, and
    # (with the Docker stand-ins) the registry password from ECR; a deploy,
    # status and destroy at -vv; then every byte written is searched.
    plant_key=FGPLANTKEY$seed$RANDOM plant_token=FGPLANTTOKEN$seed$RANDOM
    plant_key2=FGPLANTFILEKEY$seed$RANDOM plant_token2=FGPLANTFILETOKEN$seed$RANDOM
    plant_value=FGPLANTSECRETVALUE$seed$RANDOM
    home=$tmp/home st=$tmp/s-secrets out_all=$tmp/secrets-written
    mkdir -p "$home" "$out_all"
    arn=$("$FGRUN" -e "print(require('aws').secretsmanager.create_secret{Name = 'rel-db-$seed', SecretString = '$plant_value'}.ARN)")
    docker_args=(-D "image=$IMAGE") planted=("$plant_key" "$plant_token" "$plant_key2" "$plant_token2" "$plant_value")
    how="prebuilt image"
    if [ -n "${FGRUN_TEST_DOCKER_HOST:-}" ] && [ -n "${FGRUN_TEST_REGISTRY:-}" ]; then
        export DOCKER_HOST=$FGRUN_TEST_DOCKER_HOST
        export FGRUN_REGISTRY_MAP="123456789012.dkr.ecr.us-east-1.amazonaws.com=$FGRUN_TEST_REGISTRY"
        registry_password=$("$FGRUN" -e 'local t = require("aws").ecr.get_authorization_token{}.authorizationData[1].authorizationToken
          print((require("base.base64").decode(t):gsub("^[^:]*:", "")))')
        [ -n "$registry_password" ] && planted+=("$registry_password")
        docker_args=() how="image built and pushed"
    fi
    HOME=$home AWS_SECRET_ACCESS_KEY=$plant_key AWS_SESSION_TOKEN=$plant_token \
        run "$out_all/deploy.out" "$out_all/deploy.err" -vv --state-dir "$st" --env local "${docker_args[@]}" \
        -D secrets="{\"DB_PASSWORD\": \"$arn\"}" "$fargate"
    deploy_rc=$rc
    cp "$st"/*.json "$out_all/" 2>/dev/null
    : >"$tmp/empty"
    printf '[default]\naws_access_key_id = AKIDPLANT\naws_secret_access_key = %s\naws_session_token = %s\n' \
        "$plant_key2" "$plant_token2" >"$tmp/credentials"
    for action in status destroy; do
        set -- "$fargate"
        [ "$action" = status ] && set -- "$fargate" status
        [ "$action" = destroy ] && set -- --destroy "$fargate"
        HOME=$home AWS_SHARED_CREDENTIALS_FILE=$tmp/credentials AWS_CONFIG_FILE=$tmp/empty \
            env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$FGRUN" -vv --state-dir "$st" --env local \
            "${docker_args[@]}" -D secrets="{\"DB_PASSWORD\": \"$arn\"}" "$@" \
            >"$out_all/$action.out" 2>"$out_all/$action.err"
    done
    destroy_rc=$?
    cp -r "$home" "$st" "$out_all/" 2>/dev/null
    unset DOCKER_HOST FGRUN_REGISTRY_MAP
    bytes=$(cat "$out_all"/* "$out_all"/*/* 2>/dev/null | wc -c)
    found=""
    for v in "${planted[@]}"; do
        grep -rqaF -- "$v" "$out_all" && found="$found ${v:0:14}..."
    done
    expect_eq "secrets: deploy ($how) with planted credentials and secret exits 0" "0" "$deploy_rc"
    expect_match "secrets: the -vv log is on (the signing header is shown redacted)" "[Aa]uthorization: <redacted>" "$(cat "$out_all/deploy.err")"
    expect_match "secrets: status and destroy signed with the planted file's credentials (destroy exit $destroy_rc)" \
        "credentials from .*$tmp/credentials" "$(cat "$out_all/destroy.err")"
    expect_eq "secrets: destroy leaves nothing" "0 0" "$destroy_rc $(fargate_left "$(suffix_of "$out_all/fargate-alb.local.json")")"
    expect_eq "secrets: ${#planted[@]} planted values in none of the $bytes bytes written (stdout, stderr at -vv, journal, HOME)" "" "$found"
    took secrets
fi

# -- replay: the same seed gives the same decisions ---------------------------
if [[ $scenarios == *" transient "* ]]; then
    expect_eq "replay: the fg recipe's first cycle under seed $seed replays the same faults" \
        "$(head -9 "$tmp/p-transient/proxy.log" | awk '{print $3, $5}')" \
        "$(start_proxy "$tmp/p-replay" "$moto" --seed "$seed" --rate "$rate" --faults throttle,500,503,reset,latency --latency 0.2 &&
           AWS_MAX_ATTEMPTS=5 AWS_ENDPOINT_URL=$PROXY_URL fgtest "$tmp/s-replay" rel-t1 >/dev/null; stop_proxy;
           head -9 "$tmp/p-replay/proxy.log" | awk '{print $3, $5}')"
fi

tap_done
