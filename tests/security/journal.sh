#!/usr/bin/env bash
# Issue 13, finding 1 (and the journal half of 4): a crafted journal must
# not make --destroy call anything. Without the recipe only removals of
# resources tagged with this deployment run; with the recipe, the recipe's
# own undo; a journal or state folder others can write is refused.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
here=$root/tests
recipe=$here/fixtures/recipes/small.lua
test_moto shared
mkdir -m 700 "$state"

# run ARGS...: fgrun -v; sets out, err, rc.
run() { run_fgrun -v "$@"; }
aws_calls() { printf '%s\n' "$err" | grep -E '^aws [a-z0-9_]+\.[A-Za-z]+ ' | awk '{print $2}' | sort -u | tr '\n' ' '; }
mutating() { aws_calls | tr ' ' '\n' | grep -vE '\.(Describe|List|Get)' | tr '\n' ' '; }
q() { "$FGRUN" -e "$1" 2>&1; }

# The victim: a role that is not the deployment's (tagged for another one).
q 'local aws = require "aws"
   aws.iam.create_role{ RoleName = "victim-role", AssumeRolePolicyDocument = "{}",
     Tags = { { Key = "fgrun:deployment", Value = "someone-else" } } }' >/dev/null
attached() { q 'print(#require("aws").iam.list_attached_role_policies{ RoleName = "victim-role" }.AttachedPolicies)'; }
victim_exists() { q 'print(pcall(require("aws").iam.get_role, { RoleName = "victim-role" }))' | cut -f1; }

# journal FILE UNDO-JSON: a journal of one done step whose undo is UNDO-JSON.
journal() {
    cat >"$1" <<JSON
{"format": 1, "values": {}, "outputs": {}, "steps": [
  {"name": "role", "status": "done", "inputs": {}, "result": {"name": "victim-role"}, "undo": $2}]}
JSON
    chmod 600 "$1"
}

# 1. The attack of the review: the undo grants AdministratorAccess.
journal "$state/evil.json" '[{"call": "iam.attach_role_policy", "params": {"RoleName": "victim-role",
  "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}]'
sum=$(sha256sum "$state/evil.json")
run --destroy "$state/evil.json"
expect_eq "attach_role_policy in a journal: --destroy exits 1" "1" "$rc"
expect_match "the refusal names the call and why" "iam.attach_role_policy, which removes nothing" "$err"
expect_eq "refused before any call to AWS" "" "$(aws_calls)"
expect_eq "moto: no policy attached to the victim" "0" "$(attached)"
expect_eq "the crafted journal is left as it was" "$sum" "$(sha256sum "$state/evil.json")"

# 2. A removal, but of a resource that is not this deployment's.
journal "$state/evil.json" '[{"call": "iam.delete_role", "params": {"RoleName": "victim-role"}}]'
run --destroy "$state/evil.json"
expect_eq "delete_role of another deployment's role: exit 1" "1" "$rc"
expect_match "the refusal says whose it is" "role victim-role does not carry the tag fgrun:deployment=evil \\(it has someone-else\\)" "$err"
expect_eq "only read calls were made (the owner check)" "" "$(mutating)"
expect_eq "moto: the victim role is still there" "true" "$(victim_exists)"

# 3. A known removal widened by a parameter it does not need.
journal "$state/evil.json" '[{"call": "ec2.delete_security_group", "params": {"GroupId": "sg-1", "GroupName": "default"}}]'
run --destroy "$state/evil.json"
expect_match "an extra parameter (GroupName) is refused" "with parameter GroupName is not a removal fgrun knows" "$err"
expect_eq "  before any call" "" "$(aws_calls)"
journal "$state/evil.json" '[{"call": "ecs.update_service", "params": {"cluster": "c", "service": "s", "desiredCount": 50}}]'
run --destroy "$state/evil.json"
expect_match "update_service is allowed only to scale to zero" "ecs.update_service with these parameters is not a removal" "$err"
journal "$state/evil.json" '[{"call": "sts.get_caller_identity"}, {"call": "iam.delete_role", "params": {"RoleName": "victim-role"}}]'
run --destroy "$state/evil.json"
expect_eq "a read call is refused too, and the removal after it never runs" "1 true" "$rc $(victim_exists)"

