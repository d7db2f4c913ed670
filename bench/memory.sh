#!/usr/bin/env bash
# What a tagger costs in memory and start-up, with the default model (or
# MODEL):
#   - peak resident memory (/usr/bin/time) of nerkit-tag tagging one sentence,
#     and its wall time, which is mostly the model's load;
#   - the proportional set size (Pss, /proc/PID/smaps) of one nerkit-tag
#     tagging raw text (THREADS threads, default 1), then of two tagging at
#     once: the model file is mapped and the cache of token sums is in
#     shared memory, so the two share their pages and each is charged half.
#     Each figure is the largest of the samples taken while the taggers run.
#
#   bench/memory.sh
#   THREADS=2 bench/memory.sh
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
# of them run, and the parts of it of the model file and of the shared
# token cache: "total model cache" in KB.
pss_of() {
    local n=$1 most=0 most_model=0 most_cache=0
    pids=()
    for _ in $(seq "$n"); do
        "$BIN/nerkit-tag" -m "$MODEL" -j "${THREADS:-1}" "$tmp/text.txt" > /dev/null &
        pids+=($!)
    done
    while :; do
        local sum=0 in_model=0 in_cache=0 alive=0
        for p in "${pids[@]}"; do
            local kb
            kb=$(awk -v f="$model" '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 }
                /^Pss:/ { all += $2; if (name == f) mine += $2
                          if (name ~ /^\/dev\/shm\/nerkit-tokens-/) cache += $2 }
                END { if (all) print all, mine + 0, cache + 0 }' "/proc/$p/smaps" 2>/dev/null) || kb=
            [ -n "$kb" ] || continue
            set -- $kb
            sum=$((sum + $1)); in_model=$((in_model + $2)); in_cache=$((in_cache + $3))
            alive=$((alive + 1))
        done
        [ "$alive" = "$n" ] || break
        [ "$sum" -gt "$most" ] && { most=$sum; most_model=$in_model; most_cache=$in_cache; }
        sleep 0.1
    done
    wait "${pids[@]}" 2>/dev/null || true
    pids=()
    echo "$most $most_model $most_cache"
}
read -r one one_model one_cache < <(pss_of 1)
read -r two two_model two_cache < <(pss_of 2)
awk -v a="$one" -v b="$two" -v am="$one_model" -v bm="$two_model" -v ac="$one_cache" \
    -v bc="$two_cache" 'BEGIN {
    printf "Pss tagging text: one tagger %.1f MB, two at once %.1f MB together (%.2fx one)\n",
        a / 1024, b / 1024, b / a
    printf "  of which the model file: %.1f MB in one, %.1f MB in two together (%.2fx)\n",
        am / 1024, bm / 1024, bm / am
    printf "  and the token cache (shared memory): %.1f MB in one, %.1f MB in two together\n",
        ac / 1024, bc / 1024 }'

