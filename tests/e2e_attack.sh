#!/usr/bin/env bash
# Bad input from an attacker, against every program: each must end with a
# message naming the file and line (or byte offset) and what is wrong, a
# non-zero status, and nothing lost: no crash, hang, silent skip, truncated
# or invalid output, or memory that grows with what the input expands to.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
small_model

# peak KB NAME LIMIT CMD...: CMD fails and its peak memory stays under LIMIT KB
peak() {
    local name=$1 limit=$2 kb
    shift 2
    if /usr/bin/time -f %M -o "$tmp/mem" "$@" > "$tmp/out" 2> "$tmp/err"; then
        bad "$name (exit 0)"
        return
    fi
    kb=$(tail -1 "$tmp/mem")
    if [ "$kb" -lt "$limit" ]; then ok "$name ($kb KB)"; else bad "$name ($kb KB, stderr: $(head -c 200 "$tmp/err"))"; fi
}

# a gzip bomb: 256 MiB of zeros in 250 KB. A corpus is read whole, so the
# whole expansion was held (twice over, as the buffer doubled) before the
# parser saw the NUL bytes; they stop it now as they arrive.
head -c 268435456 /dev/zero | gzip -1 > "$tmp/bomb.gz"
peak "train -t gzip bomb: bounded memory" 120000 "$TRAIN" -q -t "$tmp/bomb.gz" -o "$tmp/x.nerkit"
grep -q "bomb.gz:1: NUL byte at byte offset 0" "$tmp/err" && ok "train -t gzip bomb: named" || bad "train -t gzip bomb: message $(head -c 200 "$tmp/err")"
peak "eval gzip bomb: bounded memory" 120000 "$EVAL" "$tmp/bomb.gz"
peak "tag -i conll gzip bomb: bounded memory" 120000 "$TAG" -m "$M" -i conll "$tmp/bomb.gz"
printf 'Anna B-PER\nBerg I-PER\n\0\n' | gzip > "$tmp/nul3.gz"
expect_error "gzip corpus with a NUL on line 3" "nul3.gz:3: NUL byte" "$TRAIN" -q -t "$tmp/nul3.gz" -o "$tmp/x.nerkit"

# a JSONL object whose "text" is empty is still a record: dropping it lost
# its id without a word, and the output no longer had a line per object
printf '{"id":1,"text":""}\n{"id":2,"text":"Anna"}\n' > "$tmp/empty-text.jsonl"
"$TAG" -m "$M" -i jsonl "$tmp/empty-text.jsonl" > "$tmp/out" 2> "$tmp/err"
check "JSONL empty text: one record per object" \
    grep -q '^{"id":1,"text":"","entities":\[\]}$' "$tmp/out"
check "JSONL empty text: the next record follows" test "$(wc -l < "$tmp/out")" = 2

# invalid UTF-8 in a member passed through (a key, an id) was copied as it
# was: the output was not JSON (JSON is UTF-8), with status 0 and no word.
# It is read as U+FFFD, like the text, reported at its byte, status 1.
printf '{"id":"\xff","text":"Anna"}\n{"te\xfext":"x","text":"Anna \xfd"}\n' > "$tmp/bad-member.jsonl"
"$TAG" -m "$M" -i jsonl "$tmp/bad-member.jsonl" > "$tmp/out" 2> "$tmp/err"
rc=$?
check "JSONL invalid UTF-8 in a member: status 1" test $rc = 1
check "JSONL invalid UTF-8 in a member: named at its byte" \
    grep -q "bad-member.jsonl:1: invalid UTF-8 at byte offset 7" "$tmp/err"
check "JSONL invalid UTF-8 in a key: named at its byte" \
    grep -q "bad-member.jsonl:2: invalid UTF-8 at byte offset 29" "$tmp/err"
check "JSONL invalid UTF-8 in members: every record is JSON" \
    perl -MJSON::PP -ne 'my $o = decode_json($_); $n++; END { exit !($n == 2) }' "$tmp/out"

