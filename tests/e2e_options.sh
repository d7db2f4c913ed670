#!/usr/bin/env bash
# Every program's command line as an attacker writes it: numbers that are
# not numbers, out of range, empty or negative; options given twice, to the
# wrong program or mode, or where they do nothing. Each is a usage error
# (status 2) whose message names the option. Then the caps that bound
# memory, and standard output that cannot be written (a full disk, a reader
# gone away): status 1 and a message from every program, never a silent
# end.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
small_model
printf 'Anna Berg lives in Oslo.\n' > "$tmp/doc.txt"
awk '{ print $0, $NF }' "$tmp/train.conll" | sed 's/^ $//' > "$tmp/pred.conll"
printf '4 2\nanna 1 0\nberg 0 1\nlives 1 1\noslo 0.5 1\n' > "$tmp/v.vec"

# usage NAME PATTERN CMD...: status 2 and PATTERN on stderr
usage() {
    local name=$1 pattern=$2 rc
    shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    if [ $rc = 2 ] && grep -q -- "$pattern" "$tmp/err"; then
        ok "$name"
    else
        bad "$name (status $rc: $(head -c 300 "$tmp/err"))"
    fi
}

# numbers: the whole string, in range, with the message the option names
usage "tag -j abc" "nerkit-tag: -j: 'abc' is not a number from 1 to 256" "$TAG" -m "$M" -j abc "$tmp/doc.txt"
usage "tag -j 2x" "-j: '2x' is not a number" "$TAG" -m "$M" -j 2x "$tmp/doc.txt"
usage "tag -j empty" "-j: '' is not a number" "$TAG" -m "$M" -j '' "$tmp/doc.txt"
usage "tag -j -1" "-j: '-1' is not a number" "$TAG" -m "$M" -j -1 "$tmp/doc.txt"
usage "tag -j ' 2'" "-j: ' 2' is not a number" "$TAG" -m "$M" -j ' 2' "$tmp/doc.txt"
usage "tag -j 2^64" "is not a number from 1 to 256" "$TAG" -m "$M" -j 18446744073709551617 "$tmp/doc.txt"
usage "tag --threads 20000" "--threads: '20000' is not a number from 1 to 256" "$TAG" -m "$M" --threads 20000 "$tmp/doc.txt"
usage "tag --nbest x" "--nbest: 'x' is not a number from 1 to 100" "$TAG" -m "$M" --nbest x "$tmp/doc.txt"
usage "tag --nbest 1000" "--nbest: '1000' is not a number from 1 to 100" "$TAG" -m "$M" --nbest 1000 "$tmp/doc.txt"
usage "tag --token-col x" "--token-col: 'x' is not a number" "$TAG" -m "$M" -i conll --token-col x "$tmp/train.conll"
usage "tag --token-col 0" "--token-col: columns count from 1" "$TAG" -m "$M" -i conll --token-col 0 "$tmp/train.conll"
usage "tag --max-doc 1k" "--max-doc: '1k' is not a number" "$TAG" -m "$M" --max-doc 1k "$tmp/doc.txt"
usage "tag --max-doc 2^40" "--max-doc: '1099511627776' is not a number from 64 to 67108864" \
    "$TAG" -m "$M" --max-doc 1099511627776 "$tmp/doc.txt"
