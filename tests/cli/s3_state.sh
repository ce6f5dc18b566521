#!/usr/bin/env bash
# Team state in S3 (--state s3://bucket/prefix) against a moto of its own:
# runs racing for the lock (one wins, the others are refused and told the
# holder), kill -9 of the holder then --force-unlock and a resumed run, a
# journal overwritten behind fgrun's back refused through its ETag, the
# Fargate recipe deployed and destroyed with nothing left in AWS or in the
# bucket (the lock included), a local journal migrated, the versioning
# warning, and a bucket that does not exist or cannot be written to.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
recipe=$root/tests/fixtures/recipes/small.lua
fargate=$root/recipes/fargate_alb.lua
IMAGE=public.ecr.aws/nginx/nginx:latest
pids=()
on_exit 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done'
# A moto of its own: the Fargate recipe wants three tasks running, and the
# last test turns on moto's IAM checks, which would fail other suites.
test_moto 3
moto=$FGRUN_TEST_MOTO_URL
# a secret key that must appear in no journal, lock or output
secret_key="state-secret-$RANDOM$RANDOM"
export AWS_SECRET_ACCESS_KEY=$secret_key NO_COLOR=1
unset AWS_PROFILE DOCKER_HOST
cd "$tmp" # a local journal would land in ./.fgrun here
S3=s3://team-state/fg

