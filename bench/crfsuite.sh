#!/usr/bin/env bash
# Tagging speed of CRFsuite's `crfsuite tag` beside nerkit-tag on the same
# tokens: the CoNLL-2003 dev set repeated 20 times (about 1.03 M tokens), one
# thread each. crfsuite tags items whose 17 word attributes were extracted
# beforehand by bench/crfsuite-features.py, so its time does NOT include
# feature extraction; nerkit-tag's does (it reads the CoNLL words). The two
# are run in turn (crfsuite, nerkit, crfsuite, ...) RUNS times each (default
# 5); the script prints the median wall time, tokens/s and peak RSS of each
# and the ratio of the medians.
#
#   CRFSUITE=/path/to/crfsuite bash bench/crfsuite.sh [NERKIT-MODEL]
#
# Getting a crfsuite binary: this script neither downloads nor builds it.
# The upstream project is chokkan/crfsuite on GitHub, version 0.12 (0.12.2
# was measured here); build it from a release with its own
# ./configure && make (liblbfgs is needed for -a lbfgs), or build the
# command-line program (crfsuite/frontend/*.c) and the library
# (crfsuite/lib/crf, crfsuite/lib/cqdb, liblbfgs) with a C compiler and
# -O3 -ffast-math -msse2 -DUSE_SSE, as upstream's configure does.
#
# The model: an averaged perceptron, 10 epochs, on CoNLL-2003 train
# (`crfsuite learn -a ap -p max_iterations=10`), trained once and kept in
# CRFSUITE_MODEL (default build/crfsuite/conll03-ap10.model).
set -euo pipefail
BIN=${BIN:-bin}
D=${NER_DATA:-../shared/data}
MODEL=${1:-models/en-conll03.nerkit}
RUNS=${RUNS:-5}
CRFSUITE_MODEL=${CRFSUITE_MODEL:-build/crfsuite/conll03-ap10.model}
PY=${PYTHON:-/usr/bin/python3}
here=$(dirname "$0")
[ -n "${CRFSUITE:-}" ] || {
    echo "CRFSUITE is not set: give the path of a crfsuite 0.12 binary, e.g." >&2
    echo "  CRFSUITE=/opt/crfsuite/bin/crfsuite bash bench/crfsuite.sh" >&2
    echo "(see the comment on top of this script for how to get one)" >&2
    exit 1
}
[ -x "$CRFSUITE" ] || { echo "CRFSUITE=$CRFSUITE is not an executable file" >&2; exit 1; }
[ -f "$D/conll2003/dev.txt" ] || { echo "no $D/conll2003/dev.txt (set NER_DATA to the shared data folder)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
[ -x "$BIN/nerkit-tag" ] || { echo "no $BIN/nerkit-tag (run make, or set BIN)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -s "$CRFSUITE_MODEL" ]; then
    [ -f "$D/conll2003/train.txt" ] || { echo "no $D/conll2003/train.txt to train the crfsuite model on" >&2; exit 1; }
    mkdir -p "$(dirname "$CRFSUITE_MODEL")"
    echo "training $CRFSUITE_MODEL (averaged perceptron, 10 epochs)..." >&2
    "$PY" "$here/crfsuite-features.py" "$D/conll2003/train.txt" > "$tmp/train.crfsuite"
    "$CRFSUITE" learn -a ap -p max_iterations=10 -m "$CRFSUITE_MODEL.tmp" \
        "$tmp/train.crfsuite" > "$tmp/learn.log"
    mv "$CRFSUITE_MODEL.tmp" "$CRFSUITE_MODEL"
    rm -f "$tmp/train.crfsuite"
fi

# the features are sentence-local: extracting dev once and repeating the
# items 20 times gives the items of dev x 20
"$PY" "$here/crfsuite-features.py" "$D/conll2003/dev.txt" > "$tmp/dev.crfsuite"
for _ in $(seq 20); do cat "$D/conll2003/dev.txt"; done > "$tmp/dev20.conll"
for _ in $(seq 20); do cat "$tmp/dev.crfsuite"; done > "$tmp/dev20.crfsuite"
rm -f "$tmp/dev.crfsuite"
tokens=$(grep -v -e '^-DOCSTART-' -e '^\s*$' -c "$tmp/dev20.conll")
items=$(grep -v -c '^$' "$tmp/dev20.crfsuite")
[ "$tokens" = "$items" ] || { echo "token count mismatch: $tokens CoNLL tokens, $items crfsuite items" >&2; exit 1; }

# one run of each not counted (page cache, model file), then the pairs
"$CRFSUITE" tag -m "$CRFSUITE_MODEL" "$tmp/dev20.crfsuite" > /dev/null
"$BIN/nerkit-tag" -m "$MODEL" -i conll -f conll "$tmp/dev20.conll" > /dev/null
for r in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$tmp/crf.$r" \
        "$CRFSUITE" tag -m "$CRFSUITE_MODEL" "$tmp/dev20.crfsuite" > /dev/null
    /usr/bin/time -f "%e %M" -o "$tmp/ner.$r" \
        "$BIN/nerkit-tag" -m "$MODEL" -i conll -f conll "$tmp/dev20.conll" > /dev/null
done

median() {  # files of "seconds KB" lines -> "median-seconds max-KB"
    cat "$@" | sort -n | awk '{ t[NR] = $1; if ($2 > m) m = $2 }
        END { print t[int((NR + 1) / 2)], m }'
}
read -r crf_t crf_m < <(median "$tmp"/crf.*)
read -r ner_t ner_m < <(median "$tmp"/ner.*)
size=$(wc -c < "$CRFSUITE_MODEL")
echo "CoNLL-2003 dev x 20: $tokens tokens; median of $RUNS alternating runs each, one thread"
awk -v tok="$tokens" -v ct="$crf_t" -v cm="$crf_m" -v nt="$ner_t" -v nm="$ner_m" \
    -v size="$size" -v model="$(basename "$MODEL")" '
    BEGIN {
        printf "%-48s %8s %12s %10s\n", "", "wall s", "tokens/s", "peak RSS"
        printf "%-48s %8.2f %12.0f %7.1f MB\n", sprintf("crfsuite tag (features given, %.1f MB model)", size / 1e6), ct, tok / ct, cm / 1024
        printf "%-48s %8.2f %12.0f %7.1f MB\n", "nerkit-tag -i conll -f conll (" model ")", nt, tok / nt, nm / 1024
        printf "ratio crfsuite / nerkit-tag wall time: %.2f\n", ct / nt
    }'
