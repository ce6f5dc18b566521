# One parameter change, checked against AWS's state (moto's), for shell
# tests of deployments. The test defines:
#   deploy ARGS...    runs the deployment with ARGS (-D key=value ...),
#                     setting out, err, rc
#   snapshot          prints the deployment's state in AWS (one line per
#                     resource or setting, the last one "total N")
#   settle ARGS...    brings moto to hold every field (see tests/cli/types.sh)
# and sets base (the state before any change) and MUTATING (a regex of the
# -v lines of mutating calls). Source tests/lib/tap.sh first.
# shellcheck shell=bash

# change_case "P=V [P=V...]" "ACTION STEP" "LINE-REGEX" "NEW-LINE-REGEX" [settle]:
# deploys with the change; the run must report ACTION STEP, AWS must hold
# a line matching NEW-LINE-REGEX, only lines matching LINE-REGEX may
# differ from base, no resource may be added or left over; a re-run makes
# no mutating call; deploying without the change restores base exactly.
# With "settle", a new ECS service is made (moto drops some of its fields).
change_case() {
    local defines=$1 action=$2 allowed=$3 wanted=$4 new_service=${5:-} after changed args=() d
    for d in $defines; do args+=(-D "$d"); done
    deploy "${args[@]}"
    if [ "$rc" != 0 ]; then
        tap_fail "$defines: deploy exits 0" "$(printf '%s\n' "$err" | grep -v '^ ' | tail -4)"; deploy; return
    fi
    expect_match "$defines: the run reports $action" "$(echo "$action" | sed 's/ / +/')" "$out"
    [ -n "$new_service" ] && settle "${args[@]}"
    after=$(snapshot)
    changed=$(diff <(printf '%s\n' "$base") <(printf '%s\n' "$after") | sed -n 's/^[<>] //p' | grep -v '^total ')
    # NEW-LINE-REGEX may be several, one a line: AWS must hold each
    while IFS= read -r w; do expect_match "$defines: AWS holds the new value" "$w" "$after"; done <<<"$wanted"
    expect_eq "$defines: nothing else changed (and nothing is left over)" "" \
        "$(printf '%s\n' "$changed" | grep -vE "$allowed" | grep -v '^$')"
    expect_eq "$defines: as many resources as before" "$(printf '%s\n' "$base" | tail -1)" "$(printf '%s\n' "$after" | tail -1)"
    deploy -v "${args[@]}"
    expect_eq "$defines: a re-run makes no mutating call" "" "$(printf '%s\n' "$err" | grep -E "$MUTATING")"
    deploy
    [ -n "$new_service" ] && settle
    expect_eq "$defines: going back restores the first state" "$base" "$(snapshot)"
}
