#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz-build`, each for SECONDS,
# and prints TAP: first every saved crash of the target is replayed (a
# regression test: it must no longer crash), then the target is fuzzed
# from its seeds: tests/fuzz/seeds/<target> (committed), inputs taken
# from the conformance vectors in place (tests/fuzz/seeds.py, under
# build/), and the corpus grown by earlier runs (build/fuzz/corpus). A new
# crash is saved as tests/fuzz/crashes/<target>/<file> to be committed.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/tap.sh
seconds=${1:?usage: run.sh SECONDS [TARGET...]}; shift
targets=${*:-xml json jmespath response cbor sigv4 docker_stream config_file}
bins=build/fuzz/bin work=build/fuzz
vectors=${FGRUN_VECTORS:-../shared/vectors}
rm -rf "$work/vector-seeds"
if [ -d "$vectors" ]; then
    python3 tests/fuzz/seeds.py "$vectors" "$work/vector-seeds"
else
    echo "# no conformance vectors at $vectors: committed seeds only"
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for t in $targets; do
    bin=$bins/fuzz_$t
    if [ ! -x "$bin" ]; then tap_fail "fuzz $t: $bin is not built (make fuzz-build)"; continue; fi
    saved=(tests/fuzz/crashes/"$t"/*)
    if [ -e "${saved[0]}" ]; then
        if "$bin" -runs=1 "${saved[@]}" >"$work/$t.replay.log" 2>&1; then
            tap_pass "fuzz $t: the ${#saved[@]} saved crash input(s) no longer crash"
        else
            tap_fail "fuzz $t: a saved crash input still crashes" "$(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$work/$t.replay.log")"
        fi
    fi
    corpus=$work/corpus/$t
    mkdir -p "$corpus" "$work/artifacts"
    seeds=()
    for d in "tests/fuzz/seeds/$t" "$work/vector-seeds/$t"; do [ -d "$d" ] && seeds+=("$d"); done
    rm -f "$work/artifacts/$t-"*
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$t-" "$corpus" "${seeds[@]}" >"$work/$t.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
    last=$(grep -E '^#[0-9]+' "$work/$t.log" | tail -1)
    cov=$(printf '%s' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    corp=$(printf '%s' "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    if [ "$rc" = 0 ]; then
        tap_pass "fuzz $t: ${runs:-?} runs in ${seconds}s, coverage ${cov:-?} edges, corpus ${corp:-?}: no crash"
    else
        mkdir -p "tests/fuzz/crashes/$t"
        kept=""
        for a in "$work/artifacts/$t-"*; do
            [ -e "$a" ] || continue
            cp "$a" "tests/fuzz/crashes/$t/$(basename "$a" | sed "s/^$t-//")"
            kept="$kept tests/fuzz/crashes/$t/$(basename "$a" | sed "s/^$t-//")"
        done
        tap_fail "fuzz $t: crashed after ${runs:-?} runs (exit $rc); reproducer:${kept:- none saved}" \
            "$(grep -m4 -E 'ERROR: |SUMMARY: |runtime error|#[0-9]+ 0x.* in ' "$work/$t.log")" "log: $work/$t.log"
    fi
done
tap_done
