#!/usr/bin/env bash
# The command line: arguments, -e/-l/-i/-, exit codes, error lines,
# signals, package.path and the embedded library.
set -u
. "$(dirname "$0")/../lib/tap.sh"
FGRUN=${FGRUN:?FGRUN must point at the fgrun binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run ARGS...: sets out, err, rc.
run() {
    out=$("$FGRUN" "$@" 2>"$tmp/stderr" </dev/null); rc=$?
    err=$(cat "$tmp/stderr")
}

run -e 'print(1+1)'
expect_eq "-e runs code" "2" "$out"
expect_eq "-e exits 0" "0" "$rc"

run --version
expect_match "--version names the program and Lua" '^fgrun [0-9]+\.[0-9]+\.[0-9]+ \(Lua 5\.4' "$out"

run --help
missing=""
for opt in -e -l -i " - " -- -v --verbose -q --quiet --no-color --env -D --destroy --keep \
           --state-dir "--state " --force-unlock --migrate-state --region --profile --json --debug --version --help; do
    printf '%s' "$out" | grep -q -- "$opt" || missing="$missing $opt"
done
expect_eq "--help lists every option" "" "$missing"
expect_eq "--help exits 0" "0" "$rc"
expect_match "--help shows examples" 'fgrun -e ' "$out"

run --bogus
expect_eq "unknown option exits 2" "2" "$rc"
expect_eq "unknown option prints nothing on stdout" "" "$out"
expect_match "unknown option is named" "unknown option '--bogus'" "$err"

run -e
expect_eq "-e without code exits 2" "2" "$rc"

for opt in "--env prod" "-D a=1" --destroy --keep "--state-dir /tmp/x" --json; do
    # shellcheck disable=SC2086
    run $opt -e 'print("ran")'
    expect_eq "$opt without a deployment: exit 2" "2" "$rc"
    expect_match "$opt without a deployment says it had no effect" "had no effect: the script declared no deployment" "$err"
done

run -D novalue -e 'print(1)'
expect_eq "-D without = is a usage error" "2" "$rc"

run "$tmp/missing.lua"
expect_eq "missing script exits 1" "1" "$rc"
expect_match "missing script: one line naming it" "^error: cannot open $tmp/missing.lua" "$err"
expect_eq "missing script: nothing on stdout" "" "$out"

printf 'print("a")\nlocal x = = 1\n' > "$tmp/syntax.lua"
run "$tmp/syntax.lua"
expect_eq "syntax error exits 1" "1" "$rc"
expect_match "syntax error names file and line" "^error: $tmp/syntax.lua:2: " "$err"
expect_eq "syntax error runs nothing" "" "$out"

printf 'local function f()\n  error("boom")\nend\nf()\n' > "$tmp/fail.lua"
run "$tmp/fail.lua"
expect_eq "runtime error exits 1" "1" "$rc"
expect_eq "runtime error: one line with file:line" "error: $tmp/fail.lua:2: boom" "$err"
run -v "$tmp/fail.lua"
expect_match "-v adds the traceback" "stack traceback:" "$err"

cat > "$tmp/object.lua" <<'LUA'
local e = setmetatable({code = "Nope"}, {__tostring = function(e) return "svc.op: " .. e.code end})
error(e)
LUA
run "$tmp/object.lua"
expect_eq "an error object prints through __tostring, at the script line" \
    "error: $tmp/object.lua:2: svc.op: Nope" "$err"

run -e 'error({})'
expect_match "a plain table error is named" "error object is a table value" "$err"

printf 'print(arg[0], arg[1], arg[2], arg[-1], select("#", ...), ...)\n' > "$tmp/args.lua"
run -q "$tmp/args.lua" one two
expect_eq "arg and ... as lua sets them" "$tmp/args.lua	one	two	-q	2	one	two" "$out"

out=$(printf 'print("from stdin", ...)' | "$FGRUN" - x 2>&1); rc=$?
expect_eq "- runs standard input with arguments" "from stdin	x" "$out"
out=$(printf 'print(40 + 2)' | "$FGRUN" 2>&1)
expect_eq "no script and piped input runs the input" "42" "$out"

out=$(printf 'x + 1\nprint(x * 2)\n' | "$FGRUN" -i -e 'x = 20' 2>&1)
expect_eq "-i reads statements after -e, keeping globals" "$(printf '21\n40')" "$out"
out=$(printf 'for i = 1, 2 do\nprint(i)\nend\n' | "$FGRUN" -i 2>&1)
expect_eq "-i continues unfinished statements" "$(printf '1\n2')" "$out"
out=$(printf 'error("bad")\nprint("still here")\n' | "$FGRUN" -i 2>&1)
expect_match "-i reports an error and goes on" "error: .*bad.*still here" "$(echo $out)"

run -l json -e 'print(json.encode(json.array{}))'
expect_eq "-l NAME loads a module into a global" "[]" "$out"
run -l j=json -e 'print(j.encode({1}))'
expect_eq "-l g=NAME names the global" "[1]" "$out"
run -e 'print(a)' -e 'a = 1'
expect_eq "-e pieces run in order" "nil" "$out"

mkdir -p "$tmp/proj"
printf 'return {answer = 42}\n' > "$tmp/proj/helper.lua"
printf 'print(require("helper").answer)\n' > "$tmp/proj/main.lua"
out=$(cd / && "$FGRUN" "$tmp/proj/main.lua" 2>&1)
expect_eq "the script's folder is on package.path" "42" "$out"

run -e 'for _, m in ipairs{"json", "fgrun"} do assert(package.preload[m], m) end
        assert(package.searchpath("json", package.path) == nil) print(require("fgrun").version)'
expect_match "the library is preloaded, not read from disk" '^[0-9]+\.[0-9]+\.[0-9]+$' "$out"

run -vv -q -e 'local f = require("fgrun") print(f.verbosity, f.quiet, f.color)'
expect_eq "fgrun module sees -vv and -q" "2	true	false" "$out"

run --region eu-west-3 -e 'print(os.getenv("AWS_REGION"))'
expect_eq "--region sets the region" "eu-west-3" "$out"

run -e 'error("x")'
case "$err" in *$'\033'*) tap_fail "no colour codes when stderr is not a terminal" "$err" ;;
     *) tap_pass "no colour codes when stderr is not a terminal" ;; esac

