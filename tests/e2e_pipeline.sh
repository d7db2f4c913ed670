#!/usr/bin/env bash
# The document pipeline that nerkit-tag, nerkit-embed and nerkit-bench
# share, against inputs that once made it loop or blow up: text made of
# UTF-8 continuation bytes (the cut-point search returned 0 and the reader
# looped), a JSONL "text" of 21 MB (not cut, so tagged in one piece),
# "text" members the reader could not find, and numbers JSON does not allow.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
TAG="$BIN/nerkit-tag"
M=models/en-conll03.nerkit

# 200 bytes of 0xA0 cut into 64-byte documents: four records, not endless
head -c 200 /dev/zero | tr '\0' '\240' > "$tmp/a0.txt"
timeout 60 "$TAG" -m $M --max-doc 64 "$tmp/a0.txt" 2> "$tmp/err" | head -c 100000 > "$tmp/out"
check "continuation bytes with --max-doc 64: output ends" test "$(wc -l < "$tmp/out")" = 4
check "continuation bytes: each document reported" \
    test "$(grep -c 'a0.txt:1: invalid UTF-8 at byte offset' "$tmp/err")" = 4

# a sentence, then 2 MiB of 0x80 with no line break: the default cap cuts it
{ printf 'Angela Merkel visited Paris.\n'; head -c 2097152 /dev/zero | tr '\0' '\200'; } > "$tmp/x80.txt"
timeout 120 "$TAG" -m $M "$tmp/x80.txt" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q '"text":"Angela Merkel","label":"PER"\|"label":"PER","text":"Angela Merkel"' "$tmp/out" &&
    [ "$(wc -l < "$tmp/out")" = 3 ] && ok "nerkit-tag: 2 MiB of continuation bytes cut into documents" ||
    bad "nerkit-tag: 2 MiB of continuation bytes (rc $rc, $(wc -l < "$tmp/out") lines)"
timeout 120 "$BIN/nerkit-embed" -q -j 2 -o "$tmp/x.vec" "$tmp/x80.txt" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q 'fewer than --dim' "$tmp/err" && ok "nerkit-embed: 2 MiB of continuation bytes read to the end" ||
    bad "nerkit-embed: 2 MiB of continuation bytes (rc $rc: $(head -c 300 "$tmp/err"))"
timeout 120 "$BIN/nerkit-bench" -m $M -j 1 -r 1 "$tmp/x80.txt" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 0 ] && grep -q '1 thread' "$tmp/out" && ok "nerkit-bench: 2 MiB of continuation bytes read to the end" ||
    bad "nerkit-bench: 2 MiB of continuation bytes (rc $rc: $(head -c 300 "$tmp/err"))"

# a JSONL text of 21 MB: tagged in pieces of --max-doc, each a record with
# the other members and its part number, in bounded memory
perl -e 'print "{\"id\":7,\"text\":\"", "Angela Merkel visited Paris on Monday. " x 550000, "\",\"meta\":[1,2]}\n"' > "$tmp/big.jsonl"
/usr/bin/time -f %M "$TAG" -m $M -i jsonl -j 2 "$tmp/big.jsonl" > "$tmp/out" 2> "$tmp/err"; rc=$?
kb=$(tail -1 "$tmp/err")
[ $rc = 0 ] && [ "$(wc -l < "$tmp/out")" = 21 ] && ok "21 MB JSONL text: 21 pieces" || bad "21 MB JSONL text (rc $rc, $(wc -l < "$tmp/out") records)"
check "21 MB JSONL text: pieces joined give the text, other members kept" perl -MJSON::PP -e '
    my ($orig, $all, $k) = ("", "", 0);
    open my $f, "<", $ARGV[0] or die; $orig = decode_json(scalar <$f>)->{text};
    open my $g, "<", $ARGV[1] or die;
    while (<$g>) { my $o = decode_json($_); exit 1 unless $o->{part} == $k++ && $o->{id} == 7 && $o->{meta}[1] == 2;
                   $all .= $o->{text} }
    exit !($all eq $orig)' "$tmp/big.jsonl" "$tmp/out"