# nerkit-embed into a full device: the message named "(null)" (the
# temporary file a device does not have)
# (more than a stdio buffer of output, so that a write fails before the end)
awk 'BEGIN { srand(1); for (d = 0; d < 100; d++) { for (i = 0; i < 40; i++) printf "w%d ", int(rand() * 300); print "\n" } }' > "$tmp/words.txt"
expect_error "embed -o /dev/full names the device" "^nerkit-embed: /dev/full: write failed: No space left" \
    "$EMBED" -q -o /dev/full --dim 8 --min-count 1 "$tmp/words.txt"
awk 'BEGIN { print "3000 2"; for (i = 0; i < 3000; i++) print "word" i, i % 7, i % 5 }' > "$tmp/v.vec"
expect_error "embed --clusters -o /dev/full names the device" "^nerkit-embed: /dev/full: write failed" \
    "$EMBED" -q --clusters 2 -o /dev/full "$tmp/v.vec"

# a corpus whose labels are all O trained a model that can only say O, with
# status 0 (a label column that is not the entity column, say)
printf 'Anna O\nBerg O\nlives O\n\n' > "$tmp/all-o.conll"
expect_error "train on labels that are all O" "all-o.conll: the training corpus has no entities: every label is O" \
    "$TRAIN" -q -t "$tmp/all-o.conll" -o "$tmp/o.nerkit"
check "train on labels that are all O: no model" test ! -e "$tmp/o.nerkit"
expect_error "train --algo crf on labels that are all O" "no entities" \
    "$TRAIN" -q --algo crf -t "$tmp/all-o.conll" -o "$tmp/o.nerkit"
# standard input as both corpora: the dev set read nothing
"$TRAIN" -q -t - -d - -o "$tmp/x.nerkit" < "$tmp/train.conll" > "$tmp/out" 2> "$tmp/err"
rc=$?
check "train -t - -d -: a usage error" test $rc = 2
check "train -t - -d -: says why" grep -q "standard input (-) given more than once" "$tmp/err"

# nerkit-bench: an empty input printed a report of inf and -nan, status 0
: > "$tmp/empty.txt"
expect_error "bench on an empty file" "the input has no tokens: nothing to measure" \
    "$BENCH" -m "$M" -r 1 -j 1 "$tmp/empty.txt"
check "bench on an empty file: no report" test ! -s "$tmp/out"
# a failure in the pipeline runs came after the stage lines were printed:
# half a report, status 1
printf 'Anna Berg\0lives in Oslo.\n' > "$tmp/nul.txt"
expect_error "bench on a NUL byte" "nul.txt:1: NUL byte at byte offset 9" \
    "$BENCH" -m "$M" -r 1 -j 1 "$tmp/nul.txt"
check "bench on a NUL byte: no half report" test ! -s "$tmp/out"
expect_error "bench on a missing file: named once" "^nerkit-bench: $tmp/nope: cannot open" \
    "$BENCH" -m "$M" -r 1 -j 1 "$tmp/nope"
# the stages took a text without blank lines as one document, of any size:
# 6 MB of one-word lines took 1.8 GB; they are cut as nerkit-tag cuts them
yes Oslo | head -n 1500000 > "$tmp/lines.txt"
/usr/bin/time -f %M -o "$tmp/mem" "$BENCH" -m "$M" -r 1 -j 1 "$tmp/lines.txt" > "$tmp/out" 2> "$tmp/err"
kb=$(tail -1 "$tmp/mem")
case "${B:-}" in
*asan*) ok "bench on 1.5 M lines: memory not measured under ASan" ;;
*) check "bench on 1.5 M lines without a blank one: bounded memory ($kb KB)" test "$kb" -lt 250000 ;;
esac
check "bench: the stages see the pipeline's documents" grep -q "^input: 1 file(s), 7.5 MB of text, 8 documents" "$tmp/out"

# "text" twice: the last was tagged and both written out, so a reader that
# takes the first (or refuses duplicates) saw entities of another text
printf '{"text":"Anna"}\n{"text":"Oslo","t\\u0065xt":"Anna Berg"}\n' > "$tmp/dup.jsonl"
expect_error "JSONL \"text\" given twice" 'dup.jsonl:2: "text" given 2 times in the object' \
    "$TAG" -m "$M" -i jsonl "$tmp/dup.jsonl"
