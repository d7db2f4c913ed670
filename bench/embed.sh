#!/usr/bin/env bash
# nerkit-embed on the unlabelled corpora of $NER_DATA/unlabeled (about 5.7 M
# words of news and other text): wall time and peak memory of learning
# 100-dimensional vectors (median of $RUNS runs), then of k-means at
# 64, 256 and 1024 clusters, then the nearest neighbours of a few words.
set -euo pipefail
BIN=${BIN:-bin}
D=${NER_DATA:-../shared/data}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
[ -d "$D/unlabeled" ] || { echo "no $D/unlabeled (set NER_DATA)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD...: runs CMD $RUNS times, prints the median wall time and
# the largest peak resident memory
measure() {
    local name=$1
    shift
    for r in $(seq "$RUNS"); do
        /usr/bin/time -f '%e %M' -o "$tmp/time.$r" "$@"
    done
    cat "$tmp"/time.* | sort -n | awk -v n="$name" -v runs="$RUNS" '
        { t[NR] = $1; if ($2 > m) m = $2 }
        END { printf "%-44s %6.2f s  (median of %d)  peak %5.0f MB\n", n, t[int((NR + 1) / 2)], runs, m / 1024 }'
    rm -f "$tmp"/time.*
}

echo "input: $(cat "$D"/unlabeled/* | wc -c | awk '{printf "%.1f MB", $1 / 1e6}'), $(nproc) cores, -j $THREADS"
measure "nerkit-embed --dim 100 --window 5" \
    "$BIN/nerkit-embed" -q -j "$THREADS" --dim 100 --window 5 -o "$tmp/news.vec" "$D/unlabeled"
echo "vectors: $(head -1 "$tmp/news.vec" | awk '{print $1 " words x " $2}')"
measure "nerkit-embed --clusters 64,256,1024" \
    "$BIN/nerkit-embed" -q -j "$THREADS" --clusters 64,256,1024 -o "$tmp/news.clusters" "$tmp/news.vec"
echo
echo "nearest neighbours (cosine):"
"$BIN/nerkit-embed" --neighbors Germany,Monday,shares,John,London,bank -n 8 "$tmp/news.vec" |
    awk -F'\t' '{ printf "  %-9s", $1; for (i = 2; i <= NF; i++) printf " %s", $i; print "" }'
