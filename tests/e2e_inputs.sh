#!/usr/bin/env bash
# Bad input, second round: a CoNLL file whose last line is bad still gets
# everything before it tagged and written; a dev set that cannot be scored,
# an entity type the loader could not read back, a two-column file given
# to conlleval's one-file form: each refused with a message naming the file
# (and line); nerkit-eval's --label-col honoured in every form.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
small_model

# -i conll: the sentences before a bad last line are tagged and written
{ head -14 "$tmp/train.conll"; printf 'Oslo B-LOC extra\n'; } > "$tmp/badlast.conll"
for out in conll jsonl; do
    "$TAG" -m "$M" -i conll -f $out "$tmp/badlast.conll" > "$tmp/out.$out" 2> "$tmp/err"
    rc=$?
    n=$(grep -o 'Anna' "$tmp/out.$out" | wc -l)
    [ $rc = 1 ] && grep -q "badlast.conll:15: 3 columns where earlier lines have 2" "$tmp/err" && [ "$n" -ge 2 ] &&
        ok "-i conll -f $out: the sentences before a bad line written" ||
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

# nerkit-eval: --label-col in the one-file form; the guess is still the last column
printf 'Anna B-PER O B-PER\nBerg I-PER O I-PER\n' > "$tmp/four.txt"
"$EVAL" "$tmp/four.txt" | grep -q '^processed 2 tokens with 0 phrases; found: 1 phrases; correct: 0' &&
    ok "eval FILE: gold is the column before the guess" || bad "eval FILE: default gold column"
"$EVAL" --label-col 2 "$tmp/four.txt" | grep -q '^processed 2 tokens with 1 phrases; found: 1 phrases; correct: 1' &&
    ok "eval --label-col 2 FILE" || bad "eval --label-col 2 FILE: $("$EVAL" --label-col 2 "$tmp/four.txt" 2>&1 | head -1)"
"$EVAL" --label-col -2 "$tmp/four.txt" | grep -q 'with 1 phrases; found: 1 phrases; correct: 1' &&
    ok "eval --label-col -2 FILE" || bad "eval --label-col -2 FILE"
expect_error "eval --label-col at the guess" "four.txt:1: no gold label column 4 before the guess" \
    "$EVAL" --label-col 4 "$tmp/four.txt"
# and with -m: the column of the file given, not the last one
awk 'NF { print $1, $2, "O"; next } { print }' "$tmp/train.conll" > "$tmp/mid.conll"
"$EVAL" -m "$M" --label-col 2 "$tmp/mid.conll" | grep -q 'with 12 phrases' &&
    ok "eval -m --label-col 2" || bad "eval -m --label-col 2: $("$EVAL" -m "$M" --label-col 2 "$tmp/mid.conll" 2>&1 | head -1)"

# a 2-column file is "gold guess" to conlleval; "token label" would score
# the words as gold labels
"$TAG" -m "$M" -i conll -f conll --label-col 0 "$tmp/tokens.conll" > "$tmp/tagged.conll"
expect_error "eval FILE of token and label" "tagged.conll:1: 2 columns and 'Anna' is not a label" \
    "$EVAL" "$tmp/tagged.conll"
grep -q "nerkit-eval GOLD PRED" "$tmp/err" && ok "the message says what to give" || bad "the message says what to give"
printf 'B-PER B-PER\nI-PER O\nO O\n' > "$tmp/gold-guess.txt"
"$EVAL" "$tmp/gold-guess.txt" | grep -q '^processed 3 tokens with 1 phrases; found: 1 phrases; correct: 0' &&
    ok "eval FILE of gold and guess, as conlleval" || bad "eval FILE of gold and guess"

finish inputs
