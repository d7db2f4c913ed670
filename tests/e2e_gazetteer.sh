#!/usr/bin/env bash
# nerkit-train --gazetteer from the command line: the lists travel in the
# model (nerkit-tag needs no file beside it and tags a listed name it never
# saw in training), gzip lists read as plain ones, and a bad line is refused
# with its file and line, status 1 and no model.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
small_model
# 120 made-up names, alternately people and cities, all in the lists; the
# first 100 in training as "met NAME .", where only the lists tell the two
# kinds apart (the names share no affix pattern)
awk 'BEGIN { srand(7); L = "bcdfghjklmnpqrstvwxz"; V = "aeiou"
    for (i = 1; i <= 120; i++) {
        w = toupper(substr(L, int(rand() * 20) + 1, 1))
        for (k = 0; k < 3; k++) w = w substr(V, int(rand() * 5) + 1, 1) substr(L, int(rand() * 20) + 1, 1)
        print w "\t" (i % 2 ? "CITY" : "PERSON") "\t" (i % 2 ? "B-LOC" : "B-PER")
    } }' > "$tmp/names"
{ echo "# made-up names"; echo; cut -f1,2 "$tmp/names"; } > "$tmp/g.tsv"
head -100 "$tmp/names" | awk -F'\t' '{ print "met O\n" $1 " " $3 "\n. O\n" }' > "$tmp/kinds.conll"
tail -20 "$tmp/names" | awk -F'\t' '{ print "met " $1 " ." }' > "$tmp/doc.txt"
tail -20 "$tmp/names" | cut -f3 > "$tmp/want"
# right NAME MODEL: how many of the 20 unseen names MODEL tags as their list says
right() {
    "$TAG" -m "$1" -f conll "$tmp/doc.txt" | awk 'NF == 2 && $1 != "met" && $1 != "." && $1 != "-DOCSTART-" { print $2 }' |
        paste - "$tmp/want" | awk '$1 == $2' | wc -l
}
check "train with a gazetteer" "$TRAIN" -q -t "$tmp/kinds.conll" -o "$tmp/g.nerkit" \
    --hash-bits 14 -e 5 --gazetteer "$tmp/g.tsv"
check "train without" "$TRAIN" -q -t "$tmp/kinds.conll" -o "$tmp/n.nerkit" --hash-bits 14 -e 5
with=$(right "$tmp/g.nerkit") without=$(right "$tmp/n.nerkit")
check "the lists inside the model tag unseen names ($with of 20, $without without them)" \
    test "$with" = 20 -a "$without" -lt 18

gzip -c "$tmp/g.tsv" > "$tmp/g.tsv.gz"
check "a gzip gazetteer" "$TRAIN" -q -t "$tmp/kinds.conll" -o "$tmp/gz.nerkit" \
    --hash-bits 14 -e 5 --gazetteer "$tmp/g.tsv.gz"
check "gzip or plain, the same model" cmp "$tmp/g.nerkit" "$tmp/gz.nerkit"

printf 'Oslo\tCITY\nBergen\n' > "$tmp/bad.tsv"
expect_error "a line without a list: file and line" "$tmp/bad.tsv:2: expected phrase<TAB>LIST" \
    "$TRAIN" -q -t "$tmp/train.conll" -o "$tmp/bad.nerkit" --gazetteer "$tmp/bad.tsv"
check "no model after the error" test ! -e "$tmp/bad.nerkit"
expect_error "a missing gazetteer" "$tmp/none.tsv" \
    "$TRAIN" -q -t "$tmp/train.conll" -o "$tmp/bad.nerkit" --gazetteer "$tmp/none.tsv"
printf '# comments only\n\n' > "$tmp/empty.tsv"
expect_error "a gazetteer without phrases" "$tmp/empty.tsv: no phrases" \
    "$TRAIN" -q -t "$tmp/train.conll" -o "$tmp/bad.nerkit" --gazetteer "$tmp/empty.tsv"
expect_error "the output may not be a gazetteer" "refusing to overwrite an input" \
    "$TRAIN" -q -t "$tmp/train.conll" -o "$tmp/g.tsv" --gazetteer "$tmp/g.tsv"
finish gazetteer
