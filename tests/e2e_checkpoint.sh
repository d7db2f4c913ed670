#!/usr/bin/env bash
# Checkpoints of the perceptron: a run stopped by Ctrl-C (SIGINT) or killed
# outright (SIGKILL), then resumed with --resume, writes a model byte for
# byte identical to an uninterrupted run with the same seed; the last
# checkpoint is whole whatever the moment of the signal; a checkpoint of
# another training, a damaged one, or one given as a model is refused. A
# CRF run stops on Ctrl-C too, without a model.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
TRAIN="$BIN/nerkit-train"

# noisy labels, so that no epoch is free of errors and training runs all
# its epochs: long enough to be interrupted in the middle
gen() {
    perl -e 'srand($ARGV[0]);
        my @w = map { "w$_" } 1 .. 400; my @p = map { "Name$_" } 1 .. 90;
        my @c = map { "City$_" } 1 .. 50;
        for (1 .. $ARGV[1]) {
            for (1 .. 6 + int(rand(14))) {
                my $r = rand();
                if ($r < 0.1) { print $p[rand @p], rand() < 0.9 ? " B-PER\n" : " B-LOC\n" }
                elsif ($r < 0.17) { print $c[rand @c], rand() < 0.9 ? " B-LOC\n" : " B-ORG\n" }
                else { print $w[rand @w], rand() < 0.02 ? " B-MISC\n" : " O\n" }
            }
            print "\n";
        }' "$@"
}
gen 7 6000 > "$tmp/train.conll"
gen 8 600 > "$tmp/dev.conll"
# options are given once each: the runs below that change one start from common
common=(-t "$tmp/train.conll" -d "$tmp/dev.conll" --hash-bits 16 --patience 1000)
args=("${common[@]}" -e 12 --seed 5)

"$TRAIN" -q "${args[@]}" -o "$tmp/straight.nerkit" || bad "uninterrupted training"
"$TRAIN" -q "${args[@]}" -o "$tmp/with-ck.nerkit" --checkpoint "$tmp/every.ck" || bad "training with checkpoints"
cmp -s "$tmp/straight.nerkit" "$tmp/with-ck.nerkit" && ok "checkpoints do not change the model" ||
    bad "checkpoints do not change the model"

# run_until SIGNAL LINE ARGS...: trains with ARGS, sends SIGNAL once a
# progress line matching LINE has been printed, and leaves the exit status
# in $status and the messages in $tmp/err.SIGNAL
run_until() {
    local sig=$1 line=$2
    shift 2
    "$TRAIN" "$@" 2> "$tmp/err.$sig" &
    local pid=$!
    until grep -q "$line" "$tmp/err.$sig" 2> /dev/null || ! kill -0 $pid 2> /dev/null; do
        sleep 0.01
    done
    kill -"$sig" $pid 2> /dev/null
    { wait $pid; } 2> /dev/null
    status=$?
}

run_until INT "^epoch *3 " "${args[@]}" -o "$tmp/never.nerkit" --checkpoint "$tmp/int.ck"
[ "$status" = 130 ] && grep -q 'interrupted in epoch .*int.ck holds the last whole epoch' "$tmp/err.INT" &&
    ok "SIGINT stops training with a message and status 130" ||
    bad "SIGINT stops training (status $status: $(tail -1 "$tmp/err.INT"))"
[ ! -e "$tmp/never.nerkit" ] && ok "no model written by the interrupted run" || bad "no model written by the interrupted run"
ls "$tmp" | grep -q '\.tmp\.' && bad "no temporary file left after SIGINT" || ok "no temporary file left after SIGINT"
"$TRAIN" -q "${args[@]}" -o "$tmp/resumed.nerkit" --resume "$tmp/int.ck" --checkpoint "$tmp/int.ck" ||
    bad "resume after SIGINT"
cmp -s "$tmp/straight.nerkit" "$tmp/resumed.nerkit" && ok "interrupted then resumed: the same model, byte for byte" ||
    bad "interrupted then resumed: the same model, byte for byte"

