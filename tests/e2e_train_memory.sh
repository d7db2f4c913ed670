#!/usr/bin/env bash
# Training memory follows the features a corpus has, not the hash table:
# with 2^28 slots, a table of weights per slot would take 42 GB (2^28 x 13
# labels x 12 bytes for the perceptron), yet a small corpus trains
# under a cap of a few hundred MB, with each trainer, non-local features
# and checkpoints.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
TRAIN="$BIN/nerkit-train"
TAG="$BIN/nerkit-tag"

# ASan reserves terabytes of shadow memory, which any cap refuses
# grep reads all of ldd's output: -q would stop early, and with pipefail ldd's
# SIGPIPE could make the test think the build has no ASan
if ldd "$TRAIN" 2> /dev/null | grep libasan > /dev/null; then
    echo "skipped: no memory cap under ASan"
    exit 0
fi

gen() {
    perl -e 'srand($ARGV[0]);
        my @w = map { "w$_" } 1 .. 300; my @p = map { "Name$_" } 1 .. 60;
        my @c = map { "City$_" } 1 .. 40;
        for (1 .. $ARGV[1]) {
            for (1 .. 5 + int(rand(10))) {
                my $r = rand();
                if ($r < 0.1) { print $p[rand @p], " B-PER\n" }
                elsif ($r < 0.17) { print $c[rand @c], " B-LOC\n" }
                else { print $w[rand @w], rand() < 0.02 ? " B-MISC\n" : " O\n" }
            }
            print "\n";
        }' "$@"
}
gen 3 600 > "$tmp/train.conll"
gen 4 100 > "$tmp/dev.conll"
printf 'Name7 went to City3 .\n' > "$tmp/in.txt"
common=(-q -t "$tmp/train.conll" -d "$tmp/dev.conll" --hash-bits 28)

# capped RUN NAME ARGS...: trains with ARGS under a 400 MB address-space cap
capped() {
    local name=$1
    shift
    if (ulimit -v 400000 && "$TRAIN" "${common[@]}" "$@") > "$tmp/out" 2> "$tmp/err"; then
        ok "$name trains in 400 MB at --hash-bits 28"
    else
        bad "$name trains in 400 MB at --hash-bits 28 ($(head -c 300 "$tmp/err"))"
    fi
}

capped "perceptron" -e 4 -o "$tmp/p.nerkit"
"$TAG" -m "$tmp/p.nerkit" -q "$tmp/in.txt" > "$tmp/tags" 2>&1 && grep -q City3 "$tmp/tags" &&
    ok "the --hash-bits 28 model tags" || bad "the --hash-bits 28 model tags ($(head -c 300 "$tmp/tags"))"
capped "perceptron with non-local features" -e 3 --features all,nonlocal --folds 2 -o "$tmp/nl.nerkit"
capped "CRF" --algo crf --iterations 3 -o "$tmp/crf.nerkit"

# a checkpoint holds the compact rows: stop after 2 epochs, resume to 4
capped "perceptron with checkpoints" -e 2 --patience 1000 --checkpoint "$tmp/p.ck" -o "$tmp/half.nerkit"
capped "perceptron resumed" -e 4 --patience 1000 --resume "$tmp/p.ck" -o "$tmp/resumed.nerkit"
capped "perceptron straight" -e 4 --patience 1000 -o "$tmp/straight.nerkit"
cmp -s "$tmp/resumed.nerkit" "$tmp/straight.nerkit" && ok "a resumed --hash-bits 28 run gives the same model" ||
    bad "a resumed --hash-bits 28 run gives the same model"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
