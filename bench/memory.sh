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
model=$(realpath "$MODEL")
# The largest Pss of the running taggers' sum, sampled every 0.1 s while all
# of them run, and the model file's part of it: "total model" in KB.
pss_of() {
    local n=$1 most=0 most_model=0
    pids=()
    for _ in $(seq "$n"); do
        "$BIN/nerkit-tag" -m "$MODEL" -j 1 "$tmp/text.txt" > /dev/null &
        pids+=($!)
    done
    while :; do
        local sum=0 in_model=0 alive=0
        for p in "${pids[@]}"; do
            local kb
            kb=$(awk -v f="$model" '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 }
                /^Pss:/ { all += $2; if (name == f) mine += $2 }
                END { if (all) print all, mine + 0 }' "/proc/$p/smaps" 2>/dev/null) || kb=
            [ -n "$kb" ] || continue
            sum=$((sum + ${kb% *})); in_model=$((in_model + ${kb#* })); alive=$((alive + 1))
        done
        [ "$alive" = "$n" ] || break
        [ "$sum" -gt "$most" ] && { most=$sum; most_model=$in_model; }
        sleep 0.1
    done
    wait "${pids[@]}" 2>/dev/null || true
    pids=()
    echo "$most $most_model"
}
read -r one one_model < <(pss_of 1)
read -r two two_model < <(pss_of 2)
awk -v a="$one" -v b="$two" -v am="$one_model" -v bm="$two_model" 'BEGIN {
    printf "Pss tagging text: one tagger %.1f MB, two at once %.1f MB together (%.2fx one)\n",
        a / 1024, b / 1024, b / a
    printf "  of which the model file: %.1f MB in one, %.1f MB in two together (%.2fx)\n",
        am / 1024, bm / 1024, bm / am }'