check "JSONL \"text\" given twice: the record before is written" \
    grep -q '^{"text":"Anna","entities":\[{' "$tmp/out"

# a file name with a line break or bytes that are not UTF-8: each message
# stays one line of UTF-8 (the byte as \xNN), from every program
nl="$tmp/two"$'\n'"lines" bin="$tmp/not"$'\xff'"utf8"
printf 'Anna\0Berg\n' > "$nl"
printf 'Anna\0Berg\n' > "$bin"
one_line() { # NAME PATTERN CMD...: fails with exactly one line on stderr, matching
    local name=$1 pattern=$2
    shift 2
    if "$@" > "$tmp/out" 2> "$tmp/err"; then bad "$name (exit 0)"
    elif [ "$(wc -l < "$tmp/err")" = 1 ] && grep -q -- "$pattern" "$tmp/err" && iconv -f UTF-8 -t UTF-8 "$tmp/err" > /dev/null 2>&1; then ok "$name"
    else bad "$name (stderr: $(head -c 300 "$tmp/err" | od -c | head -3))"; fi
}
one_line "tag: a line break in a file name" 'two\\x0alines:1: NUL byte' "$TAG" -m "$M" "$nl"
one_line "tag: a byte that is not UTF-8 in a file name" 'not\\xffutf8:1: NUL byte' "$TAG" -m "$M" "$bin"
one_line "train: a line break in a file name" 'two\\x0alines:1: NUL byte' "$TRAIN" -q -t "$nl" -o "$tmp/x.nerkit"
one_line "eval: a line break in a file name" 'two\\x0alines' "$EVAL" "$nl"
one_line "eval GOLD PRED: a line break in PRED's name" 'two\\x0alines' "$EVAL" "$tmp/train.conll" "$nl"
one_line "embed: a line break in a file name" 'two\\x0alines:1: NUL byte' "$EMBED" -q -o "$tmp/x.vec" "$nl"
one_line "bench: a line break in a file name" 'two\\x0alines' "$BENCH" -m "$M" -r 1 -j 1 "$nl"
one_line "tag -m: a line break in a model's name" 'two\\x0alines: not a nerkit model' "$TAG" -m "$nl" "$tmp/empty.txt"
# zeros after a valid header that promises them (a sparse file of 4 GB):
# refused at the first section, not after the checksum has read and mapped
# all of it; a /proc file, whose size says 0, is read and is no model
head28='NERKITM\032\002\000\000\000\000\000\000\000\340\377\377\377\000\000\000\000\000\000\000\000'
sparse="$tmp/sparse.nerkit"
{ printf "$head28"; printf "$head28" | gzip -c | tail -c 8 | head -c 4; } > "$sparse"
truncate -s 4G "$sparse"
expect_error "tag -m: zeros after the header of a 4 GB file" \
    "sparse.nerkit: damaged model: no section at byte offset 32" "$TAG" -m "$sparse" "$tmp/empty.txt"
rm -f "$sparse"
expect_error "tag -m /proc/self/status" "/proc/self/status: not a nerkit model (bad magic bytes)" \
    "$TAG" -m /proc/self/status "$tmp/empty.txt"
mkdir -p "$tmp/walk"
mkfifo "$tmp/walk/fifo"$'\n'"x"
"$TAG" -m "$M" "$tmp/walk" > "$tmp/out" 2> "$tmp/err"
check "tag: a skipped folder entry with a line break: one line" \
    test "$(grep -c 'fifo\\x0ax: skipped: not a regular file' "$tmp/err")" = 1 -a "$(wc -l < "$tmp/err")" = 1

# a real number written in hexadecimal was read as one (0x10 = 16)
"$TRAIN" -q --algo crf --delta 0x10 -t "$tmp/train.conll" -o "$tmp/x.nerkit" > "$tmp/out" 2> "$tmp/err"
rc=$?
check "train --delta 0x10: a usage error" test $rc = 2
check "train --delta 0x10: says why" grep -q -- "--delta: '0x10' is not a number" "$tmp/err"
"$EMBED" -q --cds 0x1p-1 -o "$tmp/x.vec" "$tmp/words.txt" > "$tmp/out" 2> "$tmp/err"
check "embed --cds 0x1p-1: a usage error" test $? = 2