# the same text read whole took 2.4 GB; cut, it takes what -i text takes
case "$B" in
*asan*) ok "21 MB JSONL text: memory not measured under ASan (${kb} KB)" ;;
*) [ "$kb" -lt 700000 ] && ok "21 MB JSONL text in bounded memory (${kb} KB)" || bad "21 MB JSONL text: ${kb} KB" ;;
esac
rm -f "$tmp/big.jsonl" "$tmp/out"

# "text" after 70 other members, or written with escapes, is found
perl -e 'print "{", (map { "\"k$_\":$_," } 1 .. 70), "\"text\":\"Angela Merkel visited Paris.\"}\n",
               "{\"t\\u0065xt\":\"Angela Merkel visited Paris.\"}\n"' > "$tmp/keys.jsonl"
"$TAG" -m $M -i jsonl "$tmp/keys.jsonl" > "$tmp/out" 2> "$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(grep -c '"Angela Merkel"' "$tmp/out")" = 2 ] && ok "\"text\" after 70 members or escaped" ||
    bad "\"text\" after 70 members or escaped (rc $rc: $(head -c 300 "$tmp/err"))"
check "an escaped \"entities\" key is replaced too" \
    test "$(printf '{"text":"Paris.","\\u0065ntities":[1]}\n' | "$TAG" -m $M -i jsonl | grep -o entities | wc -l)" = 1

# numbers JSON does not allow are refused, not echoed as invalid output
for num in 00 -01.5 01 .5 1. +1; do
    printf '{"text":"Paris.","n":%s}\n' "$num" > "$tmp/num.jsonl"
    expect_error "JSON number $num refused" "num.jsonl:1: invalid JSON" "$TAG" -m $M -i jsonl "$tmp/num.jsonl"
done
printf '{"text":"Paris.","n":[0,-0,0.5,-0e+1,10,1E5]}\n' > "$tmp/num.jsonl"
check "valid JSON numbers pass through" grep -q '"n":\[0,-0,0.5,-0e+1,10,1E5\]' <("$TAG" -m $M -i jsonl "$tmp/num.jsonl")


# Taggers of one model share the sums of the tokens they have seen (POSIX
# shared memory, by default): three at once, two and one threads, tag as a
# tagger with a cache of its own does, byte for byte, and the shared object
# is gone once the last of them ends
for k in $(seq 300); do printf 'Angela Merkel met Tok%d in Paris on Monday.\n\nWord%d Smith of ACME said so.\n\n' "$k" "$k"; done > "$tmp/share.txt"
"$TAG" -q -m $M --own-cache "$tmp/share.txt" > "$tmp/own.jsonl"
before=$(ls /dev/shm 2> /dev/null | grep -c "^nerkit-tokens-$(id -u)-")
"$TAG" -q -m $M -j 2 "$tmp/share.txt" > "$tmp/s1.jsonl" & p1=$!
"$TAG" -q -m $M -j 2 "$tmp/share.txt" > "$tmp/s2.jsonl" & p2=$!
"$TAG" -q -m $M -j 1 "$tmp/share.txt" > "$tmp/s3.jsonl" & p3=$!
wait $p1 $p2 $p3
cmp -s "$tmp/own.jsonl" "$tmp/s1.jsonl" && cmp -s "$tmp/own.jsonl" "$tmp/s2.jsonl" &&
    cmp -s "$tmp/own.jsonl" "$tmp/s3.jsonl" && ok "a shared token cache: the same output as a cache of its own" ||
    bad "a shared token cache: the same output as a cache of its own"
check "a shared token cache: gone when the last tagger ends" \
    test "$(ls /dev/shm 2> /dev/null | grep -c "^nerkit-tokens-$(id -u)-")" -le "$before"

finish e2e_pipeline