# fg NAME [options...]: the test recipe as deployment NAME; sets out, err, rc.
fg() { local name=$1; shift; run_fgrun -D name="$name" "$@" "$recipe"; }
# start NAME OUT [options...]: the test recipe in the background; sets pid.
start() {
    local name=$1 o=$2; shift 2
    "$FGRUN" -D name="$name" "$@" "$recipe" >"$o" 2>&1 &
    pid=$!; pids+=("$pid")
}
wait_for() { for _ in $(seq 150); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
leftovers() { "$FGRUN" "$root/tests/lib/small_leftovers.lua" "$1" | sed -n 's/^total //p'; }
# keys BUCKET PREFIX: the bucket's current objects under PREFIX, one a line.
keys() {
    "$FGRUN" -e "for _, o in ipairs(require('aws').s3.all('list_objects_v2', {Bucket='$1', Prefix='$2'}).Contents or {}) do print(o.Key) end"
}
object() { "$FGRUN" -e "io.write(require('aws').s3.get_object{Bucket='$1', Key='$2'}.Body)"; }

"$FGRUN" -e "local s3 = require('aws').s3
  s3.create_bucket{Bucket = 'team-state'}
  s3.put_bucket_versioning{Bucket = 'team-state', VersioningConfiguration = {Status = 'Enabled'}}
  s3.create_bucket{Bucket = 'plain-state'}"

# --- bad input: clear errors before anything is created ---
fg st-nob -v --state s3://no-such-state-bucket/fg
expect_eq "a bucket that does not exist: exit 1" "1" "$rc"
expect_match "a bucket that does not exist: said so, with how to make one" \
    "error: the state bucket no-such-state-bucket does not exist .*create-bucket" "$err"
expect_eq "a bucket that does not exist: no mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"
expect_eq "a bucket that does not exist: nothing created" "0" "$(leftovers st-nob)"
fg st-url --state s3:///fg
expect_match "an S3 location without a bucket is refused" "want s3://BUCKET/PREFIX" "$err"
fg st-two --state $S3 --state-dir "$tmp/x"
expect_match "--state and --state-dir together are refused" "give one" "$err"

fg st-plain --state s3://plain-state/fg
expect_eq "an unversioned bucket works" "0" "$rc"
expect_match "an unversioned bucket: a warning names it" \
    "warning: the state bucket plain-state does not keep versions .*put-bucket-versioning --bucket plain-state" "$err"
fg st-plain --state s3://plain-state/fg --destroy
expect_eq "an unversioned bucket: --destroy leaves nothing" "0 " "$(leftovers st-plain) $(keys plain-state fg/)"

# --- two runs racing for the lock, kill -9 of the holder, --force-unlock ---
for i in 1 2 3; do start st-race "$tmp/race$i.out" --state $S3 -D slow_at=security_group; race[$i]=$pid; done
# the winner stalls in its first step (the others are refused at once)
winner= refused=0
for _ in $(seq 150); do
    for i in 1 2 3; do grep -q "slow in" "$tmp/race$i.out" 2>/dev/null && winner=$i; done
    [ -n "$winner" ] && break
    sleep 0.1
done
for i in 1 2 3; do
    [ "$i" = "$winner" ] && continue
    wait "${race[$i]}"; r=$?
    if [ "$r" = 1 ] && grep -Eq "in use by another run \(user [^ ]+ on [^ ]+, pid ${race[$winner]}, since " "$tmp/race$i.out"; then
        refused=$((refused + 1))
    fi
done
expect_match "three runs race: one wins the lock" "^[123]$" "$winner"
expect_eq "three runs race: the other two are refused and named the winner's pid" "2" "$refused"
lock_id=$(object team-state fg/st-race.lock | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
expect_match "the lock object names its holder" '"pid":'"${race[$winner]}" "$(object team-state fg/st-race.lock)"

kill -9 "${race[$winner]}"; wait "${race[$winner]}" 2>/dev/null
fg st-race --state $S3
expect_eq "after kill -9 the lock stays: a run is refused" "1" "$rc"
expect_match "the refusal gives the lock ID and the command that clears it" \
    "lock ID $lock_id.*fgrun --state $S3 --force-unlock $lock_id" "$err"
out=$("$FGRUN" --state $S3 --force-unlock not-the-id 2>&1); rc=$?
expect_eq "--force-unlock with a wrong ID: exit 1" "1" "$rc"
expect_match "--force-unlock with a wrong ID names the locks there" "no lock with ID not-the-id .*$lock_id \(st-race\)" "$out"
out=$("$FGRUN" --state $S3 --force-unlock "$lock_id" 2>&1); rc=$?
expect_eq "--force-unlock ID: exit 0" "0" "$rc"
expect_match "--force-unlock says whose lock it removed" "removed lock $lock_id of deployment st-race \(held by user .*pid ${race[$winner]}" "$out"
expect_eq "the lock object is gone" "fg/st-race.json" "$(keys team-state fg/st-race)"
fg st-race --state $S3
expect_eq "the re-run resumes" "0" "$rc"
expect_match "the re-run recovers the step the kill interrupted" "recovered +security_group" "$out"
fg st-race --state $S3 --destroy
expect_eq "--destroy from S3 state" "0" "$rc"
expect_eq "after --destroy: nothing in moto, nothing in the bucket" "0 " "$(leftovers st-race) $(keys team-state fg/st-race)"

# --- a journal overwritten behind fgrun's back ---
start st-etag "$tmp/etag.out" --state $S3 -D slow_at=cluster
wait_for "slow in" "$tmp/etag.out"
"$FGRUN" -e "local s3 = require('aws').s3
  local j = s3.get_object{Bucket = 'team-state', Key = 'fg/st-etag.json'}.Body
  s3.put_object{Bucket = 'team-state', Key = 'fg/st-etag.json', Body = (j:gsub('\"format\"', '\"edited_by\": \"hand\", \"format\"', 1))}"
kill -INT "$pid"; wait "$pid"
out=$(cat "$tmp/etag.out")
expect_match "a journal changed behind fgrun's back: its write is refused through the ETag" \
    "the journal $S3/st-etag.json was changed behind this run's back since it read it; nothing was overwritten" "$out"
expect_match "...and the run neither rolls back nor removes" "st-etag: nothing rolled back or removed: the journal" "$out"
expect_eq "...nor touches AWS after the change" "" "$(printf '%s\n' "$out" | grep -E '^  (removed|reverted|gone) ')"
expect_match "...and the other writer's journal is intact" '"edited_by": "hand"' "$(object team-state fg/st-etag.json)"
expect_eq "...and the run's lock is released" "fg/st-etag.json" "$(keys team-state fg/st-etag)"
expect_eq "...and the resources stay recorded" "4" "$(leftovers st-etag)"
fg st-etag --state $S3 --destroy
expect_eq "--destroy with the recipe then removes everything" "0 " "$(leftovers st-etag) $(keys team-state fg/st-etag)"

# --- the Fargate recipe from S3 state ---
fargate_run() {
    out=$("$FGRUN" --state s3://team-state/fargate --env local -D image=$IMAGE "$@" "$fargate" 2>"$tmp/err"); rc=$?
    err=$(cat "$tmp/err")
}
fargate_run
expect_eq "the Fargate recipe deploys from S3 state" "0" "$rc"
expect_eq "...creating every step" "20" "$(printf '%s\n' "$out" | grep -c '^  created ')"
expect_eq "...with its journal in S3 and its lock released" "fargate/fargate-alb.local.json" "$(keys team-state fargate/)"
check "...and nothing in a local folder" test ! -e "$tmp/.fgrun"
expect_eq "a versioned bucket: no warning" "" "$(printf '%s\n' "$err" | grep warning)"
sfx=$(object team-state fargate/fargate-alb.local.json | sed -n 's/.*"suffix": "\([a-z0-9]*\)".*/\1/p')
expect_match "the suffix is in the S3 journal" '^[a-z0-9]{6}$' "$sfx"
fargate_run # sets back what moto dropped from CreateService (AWS keeps it)
expect_match "...a second run sets back what moto dropped (drift)" "updated +service .*changed outside fgrun: " "$out"
fargate_run
expect_eq "a re-run from S3 state changes nothing" "20" "$(printf '%s\n' "$out" | grep -c '^  unchanged ')"
fargate_run --destroy
expect_eq "--destroy from S3 state" "0" "$rc"
expect_eq "after --destroy moto holds nothing of it" "0" \
    "$("$FGRUN" "$root/tests/lib/fargate_leftovers.lua" "$sfx" | sed -n 's/^total //p')"
expect_eq "after --destroy the bucket holds nothing (no journal, no lock)" "" "$(keys team-state fargate/)"
versions=$("$FGRUN" -e "local n = 0
  for _, v in ipairs(require('aws').s3.list_object_versions{Bucket='team-state', Prefix='fargate/fargate-alb.local.json'}.Versions or {}) do n = n + 1 end
  print(n)")
expect_match "the versioned bucket keeps the journal's history" '^[1-9][0-9]+$' "$versions"
leaked=$("$FGRUN" -e "local s3 = require('aws').s3
  for _, v in ipairs(s3.list_object_versions{Bucket='team-state'}.Versions or {}) do
    local b = s3.get_object{Bucket='team-state', Key=v.Key, VersionId=v.VersionId}.Body
    if b:find('$secret_key', 1, true) then print(v.Key) end
  end")
expect_eq "no journal or lock version holds the secret key" "" "$leaked"

# --- migrating a local journal ---
fg st-mig --state-dir "$tmp/local"
cp "$tmp/local/st-mig.json" "$tmp/st-mig.saved"
out=$("$FGRUN" --state $S3 --migrate-state 2>&1); rc=$?
expect_match "--migrate-state with nothing in ./.fgrun says so" "no journals in ./.fgrun" "$out"
out=$("$FGRUN" --state-dir "$tmp/local" --migrate-state 2>&1)
expect_match "--migrate-state without --state asks for it" "name where the journals go with --state" "$out"
out=$("$FGRUN" --state-dir "$tmp/local" --state $S3 --migrate-state 2>&1); rc=$?
expect_eq "--migrate-state: exit 0" "0" "$rc"
expect_match "--migrate-state names what it moved" "moved $tmp/local/st-mig.json to $S3/st-mig.json" "$out"
check "the local journal is gone" test ! -e "$tmp/local/st-mig.json"
check "the S3 journal is the local one, byte for byte" cmp -s "$tmp/st-mig.saved" <(object team-state fg/st-mig.json)
fg st-mig --state $S3
expect_eq "the migrated deployment runs from S3 with nothing to change" "4" "$(printf '%s\n' "$out" | grep -c '^  unchanged ')"
cp "$tmp/st-mig.saved" "$tmp/local/st-mig.json"
out=$("$FGRUN" --state $S3 --migrate-state "$tmp/local/st-mig.json" 2>&1); rc=$?
expect_eq "migrating onto an existing S3 journal: exit 1" "1" "$rc"
expect_match "...refused, nothing moved" "$S3/st-mig.json already has a journal for st-mig; nothing was moved" "$out"
check "...and the local journal is kept" test -e "$tmp/local/st-mig.json"
fg st-mig --state $S3 --destroy
expect_eq "the migrated deployment destroys from S3" "0 " "$(leftovers st-mig) $(keys team-state fg/st-mig)"

# --- a bucket the credentials cannot write to (moto's IAM checks on) ---
read -r ro_key ro_secret admin_key admin_secret < <("$FGRUN" -e "local iam = require('aws').iam
  iam.create_user{UserName = 'state-reader'}
  iam.put_user_policy{UserName = 'state-reader', PolicyName = 'read', PolicyDocument =
    '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:Get*\",\"s3:List*\",\"ec2:Describe*\"],\"Resource\":\"*\"}]}'}
  iam.create_user{UserName = 'state-admin'}
  iam.attach_user_policy{UserName = 'state-admin', PolicyArn = 'arn:aws:iam::aws:policy/AdministratorAccess'}
  local r = iam.create_access_key{UserName = 'state-reader'}.AccessKey
  local a = iam.create_access_key{UserName = 'state-admin'}.AccessKey
  print(r.AccessKeyId, r.SecretAccessKey, a.AccessKeyId, a.SecretAccessKey)")
curl -s -o /dev/null -X POST -H 'Content-Type: text/plain' --data-binary 0 "$moto/moto-api/reset-auth"
out=$(AWS_ACCESS_KEY_ID=$ro_key AWS_SECRET_ACCESS_KEY=$ro_secret "$FGRUN" -v --state $S3 -D name=st-ro "$recipe" 2>&1); rc=$?
expect_eq "a bucket that cannot be written to: exit 1" "1" "$rc"
expect_match "...said so, with the permissions needed" \
    "error: cannot take the deployment's lock in $S3: access denied .*s3:PutObject" "$out"
expect_eq "...before any other call" "aws s3.PutObject: AccessDenied" \
    "$(printf '%s\n' "$out" | grep -E "$MUTATING|ec2\." | sed 's/ (HTTP.*//')"
expect_eq "...nothing created" "0" \
    "$(AWS_ACCESS_KEY_ID=$admin_key AWS_SECRET_ACCESS_KEY=$admin_secret leftovers st-ro)"
curl -s -o /dev/null -X POST -H 'Content-Type: text/plain' --data-binary inf "$moto/moto-api/reset-auth"

tap_done