usage "eval --label-col x" "--label-col: 'x' is not a number" "$EVAL" --label-col x "$tmp/pred.conll"
usage "eval --label-col 0" "--label-col: columns count from 1" "$EVAL" --label-col 0 "$tmp/pred.conll"
usage "eval --token-col 1e3" "--token-col: '1e3' is not a number" "$EVAL" -m "$M" --token-col 1e3 "$tmp/train.conll"
usage "bench -j abc" "nerkit-bench: -j: 'abc' is not a number from 1 to 256" "$BENCH" -m "$M" -j abc "$tmp/doc.txt"
usage "bench -r x" "nerkit-bench: -r: 'x' is not a number" "$BENCH" -m "$M" -r x "$tmp/doc.txt"
usage "bench -r 0" "-r: '0' is not a number from 1" "$BENCH" -m "$M" -r 0 "$tmp/doc.txt"
usage "embed --dim abc" "nerkit-embed: --dim: 'abc' is not a number from 1 to 1024" "$EMBED" --dim abc -o "$tmp/x.vec" "$tmp/doc.txt"
usage "embed -j 0" "nerkit-embed: -j: '0' is not a number from 1 to 256" "$EMBED" -j 0 -o "$tmp/x.vec" "$tmp/doc.txt"
usage "embed --cds nan" "--cds: 'nan' is not a number" "$EMBED" --cds nan -o "$tmp/x.vec" "$tmp/doc.txt"
usage "embed -n -3" "-n: '-3' is not a number" "$EMBED" --neighbors anna -n -3 "$tmp/v.vec"
usage "embed --clusters -5" "--clusters wants up to 64 comma-separated counts" "$EMBED" --clusters -5 -o "$tmp/x.cl" "$tmp/v.vec"
usage "train -e abc" "nerkit-train: -e: 'abc' is not a number from 1 to 10000" "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" -e abc
usage "train --l2 inf" "--l2: 'inf' is not a number" "$TRAIN" --algo crf -t "$tmp/train.conll" -o "$tmp/x.nerkit" --l2 inf
usage "train -j 257" "--threads: '257' is not a number from 1 to 256" "$TRAIN" --algo crf -t "$tmp/train.conll" -o "$tmp/x.nerkit" --threads 257

# --case-copies: the cases it knows, each once, with a fraction from 0 to 1
usage "train --case-copies title" "nerkit-train: --case-copies: unknown case 'title': want none, or lower, upper" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --case-copies title
usage "train --case-copies empty" "--case-copies: unknown case ''" "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --case-copies ''
usage "train --case-copies lower=2" "--case-copies: '2' is not a number from 0 to 1" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --case-copies lower=2
usage "train --case-copies upper=" "--case-copies: '' is not a number from 0 to 1" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --case-copies upper=
usage "train --case-copies lower,lower" "--case-copies: 'lower' given twice" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --case-copies lower,upper=0.5,lower
# the option trains: the model tags the lower-cased corpus right (test_train.c:
# test_case_copies shows what the copies change)
"$TRAIN" -q -t "$tmp/train.conll" -o "$tmp/copies.nerkit" --hash-bits 12 -e 2 --case-copies lower=1,upper 2> "$tmp/err" &&
    awk 'NF { $1 = tolower($1) } 1' "$tmp/train.conll" > "$tmp/lower.conll" &&
    [ "$("$EVAL" -m "$tmp/copies.nerkit" "$tmp/lower.conll" | awk '/^accuracy/ { print $NF }')" = 100.00 ] &&
    ok "train --case-copies lower=1,upper" || bad "train --case-copies lower=1,upper: $(head -c 300 "$tmp/err")"

# an option given twice: the last silently winning hides a typo
usage "tag -m twice" "nerkit-tag: -m: given more than once" "$TAG" -m "$M" -m "$M" "$tmp/doc.txt"
usage "train -o twice" "nerkit-train: -o: given more than once" "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" -o "$tmp/y.nerkit"
usage "eval --label-col twice" "--label-col: given more than once" "$EVAL" --label-col 2 --label-col 3 "$tmp/pred.conll"
"$TRAIN" -q -t "$tmp/train.conll" -o "$tmp/x.nerkit" --hash-bits 12 -e 1 --clusters "$tmp/v.vec" --clusters "$tmp/v.vec" 2> "$tmp/err"
grep -q "given more than once" "$tmp/err" && bad "train --clusters may be repeated" || ok "train --clusters may be repeated"

# options that do not apply are refused, not ignored
usage "train --l1 with the perceptron" "nerkit-train: --l1 does not apply to the perceptron" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --l1 1
usage "train --sgd with the perceptron" "--sgd does not apply to the perceptron" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --sgd
usage "train -j with the perceptron" "--threads does not apply to the perceptron" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" -j 2
usage "train --checkpoint with the CRF" "--checkpoint does not apply to the CRF" \
    "$TRAIN" --algo crf -t "$tmp/train.conll" -o "$tmp/x.nerkit" --checkpoint "$tmp/ck"
