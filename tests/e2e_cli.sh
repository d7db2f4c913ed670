#!/usr/bin/env bash
# The programs as a user meets them: exact pass-through of the input in
# nerkit-tag's CoNLL output, and a clear message plus a non-zero exit for
# every kind of bad input.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# a small labelled corpus, with CRLF lines and a tab-separated twin
cat > "$tmp/train.conll" <<'C'
-DOCSTART- O

Mr O
Smith B-PER
went O
to O
Paris B-LOC
. O

Anna B-PER
Berg I-PER
lives O
in O
Oslo B-LOC
. O
C
for i in 1 2 3 4 5 6 7 8; do sed -n '3,$p' "$tmp/train.conll"; echo; done > "$tmp/big.conll"
"$BIN/nerkit-train" -q -t "$tmp/big.conll" -o "$tmp/m.nerkit" --hash-bits 16 -e 5 ||
    bad "train small model"

# CoNLL out: every line kept, predicted label appended (CRLF and tabs too)
sed 's/$/\r/' "$tmp/train.conll" > "$tmp/crlf.conll"
tr ' ' '\t' < "$tmp/train.conll" > "$tmp/tab.conll"
for f in train crlf tab; do
    "$BIN/nerkit-tag" -m "$tmp/m.nerkit" -i conll -f conll "$tmp/$f.conll" > "$tmp/$f.out" ||
        bad "tag $f"
    # strip the appended column and compare with the input byte for byte
    sed -E 's/[ \t][^ \t\r]+(\r?)$/\1/' "$tmp/$f.out" | awk 'NF==0 {print; next} {print}' > "$tmp/$f.strip"
    if cmp -s "$tmp/$f.strip" "$tmp/$f.conll" && [ "$(grep -c . "$tmp/$f.out")" = "$(grep -c . "$tmp/$f.conll")" ]; then
        ok "tag $f keeps every input line"
    else
        bad "tag $f keeps every input line"
    fi
done
if grep -q $'\tB-PER\r$' "$tmp/crlf.out" || grep -q $' B-PER\r$' "$tmp/crlf.out"; then
    ok "CRLF lines keep their CR after the new column"
else
    bad "CRLF lines keep their CR after the new column"
fi
# 12 tokens plus the -DOCSTART- line, which conlleval counts as a token
"$BIN/nerkit-eval" "$tmp/train.conll" "$tmp/train.out" > "$tmp/ev" && grep -q '^processed 13 tokens with 4 phrases; found: 4 phrases; correct: 4.' "$tmp/ev" &&
    ok "eval GOLD PRED" || bad "eval GOLD PRED: $(head -1 "$tmp/ev")"

# bad corpora: the message names file and line
printf 'a O\nb O c\n' > "$tmp/cols.conll"
expect_error "wrong column count" "cols.conll:2: 3 columns" "$BIN/nerkit-tag" -m "$tmp/m.nerkit" -i conll "$tmp/cols.conll"
printf 'a O\n\xff\xfe O\n' > "$tmp/utf.conll"
expect_error "invalid UTF-8" "utf.conll:2: invalid UTF-8" "$BIN/nerkit-train" -t "$tmp/utf.conll" -o "$tmp/x.nerkit"
printf 'a O\nb X-PER\n' > "$tmp/lab.conll"
expect_error "bad label" "lab.conll:2: label 'X-PER'" "$BIN/nerkit-train" -t "$tmp/lab.conll" -o "$tmp/x.nerkit"
printf 'a O\nb E-PER\n' > "$tmp/sch.conll"
expect_error "label outside a forced scheme" "sch.conll:2: label 'E-PER' is not of the BILOU scheme" \
    "$BIN/nerkit-train" --scheme BILOU -t "$tmp/sch.conll" -o "$tmp/x.nerkit"
expect_error "missing corpus" "nope.conll: cannot open" "$BIN/nerkit-tag" -m "$tmp/m.nerkit" "$tmp/nope.conll"
[ ! -e "$tmp/x.nerkit" ] && ok "no model written after a failed training" || bad "no model written after a failed training"

# bad models
expect_error "missing model" "cannot open" "$BIN/nerkit-tag" -m "$tmp/none.nerkit" "$tmp/train.conll"
printf 'hello world, not a model at all\n' > "$tmp/text.nerkit"
expect_error "foreign model" "not a nerkit model" "$BIN/nerkit-tag" -m "$tmp/text.nerkit" "$tmp/train.conll"
head -c 1000 "$tmp/m.nerkit" > "$tmp/trunc.nerkit"
expect_error "truncated model" "truncated model" "$BIN/nerkit-tag" -m "$tmp/trunc.nerkit" "$tmp/train.conll"
cp "$tmp/m.nerkit" "$tmp/flip.nerkit"
printf '\x55' | dd of="$tmp/flip.nerkit" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_error "corrupted model" "corrupted model" "$BIN/nerkit-tag" -m "$tmp/flip.nerkit" "$tmp/train.conll"

# a failed save leaves the previous model as it was
cp "$tmp/m.nerkit" "$tmp/keep.nerkit"
expect_error "save into a missing directory" "its folder .*no/such/dir does not exist" \
    "$BIN/nerkit-train" -q -t "$tmp/big.conll" -o "$tmp/no/such/dir/m.nerkit" --hash-bits 16 -e 1
cmp -s "$tmp/m.nerkit" "$tmp/keep.nerkit" && ok "previous model intact" || bad "previous model intact"

# eval input errors
printf 'a O O\nb O\n' > "$tmp/ev.txt"
expect_error "eval column count" "ev.txt:2: 2 columns where earlier lines have 3" "$BIN/nerkit-eval" "$tmp/ev.txt"
head -5 "$tmp/train.out" > "$tmp/short.out"
expect_error "eval GOLD PRED misaligned" "do not line up" "$BIN/nerkit-eval" "$tmp/train.conll" "$tmp/short.out"

# a write error on standard output is an error, not a silent truncation
if [ -w /dev/full ]; then
    "$BIN/nerkit-tag" -m "$tmp/m.nerkit" "$tmp/big.conll" > /dev/full 2> "$tmp/err"; rc=$?
    [ $rc -ne 0 ] && grep -q "write error" "$tmp/err" && ok "write error on stdout" || bad "write error on stdout"
fi

finish cli
