#!/usr/bin/env bash
# Non-local features (--features all,nonlocal): a model trained with them
# on a small corpus of documents tags, gives n-best lists and is as
# repeatable as any, and so does a CRF (with confidences); bad fold counts
# are refused with a message. With CoNLL-2003, a quarter of train must reach a dev F1 at
# least that of the same training without them.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
TRAIN="$BIN/nerkit-train" TAG="$BIN/nerkit-tag" EVAL="$BIN/nerkit-eval"

# documents where a name comes back alone after its full form
for d in 1 2 3 4 5 6 7 8; do
    printf -- '-DOCSTART- O\n\n'
    printf 'Anna B-PER\nBerg I-PER\nlives O\nin O\nOslo B-LOC\n. O\n\n'
    printf 'Berg B-PER\nleft O\nOslo B-LOC\nyesterday O\n. O\n\n'
    printf 'The O\nbank B-ORG\nof I-ORG\nNorway I-ORG\npaid O\nBerg B-PER\n. O\n\n'
done > "$tmp/docs.conll"
check "train with nonlocal" "$TRAIN" -q -t "$tmp/docs.conll" -d "$tmp/docs.conll" -o "$tmp/nl.nerkit" \
    --features all,nonlocal --folds 3 -e 3 --hash-bits 14
# tag MODEL OUT [options]: the corpus tagged in CoNLL
tag() { "$TAG" -m "$1" -i conll -f conll "${@:3}" "$tmp/docs.conll" > "$2"; }
check "tag with the two passes" tag "$tmp/nl.nerkit" "$tmp/out.conll"
check "as many lines tagged as read" test "$(wc -l < "$tmp/out.conll")" = "$(wc -l < "$tmp/docs.conll")"
check "n-best on the second pass" tag "$tmp/nl.nerkit" "$tmp/nbest.conll" --nbest 2
check "its best is the tagging" cmp -s <(cut -d' ' -f1-3 "$tmp/nbest.conll") "$tmp/out.conll"
"$TRAIN" -q -t "$tmp/docs.conll" -d "$tmp/docs.conll" -o "$tmp/nl2.nerkit" --features all,nonlocal --folds 3 -e 3 --hash-bits 14
tag "$tmp/nl2.nerkit" "$tmp/out2.conll"
check "same options, same tags" cmp -s "$tmp/out.conll" "$tmp/out2.conll"
"$EVAL" "$tmp/out.conll" > "$tmp/eval" 2>&1
check "the training documents are learnt" grep -q 'FB1: 100.00' "$tmp/eval"
check "--help names the group" sh -c "'$TRAIN' --help | grep -q nonlocal"
check "CRF with nonlocal" "$TRAIN" -q -t "$tmp/docs.conll" -d "$tmp/docs.conll" -o "$tmp/crf.nerkit" \
    --features all,nonlocal --algo crf --folds 2 --hash-bits 14 --iterations 30
"$TAG" -m "$tmp/crf.nerkit" -i conll -f jsonl --confidence "$tmp/docs.conll" > "$tmp/crf.jsonl"
check "CRF: confidences of the second pass" grep -q '"prob":' "$tmp/crf.jsonl"
check "CRF: n-best" tag "$tmp/crf.nerkit" "$tmp/crf.nbest" --nbest 3
"$EVAL" "$(tag "$tmp/crf.nerkit" "$tmp/crf.conll" && echo "$tmp/crf.conll")" > "$tmp/eval" 2>&1
check "CRF: the training documents are learnt" grep -q 'FB1: 100.00' "$tmp/eval"
expect_error "one fold refused" "folds" \
    "$TRAIN" -q -t "$tmp/docs.conll" -o "$tmp/x.nerkit" --features all,nonlocal --folds 1

if [ -f "$D/conll2003/train.txt" ] && [ -f "$D/conll2003/dev.txt" ]; then
    awk 'NR > 55000 && /^$/ { exit } { print }' "$D/conll2003/train.txt" > "$tmp/train.txt"
    f1() { "$EVAL" -m "$1" "$D/conll2003/dev.txt" | awk '/^accuracy/ {print $NF}'; }
    "$TRAIN" -q -t "$tmp/train.txt" -d "$D/conll2003/dev.txt" -o "$tmp/base.nerkit" --hash-bits 20
    "$TRAIN" -q -t "$tmp/train.txt" -d "$D/conll2003/dev.txt" -o "$tmp/q.nerkit" --hash-bits 20 \
        --features all,nonlocal
    base=$(f1 "$tmp/base.nerkit") nl=$(f1 "$tmp/q.nerkit")
    check "quarter of train: dev F1 $nl with nonlocal >= $base without" \
        awk -v a="$nl" -v b="$base" 'BEGIN { exit !(a >= b) }'
else
    echo "skipped the CoNLL-2003 part: no data under $D"
fi
finish e2e_nonlocal