usage "train --resume with the CRF" "--resume does not apply to the CRF" \
    "$TRAIN" --algo crf -t "$tmp/train.conll" -o "$tmp/x.nerkit" --resume "$tmp/ck"
usage "train --eta with L-BFGS" "--eta does not apply to L-BFGS" \
    "$TRAIN" --algo crf -t "$tmp/train.conll" -o "$tmp/x.nerkit" --eta 0.1
usage "train -e with L-BFGS" "--epochs does not apply to L-BFGS" \
    "$TRAIN" --algo crf -t "$tmp/train.conll" -o "$tmp/x.nerkit" -e 3
usage "train --iterations with --sgd" "--iterations does not apply to --sgd" \
    "$TRAIN" --algo crf --sgd -t "$tmp/train.conll" -o "$tmp/x.nerkit" --iterations 3
usage "train -j with --sgd" "--threads does not apply to --sgd" \
    "$TRAIN" --algo crf --sgd -t "$tmp/train.conll" -o "$tmp/x.nerkit" -j 2
usage "train --patience without -d" "--patience does not apply without -d" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --patience 3
usage "train --lexicon-words without resources" "--lexicon-words does not apply without --clusters" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --lexicon-words 10
usage "train --folds without nonlocal" "--folds does not apply without the nonlocal feature group" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --features all --folds 3
usage "train --self-lexicon with --embeddings" "--self-lexicon does not apply with --clusters or --embeddings" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --embeddings "$tmp/train.conll" --self-lexicon 5
usage "train --self-lexicon with --lexicon-from" "--self-lexicon does not apply to --lexicon-from" \
    "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --lexicon-from "$tmp/train.conll" --self-lexicon 5
usage "train --algo unknown" "--algo: unknown algorithm 'svm'" "$TRAIN" --algo svm -t "$tmp/train.conll" -o "$tmp/x.nerkit"
[ ! -e "$tmp/x.nerkit" ] && ok "no model written after a usage error" || bad "no model written after a usage error"
usage "embed --neighbors with --clusters" "nerkit-embed: --clusters does not apply to --neighbors" \
    "$EMBED" --neighbors anna --clusters 2 "$tmp/v.vec"
usage "embed --dim with --clusters" "--dim does not apply to --clusters" \
    "$EMBED" --clusters 2 --dim 5 -o "$tmp/x.cl" "$tmp/v.vec"
usage "embed -o with --neighbors" "--output does not apply to --neighbors" \
    "$EMBED" --neighbors anna -o "$tmp/x" "$tmp/v.vec"
usage "embed -n without --neighbors" "-n does not apply without --neighbors" \
    "$EMBED" -n 3 -o "$tmp/x.vec" "$tmp/doc.txt"
usage "embed --iterations when learning" "--iterations does not apply without --clusters" \
    "$EMBED" --iterations 3 -o "$tmp/x.vec" "$tmp/doc.txt"
usage "tag --token-col without -i conll" "--token-col does not apply without -i conll" \
    "$TAG" -m "$M" --token-col 2 "$tmp/doc.txt"
usage "tag -j with -i conll" "--threads does not apply to -i conll" "$TAG" -m "$M" -i conll -j 2 "$tmp/train.conll"
usage "tag --scheme without -f conll" "--scheme does not apply without -f conll" \
    "$TAG" -m "$M" --scheme BIOES "$tmp/doc.txt"
usage "tag --byte-offsets with -f tsv" "--byte-offsets does not apply without -f jsonl" \
    "$TAG" -m "$M" -f tsv --byte-offsets "$tmp/doc.txt"
usage "eval --tab without -m" "--tab does not apply without -m" "$EVAL" --tab "$tmp/pred.conll"
usage "eval --delimiter with GOLD PRED" "--delimiter does not apply to GOLD PRED" \
    "$EVAL" --delimiter x "$tmp/train.conll" "$tmp/pred.conll"

