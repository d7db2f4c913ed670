#!/bin/sh
# Runs every unit test binary in $1/tests and every end-to-end script
# tests/e2e_*.sh with the programs in $2 (and $B for the test helpers
# built there). Prints one summary line.
B=$1 BIN=$2
pass=0 fail=0 failed=""
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
done
for s in tests/e2e_*.sh; do
    [ -f "$s" ] || continue
    echo "== $s"
    if B="$B" BIN="$BIN" bash "$s"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $s"; fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "suites: $pass passed, $fail failed"
[ "$fail" = 0 ]
