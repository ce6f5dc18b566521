# One parameter change, checked against AWS's state (moto's), for shell
# tests of deployments. The test defines:
#   deploy ARGS...    runs the deployment with ARGS (-D key=value ...),
#                     setting out, err, rc
#   snapshot          prints the deployment's state in AWS (one line per
#                     resource or setting, the last one "total N")
#   settle ARGS...    brings moto to hold every field (see tests/cli/types.sh)
# and sets base (the state before any change); MUTATING (a regex of the -v
# lines of mutating calls) comes from tests/lib/recipe_test.sh: source it
# first. In the suite's short form (recipe_test.sh's long_form false) only
# the cases whose first parameter is named in SHORT_CASES run.
# shellcheck shell=bash

# planned_steps ARGS...: fgrun --plan --json with ARGS; the steps it would
# change as "step:action" lines in the run's words (created, updated,
# replaced, removed), sorted; exit 2 (changes) is expected.
planned_steps() {
    deploy --plan --json "$@"
    [ "$rc" = 2 ] || { echo "plan exit $rc: $(printf '%s\n' "$err" | tail -1)"; return; }
    printf '%s' "$out" | python3 -c 'import json, sys
past = {"create": "created", "update": "updated", "replace": "replaced", "remove": "removed"}
print("\n".join(sorted(s["name"] + ":" + past[s["action"]] for s in json.load(sys.stdin)["steps"] if s["action"] in past)))'
}

# ran_steps: the steps the last run (text output) created, updated,
# replaced or removed, as planned_steps prints them.
ran_steps() {
    printf '%s\n' "$out" | sed -En 's/^  (created|updated|replaced|removed|gone) +([^ ]+).*/\2:\1/p' |
        sed 's/:gone$/:removed/' | sort
}

# change_case "P=V [P=V...]" "ACTION STEP" "LINE-REGEX" "NEW-LINE-REGEX" [settle]:
# --plan first, then the run with the change: the run must report ACTION
# STEP and change exactly the steps the plan named, with the plan's
# actions; AWS must hold a line matching NEW-LINE-REGEX, only lines
# matching LINE-REGEX may differ from base, no resource may be added or
# left over; a re-run makes no mutating call; deploying without the change
# (planned the same way) restores base exactly.
# With "settle", a new ECS service is made (moto drops some of its fields).
change_case() {
    local defines=$1 action=$2 allowed=$3 wanted=$4 new_service=${5:-} after changed args=() d planned
    long_form || [[ " ${SHORT_CASES:-} " == *" ${defines%%=*} "* ]] || return 0
    for d in $defines; do args+=(-D "$d"); done
    planned=$(planned_steps "${args[@]}")
    deploy "${args[@]}"
    expect_eq "$defines: the run changes the steps the plan named, as planned" "$planned" "$(ran_steps)"
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
    planned=$(planned_steps)
    deploy
    expect_eq "$defines: going back changes the steps the plan named" "$planned" "$(ran_steps)"
    [ -n "$new_service" ] && settle
    expect_eq "$defines: going back restores the first state" "$base" "$(snapshot)"
}