# SIGTERM (or SIGHUP, or Ctrl-C) while nerkit-embed writes its output killed it between
# the write and the rename: the target was untouched, but a temporary file
# of the half-written vectors stayed beside it. The signal now waits for the
# save and ends the program after it: the file whole, nothing else.
awk 'BEGIN { srand(3); for (d = 0; d < 3000; d++) { for (i = 0; i < 300; i++) printf "w%d ", int(rand() * rand() * 20000); print "\n" } }' > "$tmp/many.txt"
mkdir -p "$tmp/sig"
for sig in TERM HUP; do
    rm -f "$tmp/sig/"*
    "$EMBED" -q -j 1 -o "$tmp/sig/v.vec" --dim 64 --min-count 2 "$tmp/many.txt" 2> "$tmp/err" &
    pid=$!
    for i in $(seq 3000); do ls "$tmp/sig/"v.vec.tmp.* > /dev/null 2>&1 && break; sleep 0.01; done
    kill -$sig $pid
    wait $pid
    rc=$?
    left=$(ls "$tmp/sig" | tr '\n' ' ')
    if [ "$left" = "v.vec " ] && [ "$(head -1 "$tmp/sig/v.vec")" = "19150 64" ] &&
        [ "$(wc -l < "$tmp/sig/v.vec")" = 19151 ] && [ $rc != 0 ]; then
        ok "SIG$sig while embed saves: the file whole, no temporary file (status $rc)"
    else
        bad "SIG$sig while embed saves: status $rc, left: $left"
    fi
done

# SIGTERM (or Ctrl-C, SIGHUP) while nerkit-tag writes: it died wherever its
# writer was, often in the middle of a JSON record. It now stops reading,
# writes every document read so far whole, and exits with status 130.
yes 'Anna Berg lives in Oslo .' | head -n 2000000 > "$tmp/long.txt"
for sig in TERM INT; do
    # the last round's output would look like this round's before the
    # redirection empties it, and the signal would come before any handler
    # (in the subshell, where SIGINT is still ignored: the run then ends 0)
    rm -f "$tmp/tagged.jsonl"
    # (a background job of a script ignores SIGINT: give it its default back)
    ( trap - INT; exec "$TAG" -m "$M" -j 2 -i lines "$tmp/long.txt" > "$tmp/tagged.jsonl" 2> "$tmp/err" ) &
    pid=$!
    for i in $(seq 3000); do [ -s "$tmp/tagged.jsonl" ] && break; sleep 0.01; done
    kill -$sig $pid
    wait $pid
    rc=$?
    n=$(wc -l < "$tmp/tagged.jsonl")
    if [ $rc = 130 ] && [ "$n" -lt 2000000 ] && [ "$(tail -c 1 "$tmp/tagged.jsonl" | od -An -tx1)" = " 0a" ] &&
        perl -MJSON::PP -ne 'decode_json($_)->{text} eq "Anna Berg lives in Oslo ." or exit 1' "$tmp/tagged.jsonl" &&
        grep -q "interrupted at .*long.txt:[0-9]*; the records written are those of the documents before" "$tmp/err"; then
        ok "SIG$sig while tag writes: status 130, $n whole records"
    else
        bad "SIG$sig while tag writes: status $rc, $n lines, last byte $(tail -c 1 "$tmp/tagged.jsonl" | od -An -c), $(head -c 200 "$tmp/err")"
    fi
done
rm -f "$tmp/long.txt" "$tmp/tagged.jsonl"

# nerkit-embed - -: the same usage error (status 2) as in the other programs
"$EMBED" -q -o "$tmp/x.vec" - - < "$tmp/words.txt" > "$tmp/out" 2> "$tmp/err"
rc=$?
check "embed - -: a usage error" test $rc = 2
check "embed - -: says why" grep -q "standard input (-) given more than once" "$tmp/err"

finish e2e_attack
