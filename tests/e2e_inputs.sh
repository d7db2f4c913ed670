#!/usr/bin/env bash
# Bad input, second round: a CoNLL file whose last line is bad still gets
# everything before it tagged and written; a dev set that cannot be scored,
# an entity type the loader could not read back, a two-column file given
# to conlleval's one-file form: each refused with a message naming the file
# (and line); nerkit-eval's --label-col honoured in every form.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
TAG="$BIN/nerkit-tag" TRAIN="$BIN/nerkit-train" EVAL="$BIN/nerkit-eval"

for i in 1 2 3 4 5 6; do printf 'Anna B-PER\nBerg I-PER\nlives O\nin O\nOslo B-LOC\n. O\n\n'; done > "$tmp/train.conll"
"$TRAIN" -q -t "$tmp/train.conll" -o "$tmp/m.nerkit" --hash-bits 12 -e 2 || bad "train a small model"
M=$tmp/m.nerkit

# -i conll: the sentences before a bad last line are tagged and written
{ head -14 "$tmp/train.conll"; printf 'Oslo B-LOC extra\n'; } > "$tmp/badlast.conll"
for out in conll jsonl; do
    "$TAG" -m "$M" -i conll -o $out "$tmp/badlast.conll" > "$tmp/out.$out" 2> "$tmp/err"
    rc=$?
    n=$(grep -o 'Anna' "$tmp/out.$out" | wc -l)
    [ $rc = 1 ] && grep -q "badlast.conll:15: 3 columns where earlier lines have 2" "$tmp/err" && [ "$n" -ge 2 ] &&
        ok "-i conll -o $out: the sentences before a bad line written" ||
        bad "-i conll -o $out: bad last line (status $rc, Anna $n times)"
done
cut -d' ' -f1,2 "$tmp/out.conll" | cmp -s - <(head -14 "$tmp/train.conll") &&
    ok "-i conll: the lines before it kept as they were" || bad "-i conll: the lines before it kept as they were"
printf 'Anna B-PER extra\n' > "$tmp/badfirst.conll"
"$TAG" -m "$M" -i conll "$tmp/badfirst.conll" > "$tmp/out" 2> "$tmp/err"
[ $? = 1 ] && [ ! -s "$tmp/out" ] && ok "-i conll: a bad first line, nothing written" || bad "-i conll: bad first line"

# a dev set that cannot be scored would choose epochs by an F1 of 0
cut -d' ' -f1 "$tmp/train.conll" > "$tmp/tokens.conll"
expect_error "dev without a label column" "tokens.conll: the development corpus has no label column" \
    "$TRAIN" -q -t "$tmp/train.conll" -d "$tmp/tokens.conll" -o "$tmp/x.nerkit" --hash-bits 12
: > "$tmp/empty.conll"
expect_error "dev without sentences" "empty.conll: the development corpus has no sentences" \
    "$TRAIN" -q -t "$tmp/train.conll" -d "$tmp/empty.conll" -o "$tmp/x.nerkit" --hash-bits 12
[ ! -e "$tmp/x.nerkit" ] && ok "no model from an unusable dev set" || bad "no model from an unusable dev set"

# an entity type the loader cannot read back is refused where it is read
long=$(printf 'T%.0s' $(seq 256))
{ printf 'a O\n'; printf 'Oslo B-%s\n' "$long"; } > "$tmp/longtype.conll"
expect_error "entity type of 256 bytes" "longtype.conll:2: entity type of 256 bytes" \
    "$TRAIN" -q -t "$tmp/longtype.conll" -o "$tmp/x.nerkit" --hash-bits 12
{ printf 'a O\n'; printf 'Oslo B-%s\n' "${long:1}"; } > "$tmp/type255.conll"
"$TRAIN" -q -t "$tmp/type255.conll" -o "$tmp/t255.nerkit" --hash-bits 12 -e 1 &&
    "$TAG" -m "$tmp/t255.nerkit" "$tmp/type255.conll" > /dev/null &&
    ok "entity type of 255 bytes: trains and loads" || bad "entity type of 255 bytes: trains and loads"

finish inputs
