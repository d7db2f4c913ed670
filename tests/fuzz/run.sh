#!/bin/sh
# Runs fuzz harnesses: run.sh DIR SECONDS [NAME...] runs each harness
# DIR/fuzz/NAME (all of them when none is named) for SECONDS seconds,
# starting from the seeds in tests/fuzz/corpus/NAME. What the fuzzer finds
# goes to DIR/corpus/NAME, so the committed seeds stay as they are; a
# crashing input goes to DIR/artifacts. Prints one line per harness with
# its executions and coverage, and fails if any harness found a crash, a
# leak, undefined behaviour or a broken invariant.
DIR=$1 SECONDS_EACH=$2
shift 2
[ $# -gt 0 ] || set -- $(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
mkdir -p "$DIR/artifacts" "$DIR/logs"
failed=""
for name in "$@"; do
    mkdir -p "$DIR/corpus/$name"
    dict=""
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    log="$DIR/logs/$name.log"
    # -rss_limit_mb: a harness may allocate what a real model allows (a
    # 2^28-slot index, a 4001-label table), no more
    "$DIR/fuzz/$name" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=30 \
        -print_final_stats=1 -artifact_prefix="$DIR/artifacts/$name-" $dict \
        "$DIR/corpus/$name" "tests/fuzz/corpus/$name" > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1)
    if [ $rc = 0 ]; then
        echo "fuzz $name: ${runs:-?} runs in ${SECONDS_EACH}s, $cov, $ft"
    else
        echo "fuzz $name: FAILED (exit $rc), see $log"
        grep -m 3 -E 'ERROR|invariant broken|runtime error' "$log"
        failed="$failed $name"
    fi
done
[ -z "$failed" ] || { echo "fuzz failures:$failed"; exit 1; }
