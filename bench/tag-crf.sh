#!/usr/bin/env bash
# What entity confidences and n-best lists cost with a CRF model, end to
# end: nerkit-tag on the first 5 MB of the unlabelled corpora (raw text in,
# JSONL out), plain, with --confidence and with --nbest 5, on 1 and 2
# threads. Medians of RUNS runs (default 5), tokens per second.
#
#   bench/tag-crf.sh CRF-MODEL
set -euo pipefail
BIN=${BIN:-bin}
D=${NER_DATA:-../shared/data}
MODEL=${1:?usage: bench/tag-crf.sh CRF-MODEL}
RUNS=${RUNS:-5}
[ -d "$D/unlabeled" ] || { echo "no $D/unlabeled (set NER_DATA)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# (head closes the pipe early: cat's SIGPIPE is expected)
(set +o pipefail; cat "$D"/unlabeled/*.txt | head -c 5000000 > "$tmp/text.txt")
# tokens as the tagger cuts them: CoNLL output has one line per token, plus
# one -DOCSTART- line and blank lines per document
tokens=$("$BIN/nerkit-tag" -m "$MODEL" -q -f conll "$tmp/text.txt" |
         grep -v -c -e '^-DOCSTART-' -e '^\s*$')
echo "$MODEL: $tokens tokens, median of $RUNS runs"
printf '%-22s %8s %12s\n' mode threads tokens/s
for j in 1 2; do
    for mode in plain --confidence "--nbest 5"; do
        opt=$mode
        [ "$mode" = plain ] && opt=
        for r in $(seq "$RUNS"); do
            # shellcheck disable=SC2086
            /usr/bin/time -f "%e" -o "$tmp/t.$r" "$BIN/nerkit-tag" -m "$MODEL" -j "$j" -q \
                -f jsonl $opt "$tmp/text.txt" > /dev/null
        done
        cat "$tmp"/t.* | sort -n | awk -v n="$RUNS" -v tok="$tokens" -v m="$mode" -v j="$j" \
            '{ t[NR] = $1 } END { printf "%-22s %8d %12.0f\n", m, j, tok / t[int((n + 1) / 2)] }'
    done
done
