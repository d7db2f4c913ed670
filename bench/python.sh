#!/usr/bin/env bash
# The Python package's speed: tag_many on 1 and 2 threads
# (bench/python-threads.py), then nerkit.dask on a local cluster of 2
# workers against nerkit-tag -j 2 on the same folder of gzip files (the
# first 150 MB of $NER_DATA/unlabeled_large's Wikipedia text, in 31 files
# of 5 MB), alternately, RUNS times (3); each command's whole wall-clock
# time, the cluster's start included. Medians.
set -euo pipefail
BIN=${BIN:-bin}
PY=/usr/bin/python3
D=${NER_DATA:-../shared/data}
RUNS=${RUNS:-3}
export NER_DATA=$D
[ -d "$D/unlabeled_large" ] || { echo "no $D/unlabeled_large (set NER_DATA)" >&2; exit 1; }
RUNS=${TAG_RUNS:-5} $PY bench/python-threads.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in"
# zcat is cut off by head: its SIGPIPE is no failure
{ zcat "$D/unlabeled_large/wikipedia_en_30k_articles.txt.gz" || true; } | head -c 150000000 |
    (cd "$tmp/in" && split -C 5000000 -d - wiki_ && gzip -1 wiki_*)
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for r in $(seq "$RUNS"); do
    s=$(date +%s.%N)
    "$BIN/nerkit-tag" -q -j 2 "$tmp/in" > "$tmp/tag.jsonl"
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f\n", e - s }' >> "$tmp/tag.times"
    rm -rf "$tmp/out"
    s=$(date +%s.%N)
    PYTHONPATH=python $PY -m nerkit.dask "$tmp/in" -o "$tmp/out" --workers 2 -q > "$tmp/dask.log"
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f\n", e - s }' >> "$tmp/dask.times"
    echo "run $r: nerkit-tag -j 2 $(tail -1 "$tmp/tag.times") s, nerkit.dask --workers 2 $(tail -1 "$tmp/dask.times") s ($(head -1 "$tmp/dask.log"))"
done
tokens=$(head -1 "$tmp/dask.log" | awk '{ print $5 }')
t=$(median < "$tmp/tag.times") d=$(median < "$tmp/dask.times")
echo "$(du -sh "$tmp/in" | cut -f1) of gzip text, $tokens tokens: median nerkit-tag -j 2 $t s, nerkit.dask 2 workers $d s: $(awk -v t="$t" -v d="$d" 'BEGIN { printf "%.2f", t / d }')x"