# 4. A real deployment whose journal was tampered with: with the recipe,
# the recipe's own undo runs; the journal alone is refused.
run --state-dir "$state" -D name=sec-j "$recipe"
expect_eq "deploy the test recipe" "0" "$rc"
role=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print([s for s in j["steps"] if s["name"]=="role"][0]["result"]["name"])' "$state/sec-j.json")
python3 - "$state/sec-j.json" "$role" <<'PY'
import json, os, sys
path, role = sys.argv[1], sys.argv[2]
j = json.load(open(path))
for s in j["steps"]:
    if s["name"] == "role":
        s["undo"] = [{"call": "iam.attach_role_policy", "params": {"RoleName": role,
                      "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}}]
json.dump(j, open(path + ".new", "w")); os.chmod(path + ".new", 0o600); os.replace(path + ".new", path)
PY
run --destroy "$state/sec-j.json"
expect_eq "tampered journal alone: refused" "1" "$rc"
expect_eq "  before any call" "" "$(aws_calls)"
run --state-dir "$state" -D name=sec-j --destroy "$recipe"
expect_eq "tampered journal with the recipe: destroy succeeds" "0" "$rc"
expect_eq "  the recipe's undo ran, not the journal's (no AttachRolePolicy)" "" "$(printf '%s\n' "$err" | grep AttachRolePolicy)"
expect_eq "  moto: the role is gone" "false" "$(q "print((pcall(require('aws').iam.get_role, { RoleName = '$role' })))")"
expect_eq "  moto: nothing of the deployment is left" "0" "$("$FGRUN" "$here/lib/small_leftovers.lua" sec-j | sed -n 's/^total //p')"

# 5. A legitimate journal-only destroy still removes everything (the
# ownership checks pass for resources tagged by the deployment).
run --state-dir "$state" -D name=sec-k "$recipe"
run --destroy "$state/sec-k.json"
expect_eq "an untampered journal alone: destroy succeeds" "0" "$rc"
expect_eq "  moto: nothing left" "0" "$("$FGRUN" "$here/lib/small_leftovers.lua" sec-k | sed -n 's/^total //p')"

# 6. Who may have written the journal and its folder.
journal "$state/other.json" '[{"call": "iam.delete_role", "params": {"RoleName": "victim-role"}}]'
chown 65534 "$state/other.json"
run --destroy "$state/other.json"
expect_match "a journal owned by another user is refused" "refusing the journal: .*other.json belongs to uid 65534, not to you" "$err"
expect_eq "  before any call" "" "$(aws_calls)"
chown "$(id -u)" "$state/other.json"; chmod 620 "$state/other.json"
run --destroy "$state/other.json"
expect_match "a group-writable journal is refused" "other.json is writable by group or others \\(mode 0620\\)" "$err"
expect_eq "moto: the victim role is still there after all of it" "true" "$(victim_exists)"
shared=$tmp/shared
mkdir -m 777 "$shared"
run --state-dir "$shared" -D name=sec-s "$recipe"
expect_eq "a world-writable state folder: exit 1" "1" "$rc"
expect_match "  with a message that says so" "refusing the state folder: .*shared is writable by group or others \\(mode 0777\\)" "$err"
expect_eq "  and nothing was created" "" "$(mutating)"
expect_eq "  no lock or journal written there" "" "$(ls -A "$shared")"

# 7. DNS records carry no tags: a journal's DELETE of one is refused unless
# it aliases one of the deployment's load balancers or validates one of its
# certificates, and a record change that is not one DELETE is no removal.
zone=$(q 'print(require("aws").route53.create_hosted_zone{ Name = "victim.example", CallerReference = "sec-dns" }.HostedZone.Id)')
q "require('aws').route53.change_resource_record_sets{ HostedZoneId = '$zone', ChangeBatch = { Changes = { {
     Action = 'UPSERT', ResourceRecordSet = { Name = 'www.victim.example', Type = 'A', TTL = 60,
     ResourceRecords = { { Value = '192.0.2.1' } } } } } } }" >/dev/null
record() { q "local n = 0 for _, s in ipairs(require('aws').route53.list_resource_record_sets{ HostedZoneId = '$zone' }
  .ResourceRecordSets) do if s.Type == 'A' then n = n + 1 end end print(n)"; }
journal "$state/evil.json" '[{"call": "route53.change_resource_record_sets", "params": {"HostedZoneId": "'"$zone"'",
  "ChangeBatch": {"Changes": [{"Action": "DELETE", "ResourceRecordSet": {"Name": "www.victim.example", "Type": "A",
  "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}}]}}}]'
run --destroy "$state/evil.json"
expect_eq "a DELETE of someone's DNS record in a journal: exit 1" "1" "$rc"
expect_match "  the refusal says why" "DNS record www.victim.example A .*neither an alias nor a certificate's validation record" "$err"
expect_eq "  no mutating call" "" "$(mutating)"
journal "$state/evil.json" '[{"call": "route53.change_resource_record_sets", "params": {"HostedZoneId": "'"$zone"'",
  "ChangeBatch": {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": "www.victim.example", "Type": "A",
  "TTL": 60, "ResourceRecords": [{"Value": "203.0.113.9"}]}}]}}}]'
run --destroy "$state/evil.json"
expect_match "an UPSERT in a journal is refused as no removal" "route53.change_resource_record_sets with these parameters is not a removal" "$err"
expect_eq "  before any call to AWS" "" "$(aws_calls)"
expect_eq "moto: the record is still there, unchanged" "1 192.0.2.1" "$(record) $(q "print(require('aws').route53.list_resource_record_sets{ HostedZoneId = '$zone', StartRecordName = 'www.victim.example', StartRecordType = 'A' }.ResourceRecordSets[1].ResourceRecords[1].Value)")"

q 'require("aws").iam.delete_role{ RoleName = "victim-role" }' >/dev/null
tap_done
