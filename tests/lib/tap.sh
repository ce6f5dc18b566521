# TAP for shell tests: source it, call check/expect_*, then tap_done.
# Each test runs in the caller's shell; results are numbered in order.
tap_n=0
tap_failed=0

# pass/fail DESCRIPTION
tap_pass() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
tap_fail() {
    tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
    echo "not ok $tap_n - $1"
    shift
    for line in "$@"; do printf '%s\n' "$line" | sed 's/^/# /'; done
}
tap_skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - # SKIP $1"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    local desc=$1; shift
    if "$@" >/dev/null 2>&1; then tap_pass "$desc"; else tap_fail "$desc" "command failed: $*"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
    if [ "$2" = "$3" ]; then tap_pass "$1"; else tap_fail "$1" "expected: $2" "got:      $3"; fi
}

# expect_match DESCRIPTION EXTENDED-REGEX TEXT
expect_match() {
    if printf '%s' "$3" | grep -Eq -- "$2"; then tap_pass "$1"; else tap_fail "$1" "expected to match: $2" "got: $3"; fi
}

# expect_no_match DESCRIPTION EXTENDED-REGEX TEXT
expect_no_match() {
    if printf '%s' "$3" | grep -Eq -- "$2"; then tap_fail "$1" "expected not to match: $2" "got: $3"; else tap_pass "$1"; fi
}

tap_done() { echo "1..$tap_n"; }
