#!/usr/bin/env bash
# Fault injection: writes that fail. Saving a model or a checkpoint onto a
# full or failing disk (an LD_PRELOAD shim makes write() fail with ENOSPC
# after N bytes, or fsync() fail with EIO) leaves the previous file
# untouched and no temporary file, and nerkit-train says so and exits
# non-zero. nerkit-tag's output going to a full device or to a reader that
# has gone away stops the run with a message and status 1, never silently.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
SHIM=$(cd "${B:-build}/tests" 2> /dev/null && pwd)/libfailio.so
TRAIN="$BIN/nerkit-train"
TAG="$BIN/nerkit-tag"
if [ ! -f "$SHIM" ]; then
    echo "FAIL the fault-injection shim is missing: $SHIM (make check builds it)"
    exit 1
fi
# the shim comes before the sanitizer runtime of the sanitizer build
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

for i in $(seq 40); do
    printf 'Anna B-PER\nBerg I-PER\nlives O\nin O\nOslo B-LOC\n. O\n\nMr O\nSmith B-PER\nvisited O\nParis B-LOC\n. O\n\n'
done > "$tmp/train.conll"
targs=(-q -t "$tmp/train.conll" --hash-bits 14 -e 3)
"$TRAIN" "${targs[@]}" -o "$tmp/m.nerkit" || bad "train the previous model"
cp "$tmp/m.nerkit" "$tmp/previous"
size=$(wc -c < "$tmp/m.nerkit")

# no_temporaries NAME: nothing but the expected files in $tmp/out
no_temporaries() {
    ls "$tmp/out" | grep -q '\.tmp\.' && bad "$1: a temporary file is left" || ok "$1: no temporary file left"
}

# save_fails NAME PATTERN VAR=VALUE: training into a path that holds the
# previous model, with the shim set by VAR, must fail and keep that model
save_fails() {
    local name=$1 pattern=$2 setting=$3
    rm -rf "$tmp/out" && mkdir "$tmp/out" && cp "$tmp/previous" "$tmp/out/m.nerkit"
    env LD_PRELOAD="$SHIM" "$setting" "$TRAIN" "${targs[@]}" -o "$tmp/out/m.nerkit" 2> "$tmp/err"
    local rc=$?
    [ $rc = 1 ] && grep -q "$pattern" "$tmp/err" && ok "$name: exit 1 with a message" ||
        bad "$name: exit 1 with a message (rc $rc: $(cat "$tmp/err"))"
    cmp -s "$tmp/previous" "$tmp/out/m.nerkit" && ok "$name: previous model untouched" ||
        bad "$name: previous model untouched"
    no_temporaries "$name"
}
save_fails "disk full at once" "write failed after 0 of $size bytes: No space left on device" NERKIT_FAIL_WRITE=0
save_fails "disk full midway" "write failed after 1000 of $size bytes: No space left on device" NERKIT_FAIL_WRITE=1000
save_fails "disk full at the last byte" "write failed after $((size - 1)) of $size bytes" NERKIT_FAIL_WRITE=$((size - 1))
save_fails "fsync fails" "fsync: Input/output error" NERKIT_FAIL_FSYNC=1
# the shim itself works: with room enough the save succeeds
rm -rf "$tmp/out" && mkdir "$tmp/out"
env LD_PRELOAD="$SHIM" NERKIT_FAIL_WRITE=$size "$TRAIN" "${targs[@]}" -o "$tmp/out/m.nerkit" &&
    cmp -s "$tmp/previous" "$tmp/out/m.nerkit" && ok "exactly enough room: saved" || bad "exactly enough room: saved"

# a checkpoint that cannot be written ends the training; the previous
# checkpoint stays
rm -rf "$tmp/out" && mkdir "$tmp/out"
"$TRAIN" "${targs[@]}" -o "$tmp/out/m.nerkit" --checkpoint "$tmp/out/ck" || bad "train with a checkpoint"
cp "$tmp/out/ck" "$tmp/ck.previous"
rm "$tmp/out/m.nerkit"
env LD_PRELOAD="$SHIM" NERKIT_FAIL_WRITE=5000 "$TRAIN" "${targs[@]}" -o "$tmp/out/m.nerkit" \
    --checkpoint "$tmp/out/ck" 2> "$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q "ck.tmp.*write failed after 5000 of .*No space left" "$tmp/err" &&
    ok "checkpoint on a full disk: exit 1 with a message" || bad "checkpoint on a full disk (rc $rc: $(cat "$tmp/err"))"
cmp -s "$tmp/ck.previous" "$tmp/out/ck" && ok "checkpoint on a full disk: previous checkpoint untouched" ||
    bad "checkpoint on a full disk: previous checkpoint untouched"
[ ! -e "$tmp/out/m.nerkit" ] && ok "checkpoint on a full disk: no model" || bad "checkpoint on a full disk: no model"
no_temporaries "checkpoint on a full disk"

# tagging output: a full device, and a reader that goes away (SIGPIPE is
# handled: a message and status 1, not a silent death); text, JSONL and
# CoNLL input alike
for i in $(seq 3000); do echo "Angela Merkel met Emmanuel Macron in Paris on Tuesday."; echo; done > "$tmp/docs.txt"
perl -ne 'chomp; print "{\"id\":$.,\"text\":\"$_\"}\n" if length' "$tmp/docs.txt" > "$tmp/docs.jsonl"
for i in $(seq 200); do cat "$tmp/train.conll"; done > "$tmp/big.conll"
for input in "text docs.txt" "jsonl docs.jsonl" "conll big.conll"; do
    set -- $input
    "$TAG" -m "$tmp/m.nerkit" -i "$1" -q "$tmp/$2" > /dev/full 2> "$tmp/err"
    rc=$?
    [ $rc = 1 ] && grep -q "No space left on device" "$tmp/err" && ok "-i $1 to a full device: exit 1 with a message" ||
        bad "-i $1 to a full device (rc $rc: $(cat "$tmp/err"))"
    "$TAG" -m "$tmp/m.nerkit" -i "$1" -q "$tmp/$2" 2> "$tmp/err" | head -c 100 > /dev/null
    rc=${PIPESTATUS[0]}
    [ "$rc" = 1 ] && grep -q "Broken pipe" "$tmp/err" && ok "-i $1 into a closed pipe: exit 1 with a message" ||
        bad "-i $1 into a closed pipe (rc $rc: $(cat "$tmp/err"))"
done

finish faults