# the CRF has no checkpoints, but stops on Ctrl-C as cleanly: a message,
# status 130 and no model (SGD passes are long enough to be interrupted)
run_until INT "^pass *2 " --algo crf --sgd "${common[@]}" --seed 5 -e 1000 -o "$tmp/crf.nerkit"
[ "$status" = 130 ] && grep -q 'interrupted in pass .*; no model written' "$tmp/err.INT" &&
    [ ! -e "$tmp/crf.nerkit" ] && ok "SIGINT stops CRF training: status 130, no model" ||
    bad "SIGINT stops CRF training (status $status: $(tail -1 "$tmp/err.INT"))"

# SIGKILL cannot be handled: the checkpoint of the last whole epoch is
# still there and whole, because checkpoints are renamed into place
run_until KILL "^epoch *6 " "${args[@]}" -o "$tmp/never.nerkit" --checkpoint "$tmp/kill.ck"
[ "$status" = 137 ] && ok "SIGKILL ends the run" || bad "SIGKILL ends the run (status $status)"
"$TRAIN" -q "${args[@]}" -o "$tmp/resumed2.nerkit" --resume "$tmp/kill.ck" || bad "resume after SIGKILL"
cmp -s "$tmp/straight.nerkit" "$tmp/resumed2.nerkit" && ok "killed then resumed: the same model, byte for byte" ||
    bad "killed then resumed: the same model, byte for byte"

# a finished run's checkpoint gives the finished model again
"$TRAIN" -q "${args[@]}" -o "$tmp/again.nerkit" --resume "$tmp/every.ck" &&
    cmp -s "$tmp/straight.nerkit" "$tmp/again.nerkit" && ok "resume from the last checkpoint" ||
    bad "resume from the last checkpoint"

expect_error "another seed" "of another training" \
    "$TRAIN" -q "${common[@]}" -e 12 --seed 6 -o "$tmp/x.nerkit" --resume "$tmp/every.ck"
expect_error "another corpus" "of another training" \
    "$TRAIN" -q -t "$tmp/dev.conll" -d "$tmp/dev.conll" --hash-bits 16 -e 12 --seed 5 -o "$tmp/x.nerkit" --resume "$tmp/every.ck"
cp "$tmp/every.ck" "$tmp/flip.ck"
printf '\x55' | dd of="$tmp/flip.ck" bs=1 seek=5000 conv=notrunc 2> /dev/null
expect_error "damaged checkpoint" "corrupted checkpoint" \
    "$TRAIN" -q "${args[@]}" -o "$tmp/x.nerkit" --resume "$tmp/flip.ck"
head -c 3000 "$tmp/every.ck" > "$tmp/cut.ck"
expect_error "truncated checkpoint" "truncated checkpoint" \
    "$TRAIN" -q "${args[@]}" -o "$tmp/x.nerkit" --resume "$tmp/cut.ck"
expect_error "a model is not a checkpoint" "a nerkit model, not a checkpoint" \
    "$TRAIN" -q "${args[@]}" -o "$tmp/x.nerkit" --resume "$tmp/straight.nerkit"
# a model of 4 GB (sparse) given as a checkpoint: its first 8 bytes say what
# it is, where it was read whole into memory first (peak resident memory,
# in KB, well under the 4 GB it took)
cp "$tmp/straight.nerkit" "$tmp/big.nerkit"
truncate -s 4G "$tmp/big.nerkit"
expect_error "a model of 4 GB is not a checkpoint" "big.nerkit: a nerkit model, not a checkpoint" \
    /usr/bin/time -f %M -o "$tmp/mem" "$TRAIN" -q "${args[@]}" -o "$tmp/x.nerkit" --resume "$tmp/big.nerkit"
[ "$(tail -1 "$tmp/mem")" -lt 1048576 ] && ok "a model of 4 GB is not a checkpoint: told before it is read" ||
    bad "a model of 4 GB is not a checkpoint: told before it is read (peak $(tail -1 "$tmp/mem") KB)"
rm -f "$tmp/big.nerkit"
expect_error "a checkpoint is not a model" "training checkpoint (finish it with nerkit-train --resume), not a model" \
    "$BIN/nerkit-tag" -m "$tmp/every.ck" "$tmp/dev.conll"
[ ! -e "$tmp/x.nerkit" ] && ok "no model written by a refused resume" || bad "no model written by a refused resume"

finish checkpoint
