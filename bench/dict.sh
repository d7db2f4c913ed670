#!/usr/bin/env bash
# Entity dictionaries at scale (README "Entity dictionaries"): a dictionary
# of N generated entries (default 1,000,000) plus real lists of the shared
# data (GeoNames world cities with their ids, GATE ANNIE company names),
# then
#   - compile time (nerkit-dict compile, wall clock),
#   - load time (the median of nerkit-dict info's load_ms over 5 loads),
#   - tagging speed kept: nerkit-tag -j 1 on CoNLL-2003 dev text repeated
#     REPEAT times (default 10), without and with --dict, in PAIRS
#     alternating pairs (default 5); the median of the pairs' ratios of
#     wall-clock time and of CPU time (user + system, which other work on
#     a shared machine disturbs less). Each run loads the model (and the
#     dictionary) as a user's run does.
#
#   bench/dict.sh [N]
set -euo pipefail
BIN=${BIN:-bin}
D=${NER_DATA:-../shared/data}
N=${1:-1000000}
REPEAT=${REPEAT:-10}
PAIRS=${PAIRS:-5}
G=$D/gazetteers
[ -f "$D/conll2003/dev.txt" ] || { echo "no $D/conll2003/dev.txt (set NER_DATA)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# generated entries: single made-up names, "first last" pairs whose first
# names come from a pool of 5,000, and company-like names with a suffix;
# each distinct, each with an id
awk -v n="$N" 'BEGIN {
    split("ka lo mi re su ta ve xo bri dan el fa gor hu in jo kel lum nor pa qui ros sim tor ul vin wes yar zed ath ber cor", s, " ")
    split("Holdings Group Bank Labs Systems Partners Foundation University", suf, " ")
    for (i = 0; i < n; i++) {
        w = ""; x = i
        for (k = 0; k < 5; k++) { w = w s[x % 32 + 1]; x = int(x / 32) }
        w = toupper(substr(w, 1, 1)) substr(w, 2)
        f = ""; x = i % 5000 + 7
        for (k = 0; k < 3; k++) { f = f s[x % 32 + 1]; x = int(x / 32) }
        f = toupper(substr(f, 1, 1)) substr(f, 2)
        r = i % 5
        if (r < 2) print w "\tPRODUCT\tG" i
        else if (r < 4) print f " " w "\tPER\tG" i
        else print w " " suf[i % 8 + 1] "\tORG\tG" i
    } }' > "$tmp/generated.tsv"
real=()
if [ -f "$G/geonames_world_cities/world-cities.csv" ]; then
    awk -F, 'NR > 1 && $1 != "" { print $1 "\tLOC\tgeonames:" $NF }' \
        "$G/geonames_world_cities/world-cities.csv" > "$tmp/cities.tsv"
    real+=("$tmp/cities.tsv")
fi
if [ -f "$G/gate_annie/company.lst" ]; then
    awk 'NF { print $0 "\tORG" }' "$G/gate_annie/company.lst" > "$tmp/companies.tsv"
    real+=("$tmp/companies.tsv")
fi
lines=$(cat "$tmp/generated.tsv" "${real[@]}" | wc -l)

t0=$(date +%s.%N)
"$BIN/nerkit-dict" compile -q --case acronyms --duplicates first -o "$tmp/d.nkd" \
    "$tmp/generated.tsv" "${real[@]}"
t1=$(date +%s.%N)
size=$(stat -c %s "$tmp/d.nkd")
entries=$("$BIN/nerkit-dict" info "$tmp/d.nkd" | awk '$1 == "entries" { print $2 }')
echo "entries: $lines lines, $entries kept (generated $N + ${#real[@]} real lists)"
awk -v a="$t0" -v b="$t1" -v s="$size" \
    'BEGIN { printf "compile: %.2f s  file: %.1f MB\n", b - a, s / 1e6 }'
for _ in 1 2 3 4 5; do "$BIN/nerkit-dict" info "$tmp/d.nkd" | awk '$1 == "load_ms" { print $2 }'; done |
    sort -n | awk '{ t[NR] = $1 } END { printf "load: %.1f ms median of 5 (min %.1f, max %.1f)\n", t[3], t[1], t[5] }'

# dev as text: a document per -DOCSTART-, a sentence a line
awk '$1 == "-DOCSTART-" { if (s != "") print s; s = ""; print ""; next }
     !NF { if (s != "") print s; s = ""; next } { s = s (s == "" ? "" : " ") $1 }
     END { if (s != "") print s }' "$D/conll2003/dev.txt" > "$tmp/dev1.txt"
for _ in $(seq "$REPEAT"); do cat "$tmp/dev1.txt"; echo; done > "$tmp/dev.txt"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
# run ARGS...: "wall cpu" seconds of one nerkit-tag run (cpu: user + system)
run() {
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$BIN/nerkit-tag" -q -j 1 "$@" "$tmp/dev.txt" > /dev/null
    awk '{ printf "%.3f %.3f", $1, $2 + $3 }' "$tmp/time"
}
tokens=$(awk '{ n += NF } END { print n }' "$tmp/dev.txt")
echo "text: CoNLL-2003 dev x $REPEAT, $tokens whitespace-separated words"
for p in $(seq "$PAIRS"); do
    without=$(run) with=$(run --dict "$tmp/d.nkd")
    echo "pair $p: without ${without% *} s (cpu ${without#* }), with ${with% *} s (cpu ${with#* })"
    echo "$without $with" >> "$tmp/pairs"
done
# median COLUMN-EXPRESSION NAME
median() {
    awk "{ print $1 }" "$tmp/pairs" | sort -n |
        awk -v name="$2" '{ v[NR] = $1 } END { printf "%s: median %.3f (min %.3f, max %.3f, %d pairs)\n", name, v[int((NR + 1) / 2)], v[1], v[NR], NR }'
}
median '$1' "wall without (s)"
median '$3' "wall with (s)"
median '$1 / $3 * 100' "speed kept, wall (%)"
median '$2 / $4 * 100' "speed kept, cpu (%)"
