#!/usr/bin/env bash
# Trains on CoNLL-2003 English train with dev for epoch choice, with the
# defaults (the word features, the non-local ones, and vectors and clusters
# of the training text: 92.58 in README.md), and checks: the dev F1 bound, nerkit-eval
# against conlleval.pl on the tagged dev set; then the shipped model against
# a bound: `make model` trains it on train and dev together, so this only
# shows that it loads and tags (its recipe's dev scores, from a train-only
# run, are in models/README.md).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_conll03 train.txt dev.txt
start=$(date +%s.%N)
"$BIN/nerkit-train" -q -t "$D/conll2003/train.txt" -d "$D/conll2003/dev.txt" -o "$tmp/m.nerkit"
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "trained in %.1f s\n", b - a }'

"$BIN/nerkit-tag" -m "$tmp/m.nerkit" -i conll -f conll "$D/conll2003/dev.txt" > "$tmp/pred"
"$BIN/nerkit-eval" "$tmp/pred" > "$tmp/ours"
"$BIN/nerkit-eval" -m "$tmp/m.nerkit" "$D/conll2003/dev.txt" > "$tmp/ours-m"
perl "$D/eval/conlleval.pl" < "$tmp/pred" > "$tmp/theirs"
cat "$tmp/ours"
fail=0
cmp -s "$tmp/ours" "$tmp/theirs" || { echo "FAIL: nerkit-eval differs from conlleval.pl"; diff "$tmp/ours" "$tmp/theirs"; fail=1; }
cmp -s "$tmp/ours" "$tmp/ours-m" || { echo "FAIL: nerkit-eval -m differs from scoring nerkit-tag output"; fail=1; }

# the tagged file is the input with one more column
cut -d' ' -f1-4 "$tmp/pred" | sed 's/ *$//' | cmp -s - <(sed 's/ *$//' "$D/conll2003/dev.txt") ||
    { echo "FAIL: nerkit-tag changed the input columns"; fail=1; }

f1=$(awk '/^accuracy/ {print $NF}' "$tmp/ours")
if awk -v f="$f1" 'BEGIN { exit !(f >= 91.5) }'; then
    echo "ok: dev F1 $f1 >= 91.5"
else
    echo "FAIL: dev F1 $f1 < 91.5"
    fail=1
fi
shipped=$("$BIN/nerkit-eval" -m models/en-conll03.nerkit "$D/conll2003/dev.txt" | awk '/^accuracy/ {print $NF}')
if awk -v f="$shipped" 'BEGIN { exit !(f >= 91.0) }'; then
    echo "ok: shipped model dev F1 $shipped >= 91.0"
else
    echo "FAIL: shipped model dev F1 $shipped < 91.0"
    fail=1
fi
exit $fail