# Signals: the first raises "interrupted" inside Lua; the exit code is 130.
cat > "$tmp/busy.lua" <<'LUA'
io.stdout:setvbuf("no")
print("ready")
local ok, err = pcall(function() while true do end end)
print("caught: " .. tostring(err))
LUA
# Each run removes the previous run's output first: the shell truncates it only
# in the child, and a loaded machine let the wait below see the old "ready"
# and signal fgrun before it had installed its handler (exit 143).
for sig in INT TERM; do
    rm -f "$tmp/sig.out"
    "$FGRUN" "$tmp/busy.lua" >"$tmp/sig.out" 2>"$tmp/sig.err" &
    pid=$!
    for _ in $(seq 300); do grep -q ready "$tmp/sig.out" 2>/dev/null && break; sleep 0.1; done
    kill -s "$sig" "$pid"; wait "$pid"; rc=$?
    expect_eq "SIG$sig exits 130" "130" "$rc"
    expect_match "SIG$sig raises 'interrupted' that Lua code can catch" "caught: .*interrupted" "$(cat "$tmp/sig.out")"
done

rm -f "$tmp/sig.out"
"$FGRUN" -e 'io.stdout:setvbuf("no") print("ready") require("fgrun").sleep(30)' >"$tmp/sig.out" 2>"$tmp/sig.err" &
pid=$!
for _ in $(seq 300); do grep -q ready "$tmp/sig.out" 2>/dev/null && break; sleep 0.1; done
start=$(date +%s%N); kill -TERM "$pid"; wait "$pid"; rc=$?; end=$(date +%s%N)
expect_eq "a signal ends fgrun.sleep: exit 130" "130" "$rc"
if [ $(( (end - start) / 1000000 )) -lt 2000 ]; then tap_pass "fgrun.sleep wakes at once on a signal"
else tap_fail "fgrun.sleep wakes at once on a signal" "took $(( (end - start) / 1000000 )) ms"; fi

rm -f "$tmp/sig.out"
"$FGRUN" -e 'io.stdout:setvbuf("no") print("ready") pcall(function() while true do end end) while true do end' \
    >"$tmp/sig.out" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q ready "$tmp/sig.out" 2>/dev/null && break; sleep 0.1; done
kill -INT "$pid"; sleep 0.3; kill -INT "$pid"; wait "$pid"; rc=$?
expect_eq "a second signal exits at once with 130" "130" "$rc"

if command -v valgrind >/dev/null && [ -z "${FGRUN_NO_VALGRIND:-}" ] && ! ldd "$FGRUN" | grep -q libasan; then
    valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q \
        "$FGRUN" -e 'local j = require "json"; j.encode(j.decode("[1,{\"a\":[]},null]")); pcall(j.decode, "[1,"); pcall(j.encode, {f = print})' \
        >/dev/null 2>"$tmp/vg"; rc=$?
    expect_eq "valgrind: no leak or memory error" "0" "$rc"
else
    tap_skip "valgrind not available, or an ASan build"
fi

tap_done
