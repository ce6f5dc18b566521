#!/usr/bin/env bash
# The image step (fg.image) and its scan gate through the AWS simulator
# (tests/sim), which answers as ECR does where moto does not: the scan on
# push (StartImageScan then LimitExceededException), scans taking time,
# FROM scratch images UNSUPPORTED_IMAGE, enhanced scanning's ACTIVE and late
# or missing counts. The recipe is tests/fixtures/recipes/image.lua (a repository and the
# image); the whole Fargate recipe: tests/cli/recipe.sh.
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
test_docker
test_moto shared
test_sim --scale 0.01 --behaviours ecr.scan_on_push,ecr.scan_time,ecr.unsupported_image
recipe=$root/tests/fixtures/recipes/image.lua

# run STATE [args...]: sets out, err, rc.
run() { local st=$1; shift; run_fgrun --state-dir "$tmp/$st" "$@" "$recipe"; }
repos() { "$FGRUN" -e 'local n = 0 for _, r in ipairs(require("aws").ecr.describe_repositories{}.repositories) do
  if r.repositoryName:match("^fgimage%-") then n = n + 1 end end print(n)'; }
# sim_calls OPERATION [CODE]: how many calls of OPERATION the simulator saw (answered with CODE).
sim_calls() { python3 -c 'import json,sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("operation") == sys.argv[2] and (len(sys.argv) < 4 or e.get("code") == sys.argv[3]): n += 1
print(n)' "$tmp/sim.log" "$@"; }

scratch=$root/recipes/app
with_os=$tmp/with_os
cp -r "$root/recipes/app" "$with_os"
printf 'ID=debian\nVERSION_ID="12"\n' >"$with_os/os-release"
sed -i 's|^COPY bin|COPY os-release /etc/os-release\nCOPY bin|' "$with_os/Dockerfile"

run a -D context="$scratch"
expect_eq "a FROM scratch image deploys" "0" "$rc"
expect_eq "... quietly: no build output without -v" "" "$(printf '%s\n' "$out" "$err" | grep -iE '^ *step [0-9]+/[0-9]+')"
expect_match "... its scan is reported as not scanned (UNSUPPORTED_IMAGE), not a failure" \
    "image scan: not scanned: ECR cannot scan this image .*UnsupportedImageError" "$out"
expect_eq "... the scan on push was never raced: no StartImageScan but one answered LimitExceeded" \
    "$(sim_calls StartImageScan)" "$(sim_calls StartImageScan LimitExceededException)"
echo "# StartImageScan calls: $(sim_calls StartImageScan), answered LimitExceededException: $(sim_calls StartImageScan LimitExceededException)"
expect_match "... and the image is deployed by digest" "image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/fgimage-[a-z0-9-]+@sha256:[0-9a-f]{64}" "$out"
pushes=$(sim_calls PutImage)
run a -v -D context="$scratch"
expect_match "an unchanged context: build and push skipped" "image unchanged since .*build and push skipped" "$out"
expect_eq "... nothing pushed" "$pushes" "$(sim_calls PutImage)"
# a new tag (the recipe's version) for the same context: pushed, same digest
digest=$(printf '%s\n' "$out" | sed -n 's/.*image: .*@\(sha256:[0-9a-f]*\).*/\1/p' | head -1)
run a -v -D context="$scratch" -D tag=v2
expect_match "... the build's output with -v" "^    STEP [0-9]+/[0-9]+: FROM scratch" "$err"
expect_match "an unchanged context with a new tag: pushed under it" "pushed .*:v2 \\($digest\\)" "$out"
tags=$("$FGRUN" -e 'for _, r in ipairs(require("aws").ecr.describe_repositories{}.repositories) do
  if r.repositoryName:match("^fgimage%-") then for _, i in ipairs(require("aws").ecr.describe_images{repositoryName = r.repositoryName}.imageDetails) do
    table.sort(i.imageTags or {}) print(i.imageDigest, table.concat(i.imageTags or {}, ",")) end end end')
expect_eq "... ECR holds both tags on the one digest" "$digest	v1,v2" "$tags"
run a --destroy -D context="$scratch"
expect_eq "destroy succeeds" "0" "$rc"

run b -D context="$scratch" -D fail_on_severity=CRITICAL
expect_eq "a FROM scratch image with a gate: exit 1" "1" "$rc"
expect_match "... the gate says the image was not scanned" "was not scanned .*fail_on_severity=CRITICAL is set" "$err"

run c -D context="$with_os" -D fail_on_severity=CRITICAL
expect_eq "an image ECR can scan passes a gate above its findings" "0" "$rc"
expect_match "... its findings are reported" "image scan: HIGH 1" "$out"
run c --destroy -D context="$with_os"
run d -D context="$with_os" -D fail_on_severity=HIGH
expect_match "... and a gate at its findings stops it" "found HIGH 1 findings at or above HIGH" "$err"

sim_config '{"on": ["ecr.enhanced"], "options": {"ecr_enhanced_findings": "never"}}' >/dev/null
run e -D context="$with_os" -D fail_on_severity=CRITICAL -D findings_timeout=3
expect_eq "enhanced scanning, counts never arrive, a gate: exit 1" "1" "$rc"
expect_match "... it fails closed" "not scanned \\(the scan reported no finding counts\\) and fail_on_severity=CRITICAL" "$err"
run f -D context="$with_os"
expect_eq "enhanced scanning, counts never arrive, no gate: deploys" "0" "$rc"
expect_match "... and says so" "image scan: not scanned: the scan reported no finding counts" "$out"
run f --destroy -D context="$with_os"
sim_config '{"options": {"ecr_enhanced_findings": "late", "ecr_enhanced_status": "COMPLETE"}}' >/dev/null
run g -D context="$with_os" -D fail_on_severity=HIGH -D findings_timeout=60
expect_match "enhanced scanning, COMPLETE before the counts: the gate waits for them" "found HIGH 1 findings at or above HIGH" "$err"

expect_eq "nothing left: every repository removed or rolled back" "0" "$(repos)"
tap_done