# letters that meant one thing in one program and another elsewhere (-m the
# model, -d the dev set): the old uses are unknown options with the usage,
# never read as the other meaning
removed() {
    local name=$1 letter=$2
    shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"
    local rc=$?
    if [ $rc = 2 ] && grep -q -- "invalid option -- '$letter'" "$tmp/err" && grep -q '^usage:' "$tmp/err" &&
        [ ! -e "$tmp/x.vec" ]; then
        ok "$name"
    else
        bad "$name (status $rc: $(head -c 300 "$tmp/err"))"
    fi
}
removed "embed -m (now --min-count)" m "$EMBED" -m 3 -o "$tmp/x.vec" "$tmp/doc.txt"
removed "embed -d (now --dim)" d "$EMBED" -d 12 -o "$tmp/x.vec" "$tmp/doc.txt"
removed "embed -V (now --max-vocab)" V "$EMBED" -V 100 -o "$tmp/x.vec" "$tmp/doc.txt"
removed "embed -c (now --clusters)" c "$EMBED" -c 4 -o "$tmp/x.vec" "$tmp/v.vec"
removed "eval -d (now --delimiter)" d "$EVAL" -d x "$tmp/pred.conll"
removed "tag -o (now -f, the output format)" o "$TAG" -m "$M" -o inline "$tmp/doc.txt"
check "tag -o wrote no file named after a format" test ! -e inline

# empty values and standard input twice: each would do nothing, silently
echo Oslo > "$tmp/in"
usage "tag - -" "nerkit-tag: standard input (-) given more than once" "$TAG" -m "$M" - - < "$tmp/in"
usage "eval - -" "nerkit-eval: standard input (-) given more than once" "$EVAL" - - < "$tmp/in"
usage "bench - -" "nerkit-bench: standard input (-) given more than once" "$BENCH" -m "$M" - - < "$tmp/in"
usage "embed --neighbors with an empty word" "--neighbors: an empty word in 'anna,'" \
    "$EMBED" --neighbors anna, "$tmp/v.vec"
usage "embed --clusters ''" "--clusters wants up to 64 comma-separated counts, not an empty list" \
    "$EMBED" --clusters '' -o "$tmp/x.cl" "$tmp/v.vec"
usage "train --features ''" "--features: no feature group" "$TRAIN" -t "$tmp/train.conll" -o "$tmp/x.nerkit" --features ''

# the caps: at the cap it runs, past it the library refuses too
"$TAG" -m "$M" --nbest 100 "$tmp/doc.txt" > "$tmp/out" && grep -q '"nbest"' "$tmp/out" &&
    ok "tag --nbest 100 runs" || bad "tag --nbest 100 runs"
"$TAG" -m "$M" -j 256 "$tmp/doc.txt" > "$tmp/out" && grep -q '"Oslo"' "$tmp/out" &&
    ok "tag -j 256 runs" || bad "tag -j 256 runs"

# standard output that cannot be written: status 1 and a message
if [ -w /dev/full ]; then
    "$BENCH" -m "$M" -r 1 -j 1 "$tmp/doc.txt" > /dev/full 2> "$tmp/err"
    rc=$?
    [ $rc = 1 ] && grep -q "nerkit-bench: write error on standard output" "$tmp/err" &&
        ok "bench report to a full disk" || bad "bench report to a full disk (status $rc)"
fi
# no_reader CMD...: CMD with its standard output a pipe whose reader is gone
no_reader() {
    perl -e 'pipe(R, W) or die; close R; open(STDOUT, ">&", \*W) or die; close W; exec @ARGV or die' -- "$@"
}
for prog in tag eval bench embed; do
    case $prog in
        tag) cmd=("$TAG" -m "$M" "$tmp/doc.txt") ;;
        eval) cmd=("$EVAL" "$tmp/pred.conll") ;;
        bench) cmd=("$BENCH" -m "$M" -r 1 -j 1 "$tmp/doc.txt") ;;
        embed) cmd=("$EMBED" --neighbors anna,oslo -n 2 "$tmp/v.vec") ;;
    esac
    no_reader "${cmd[@]}" 2> "$tmp/err"
    rc=$?
    [ $rc = 1 ] && grep -q "nerkit-$prog: write error" "$tmp/err" &&
        ok "$prog: reader gone, status 1 and a message" ||
        bad "$prog: reader gone (status $rc: $(head -c 200 "$tmp/err"))"
done

finish options
