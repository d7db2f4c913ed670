#!/usr/bin/env bash
# End-to-end tagging speed on raw text: the unlabelled corpora of
# $NER_DATA/unlabeled (about 5.7 M words of news and other text) as one
# gzip archive, tagged with the default model; every stage on one thread,
# then the whole nerkit-tag pipeline (gzip text in, JSONL out) on 1 and 2
# threads. Medians of 5 runs.
set -euo pipefail
BIN=${BIN:-bin}
D=${NER_DATA:-../shared/data}
[ -d "$D/unlabeled" ] || { echo "no $D/unlabeled (set NER_DATA)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat "$D"/unlabeled/*.txt | gzip -1 > "$tmp/archive.txt.gz"
"$BIN/nerkit-bench" -m "${MODEL:-models/en-conll03.nerkit}" -j "${THREADS:-2}" -r "${RUNS:-5}" \
    "$tmp/archive.txt.gz"
