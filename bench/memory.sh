#!/usr/bin/env bash
# What a tagger costs in memory and start-up, with the default model (or
# MODEL):
#   - peak resident memory (/usr/bin/time) of nerkit-tag tagging one sentence,
#     and its wall time, which is mostly the model's load;
#   - the proportional set size (Pss, /proc/PID/smaps_rollup) of one
#     nerkit-tag tagging raw text, then of two tagging at once: the model
#     file is mapped, so the two share its pages and each is charged half.
#     Each figure is the largest of the samples taken while the taggers run.
#
#   bench/memory.sh
set -euo pipefail
BIN=${BIN:-bin}
D=${NER_DATA:-../shared/data}
MODEL=${MODEL:-models/en-conll03.nerkit}
[ -d "$D/unlabeled" ] || { echo "no $D/unlabeled (set NER_DATA)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT

echo "EU rejects German call to boycott British lamb ." > "$tmp/one.txt"
for r in 1 2 3 4 5; do
    /usr/bin/time -f "%e %M" -o "$tmp/time.$r" "$BIN/nerkit-tag" -m "$MODEL" "$tmp/one.txt" > /dev/null
done
cat "$tmp"/time.* | sort -n | awk '{ t[NR] = $1; if ($2 > m) m = $2 }
    END { printf "one sentence: median %.3f s, peak RSS %.1f MB\n", t[3], m / 1024 }'

# the news, whose paragraphs make documents of their own (a text without
# blank lines is tagged as documents of --max-doc, 1 MiB, whose features
# take memory of their own)
cat "$D"/unlabeled/{abc_rural_news,abc_science_news,bbc_news_2004_2005,reuters21578}.txt \
    > "$tmp/text.txt"
# The largest Pss of the running taggers' sum, sampled every 0.1 s while all
# of them run.
pss_of() {
    local n=$1 most=0
    pids=()
    for _ in $(seq "$n"); do
        "$BIN/nerkit-tag" -m "$MODEL" -j 1 "$tmp/text.txt" > /dev/null &
        pids+=($!)
    done
    while :; do
        local sum=0 alive=0
        for p in "${pids[@]}"; do
            local kb
            kb=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || kb=
            [ -n "$kb" ] && { sum=$((sum + kb)); alive=$((alive + 1)); }
        done
        [ "$alive" = "$n" ] || break
        [ "$sum" -gt "$most" ] && most=$sum
        sleep 0.1
    done
    wait "${pids[@]}" 2>/dev/null || true
    pids=()
    echo "$most"
}
one=$(pss_of 1)
two=$(pss_of 2)
awk -v a="$one" -v b="$two" 'BEGIN {
    printf "Pss tagging text: one tagger %.1f MB, two at once %.1f MB together (%.2fx one)\n",
        a / 1024, b / 1024, b / a }'
