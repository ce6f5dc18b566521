#!/usr/bin/env bash
# fgrun --plan and the image step (fg.image) against moto, podman and the
# registry: a plan builds a changed context (its digest is part of the
# plan) but neither smoke-tests, tags for a registry nor pushes it;
# --no-build does not build either and shows the image as "rebuilt"; an
# unchanged image plans as unchanged with no build. The recipe is
# tests/fixtures/recipes/image.lua (a repository and the image).
set -u
. "$(dirname "$0")/../lib/recipe_test.sh"
test_docker
test_moto shared
recipe=$root/tests/fixtures/recipes/image.lua
context=$tmp/app
cp -r "$root/recipes/app" "$context"
printf 'plan test %s\n' "$RANDOM$RANDOM" >"$context/plan-marker"
sed -i 's|^COPY bin|COPY plan-marker /plan-marker\nCOPY bin|' "$context/Dockerfile"

# run [args...]: sets out, err, rc.
run() { run_fgrun --state-dir "$state" -D context="$context" "$@" "$recipe"; }
# The Docker Engine requests of a -vv log ("docker: POST /build?... -> 200"), methods and paths.
docker_requests() { printf '%s\n' "$1" | sed -n 's/^docker: \([A-Z]*\) \([^? ]*\).*/\1 \2/p' | sort -u | tr '\n' ' '; }
aws_writes() { printf '%s\n' "$1" | sed -n 's/^aws [a-z0-9_-]*\.\([A-Za-z]*\) .*/\1/p' | grep -Ev '^(Describe|List|Get|BatchGet)' | sort -u | tr '\n' ' '; }

run --plan --no-build -vv
expect_eq "--plan --no-build: exit 2" "2" "$rc"
expect_match "...the image shown as rebuilt, not built" "create +image .*rebuilt \(not built: --no-build\)" "$out"
expect_eq "...no build, no push, no tag, no container: only reads of the Engine" "" \
    "$(docker_requests "$err" | tr ' ' '\n' | grep -v '^GET' | grep -v '^$' | tr '\n' ' ')"

run --plan -vv
expect_eq "--plan: exit 2" "2" "$rc"
ref=$(printf '%s\n' "$out" | sed -n 's/.*create  *image .*built \(fgrun-fgimage:[0-9a-f]*\) (image sha256:[0-9a-f]*); pushed by the run.*/\1/p')
expect_match "...the image is built, its reference part of the plan" "^fgrun-fgimage:[0-9a-f]{12}$" "$ref"
expect_match "...the build was the only Docker request that is not a read" "^(GET [^ ]+ )*POST /build (GET [^ ]+ )*$" "$(docker_requests "$err")"
expect_eq "...no mutating AWS call (-vv)" "" "$(aws_writes "$err")"
expect_eq "...and the image is in the Engine" "0" \
    "$("$FGRUN" -e "os.exit(require('docker').inspect('$ref') and 0 or 1)"; echo $?)"
check "...nor is there a journal" test ! -e "$state/fgimage.json"

run
expect_eq "the deploy builds and pushes it" "0" "$rc"
run --plan -vv
expect_eq "then a plan: exit 0, no changes" "0 fgimage: no changes" "$rc $(printf '%s\n' "$out" | tail -1)"
expect_eq "...and no build" "" "$(docker_requests "$err" | tr ' ' '\n' | grep '^POST' | tr '\n' ' ')"

printf 'changed %s\n' "$RANDOM" >>"$context/plan-marker"
images=$("$FGRUN" -e "print(#require('aws').ecr.describe_images{repositoryName = require('json').decode(io.open('$state/fgimage.json'):read('a')).steps[1].result.name}.imageDetails)")
run --plan --json -vv
expect_eq "a changed context: exit 2" "2" "$rc"
expect_eq "...the image step is an update (the repository unchanged)" "repository:unchanged image:update" \
    "$(printf '%s' "$out" | python3 -c 'import json,sys; print(" ".join(s["name"] + ":" + s["action"] for s in json.load(sys.stdin)["steps"]))')"
expect_match "...its source digest changes, the image built is named by its digest" \
    "^source sha256:[0-9a-f]{64} sha256:[0-9a-f]{64} built fgrun-fgimage:[0-9a-f]{12} \(image sha256:[0-9a-f]{64}\); pushed by the run$" \
    "$(printf '%s' "$out" | python3 -c 'import json,sys
s = json.load(sys.stdin)["steps"][1]
c = s["changes"][0]
print(c["field"], c["old"], c["new"], s["note"])')"
expect_match "...the build ran, nothing was pushed" "^(GET [^ ]+ )*POST /build (GET [^ ]+ )*$" "$(docker_requests "$err")"
expect_eq "...and ECR holds as many images as before" "$images" \
    "$("$FGRUN" -e "print(#require('aws').ecr.describe_images{repositoryName = require('json').decode(io.open('$state/fgimage.json'):read('a')).steps[1].result.name}.imageDetails)")"

run --destroy
expect_eq "the deployment is destroyed" "0" "$rc"
tap_done
