#!/usr/bin/env bash
# Resource limits and odd inputs as the programs meet them: a 100 MB line,
# empty input, a sentence or a label set past its cap, each refused (or
# handled) with a message that names the file and line, and memory that
# stays bounded.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
TAG="$BIN/nerkit-tag"
M=models/en-conll03.nerkit


# a 100 MB line: refused at the 64 MiB cap, with the document before it
# tagged and written; peak memory stays near the cap, not the line
{ printf 'Angela Merkel visited Paris.\n\n'; head -c 100000000 /dev/zero | tr '\0' 'a'; echo; } > "$tmp/long.txt"
for input in lines text; do
    /usr/bin/time -f %M "$TAG" -m $M -i $input -q "$tmp/long.txt" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    kb=$(tail -1 "$tmp/err")
    [ $rc = 1 ] && grep -q "long.txt:3: line longer than 67108864 bytes" "$tmp/err" &&
        grep -q '"Angela Merkel"' "$tmp/out" && ok "-i $input: 100 MB line refused, the line before it tagged" ||
        bad "-i $input: 100 MB line (rc $rc: $(head -c 300 "$tmp/err"))"
    [ "$kb" -lt 600000 ] && ok "-i $input: 100 MB line read in bounded memory (${kb} KB)" ||
        bad "-i $input: 100 MB line read in bounded memory (${kb} KB)"
done
gzip -1 -c "$tmp/long.txt" > "$tmp/long.txt.gz"
expect_error "100 MB line in gzip" "long.txt.gz:3: line longer than 67108864 bytes" "$TAG" -m $M -q "$tmp/long.txt.gz"
rm -f "$tmp/long.txt" "$tmp/long.txt.gz"

# empty input: nothing to tag is no error
: > "$tmp/empty.txt"
for input in text lines jsonl conll; do
    "$TAG" -m $M -i $input -q "$tmp/empty.txt" > "$tmp/out" 2> "$tmp/err" && [ ! -s "$tmp/out" ] &&
        ok "-i $input: empty input, empty output" || bad "-i $input: empty input ($(cat "$tmp/err"))"
done
"$TAG" -m $M -q < /dev/null > "$tmp/out" && [ ! -s "$tmp/out" ] && ok "empty standard input" || bad "empty standard input"
expect_error "train on an empty corpus" "no tokens" "$BIN/nerkit-train" -q -t "$tmp/empty.txt" -o "$tmp/x.nerkit"

# CoNLL caps: a 1 MiB line, a 10000-token sentence, 1000 entity types
perl -e 'print "a" x (1 << 20), " O\n"' > "$tmp/wide.conll"
expect_error "CoNLL line over 1 MiB" "wide.conll:1: line of 1048578 bytes, over the 1048576-byte limit" \
    "$TAG" -m $M -i conll "$tmp/wide.conll"
perl -e 'print "x O\n\n"; print "w O\n" x 10001' > "$tmp/sentence.conll"
expect_error "sentence over 10000 tokens" "sentence.conll:10003: sentence longer than 10000 tokens (from line 3)" \
    "$TAG" -m $M -i conll "$tmp/sentence.conll"
perl -e 'printf "w B-T%04d\n", $_ for 1 .. 1001' > "$tmp/types.conll"
expect_error "more than 1000 entity types" "types.conll:1001: more than 1000 entity types" \
    "$BIN/nerkit-train" -q -t "$tmp/types.conll" -o "$tmp/x.nerkit"
[ ! -e "$tmp/x.nerkit" ] && ok "no model written for a refused corpus" || bad "no model written for a refused corpus"

# NUL bytes and invalid UTF-8 in CoNLL and in JSONL
printf 'a O\nb\0 O\n' > "$tmp/nul.conll"
expect_error "NUL byte in CoNLL" "nul.conll:2: NUL byte" "$TAG" -m $M -i conll "$tmp/nul.conll"
printf '{"text":"Paris"}\n{"text":"a\0b"}\n' > "$tmp/nul.jsonl"
expect_error "NUL byte in JSONL" "nul.jsonl:2: NUL byte" "$TAG" -m $M -i jsonl -q "$tmp/nul.jsonl"
printf '{"text":"Paris \xff Berlin"}\n' > "$tmp/latin.jsonl"
"$TAG" -m $M -i jsonl -q "$tmp/latin.jsonl" > "$tmp/out" 2> "$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "invalid UTF-8" "$tmp/err" && grep -q '"Berlin"' "$tmp/out" &&
    ok "invalid UTF-8 in JSONL: tagged with U+FFFD, reported" || bad "invalid UTF-8 in JSONL (rc $rc)"
printf '{"text":"a"\n' > "$tmp/broken.jsonl"
expect_error "JSON cut short" "broken.jsonl:1: invalid JSON at byte 12" "$TAG" -m $M -i jsonl -q "$tmp/broken.jsonl"
perl -e 'print "{\"a\":" x 100, "1", "}" x 100, "\n"' > "$tmp/deep.jsonl"
expect_error "JSON nested too deep" "deep.jsonl:1: invalid JSON" "$TAG" -m $M -i jsonl -q "$tmp/deep.jsonl"

finish limits
