#!/usr/bin/env bash
# Tagging speed of `nerkit-tag -i conll -f conll` on the CoNLL-2003 dev set
# repeated 20 times (about 1.03 M tokens): median wall time of RUNS runs
# (default 5), tokens per second, and peak resident memory.
#
#   bench/tag-conll.sh [MODEL]        (default models/en-conll03.nerkit)
set -euo pipefail
BIN=${BIN:-bin}
D=${NER_DATA:-../shared/data}
MODEL=${1:-models/en-conll03.nerkit}
RUNS=${RUNS:-5}
[ -f "$D/conll2003/dev.txt" ] || { echo "no $D/conll2003/dev.txt (set NER_DATA)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq 20); do cat "$D/conll2003/dev.txt"; done > "$tmp/dev20.conll"
tokens=$(grep -v -e '^-DOCSTART-' -e '^\s*$' -c "$tmp/dev20.conll")
for r in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$tmp/time.$r" \
        "$BIN/nerkit-tag" -m "$MODEL" -i conll -f conll "$tmp/dev20.conll" > /dev/null
done
cat "$tmp"/time.* | sort -n | awk -v n="$RUNS" -v tok="$tokens" '
    { t[NR] = $1; if ($2 > mem) mem = $2 }
    END {
        med = t[int((n + 1) / 2)]
        printf "tokens: %d  runs: %d  median: %.2f s  (min %.2f, max %.2f)\n", tok, n, med, t[1], t[n]
        printf "speed: %.0f tokens/s  peak RSS: %.1f MB\n", tok / med, mem / 1024
    }'
